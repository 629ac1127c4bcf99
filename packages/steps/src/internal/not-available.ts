import { StepsError } from '../steps-error.js';

/** The error a step throws while the library function it calls is not part of this build. */
export function notAvailable(step: string): never {
  throw new StepsError('NOT_AVAILABLE', `${step} is not available in this build yet`);
}
