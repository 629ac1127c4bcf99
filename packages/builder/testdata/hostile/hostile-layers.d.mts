export interface HostileLayer {
  name: string;
  tar: Buffer;
  expect: 'refused' | 'contained';
  /** For refused layers: the tar entry the error must name. */
  entry?: string;
  /** For refused layers: the BuilderError code. */
  code?: string;
}

/** Crafted hostile layers aiming at `outside` (an absolute host path of a sentinel directory). */
export function hostileLayers(outside: string): HostileLayer[];
