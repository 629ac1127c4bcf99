/** Problem with an instruction's arguments or flags; the caller adds the location. */
export class InstructionError extends Error {
  constructor(
    message: string,
    /** The offending text, when it is more precise than the whole instruction. */
    readonly text?: string,
  ) {
    super(message);
  }
}

type FlagKind = 'string' | 'strings' | 'bool';

/** Parsed `--name=value` flags of one instruction (BuildKit's BFlags), unknown flags rejected. */
export class Flags {
  private readonly strings = new Map<string, string>();
  private readonly lists = new Map<string, string[]>();
  private readonly bools = new Map<string, boolean>();

  constructor(words: readonly string[], spec: Readonly<Record<string, FlagKind>>) {
    if (words.length > 0) this.parse(words, spec);
  }

  private parse(words: readonly string[], spec: Readonly<Record<string, FlagKind>>): void {
    for (const word of words) {
      if (!word.startsWith('--')) throw new InstructionError(`arg should start with -- : ${word}`, word);
      if (word === '--') return;
      let name = word.slice(2);
      let value: string | undefined;
      const eq = name.indexOf('=');
      if (eq >= 0) {
        value = name.slice(eq + 1);
        name = name.slice(0, eq);
      }
      const kind = spec[name];
      if (kind === undefined) throw new InstructionError(`unknown flag: ${name}`, word);
      if (kind === 'bool') {
        if (this.bools.has(name)) throw new InstructionError(`Duplicate flag specified: ${name}`, word);
        if (value === '') throw new InstructionError(`Missing a value on flag: ${name}`, word);
        const v = value === undefined ? 'true' : value.toLowerCase();
        if (v !== 'true' && v !== 'false') {
          throw new InstructionError(`expecting boolean value for flag ${name}, not: ${value}`, word);
        }
        this.bools.set(name, v === 'true');
        continue;
      }
      if (value === undefined) throw new InstructionError(`Missing a value on flag: ${name}`, word);
      if (kind === 'strings') {
        const list = this.lists.get(name) ?? [];
        list.push(value);
        this.lists.set(name, list);
      } else {
        if (this.strings.has(name)) throw new InstructionError(`Duplicate flag specified: ${name}`, word);
        this.strings.set(name, value);
      }
    }
  }
  string(name: string): string | undefined {
    return this.strings.get(name);
  }
  list(name: string): string[] {
    return this.lists.get(name) ?? [];
  }
  bool(name: string): boolean {
    return this.bools.get(name) ?? false;
  }
  has(name: string): boolean {
    return this.strings.has(name) || this.lists.has(name) || this.bools.has(name);
  }
}

const SYMBOLIC =
  /^[ugoa]*[-+=]([rwxXst]*|[ugo])([-+=]([rwxXst]*|[ugo]))*(,[ugoa]*[-+=]([rwxXst]*|[ugo])([-+=]([rwxXst]*|[ugo]))*)*$/;

/** `--chmod` value: octal (`755`, `0644`) or symbolic (`u=rwX,go=rX`). */
export function parseChmod(
  text: string,
): { kind: 'octal'; mode: number; text: string } | { kind: 'symbolic'; text: string } {
  if (/^[0-7]+$/.test(text)) {
    const mode = Number.parseInt(text, 8);
    if (mode > 0o7777) throw new InstructionError(`invalid chmod parameter: ${text}`, text);
    return { kind: 'octal', mode, text };
  }
  if (SYMBOLIC.test(text)) return { kind: 'symbolic', text };
  throw new InstructionError(`invalid chmod parameter: ${text}`, text);
}

const UNITS: Record<string, number> = {
  ns: 1,
  us: 1e3,
  µs: 1e3,
  μs: 1e3,
  ms: 1e6,
  s: 1e9,
  m: 60e9,
  h: 3600e9,
};

/** Go's time.ParseDuration, in nanoseconds. */
export function parseGoDuration(text: string): number {
  let s = text;
  let sign = 1;
  if (s.startsWith('-') || s.startsWith('+')) {
    if (s[0] === '-') sign = -1;
    s = s.slice(1);
  }
  if (s === '0') return 0;
  if (s === '') throw new InstructionError(`time: invalid duration ${JSON.stringify(text)}`, text);
  let total = 0;
  const re = /^(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)/;
  while (s !== '') {
    const m = re.exec(s);
    if (!m) throw new InstructionError(`time: invalid duration ${JSON.stringify(text)}`, text);
    total += Number.parseFloat(m[1] as string) * (UNITS[m[2] as string] as number);
    s = s.slice(m[0].length);
  }
  return Math.round(sign * total);
}

/** Docker's RAMInBytes (`64m`, `1g`, `512k`, `1024`). */
export function parseBytes(text: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*([kmgtp]?)i?b?$/i.exec(text.trim());
  if (!m) throw new InstructionError(`invalid size: '${text}'`, text);
  const mult = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4, p: 1024 ** 5 }[
    (m[2] as string).toLowerCase()
  ] as number;
  return Math.floor(Number.parseFloat(m[1] as string) * mult);
}
