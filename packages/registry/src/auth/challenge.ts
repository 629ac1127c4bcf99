/** One `WWW-Authenticate` challenge: a scheme and its auth-params (keys lower-cased). */
export interface Challenge {
  /** Lower-cased: `bearer`, `basic`, … */
  readonly scheme: string;
  readonly params: Readonly<Record<string, string>>;
}

const tchar = /[!#$%&'*+.^_`|~0-9A-Za-z/-]/;

/**
 * Parses a `WWW-Authenticate` header value (RFC 7235), which may hold several challenges:
 * `Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:x:pull"`.
 * Quoted strings may contain commas and backslash escapes; a token68 (`Negotiate abc==`) is kept
 * under the `token68` key.
 */
export function parseChallenges(header: string): Challenge[] {
  const challenges: { scheme: string; params: Record<string, string> }[] = [];
  let i = 0;
  const n = header.length;
  let afterScheme = false;
  const skipSpace = () => {
    while (i < n && (header[i] === ' ' || header[i] === '\t')) i++;
  };
  while (i < n) {
    skipSpace();
    if (i >= n) break;
    if (header[i] === ',') {
      afterScheme = false;
      i++;
      continue;
    }
    const start = i;
    while (i < n && tchar.test(header[i]!)) i++;
    const token = header.slice(start, i);
    if (token === '') {
      i++; // stray character
      continue;
    }
    const current = challenges[challenges.length - 1];
    const save = i;
    skipSpace();
    if (header[i] === '=' && current !== undefined) {
      let j = i + 1;
      while (j < n && header[j] === '=') j++;
      const rest = header.slice(j).trimStart();
      const isToken68 = afterScheme && (header[i + 1] === '=' || rest === '' || rest.startsWith(','));
      if (isToken68) {
        current.params.token68 = token + header.slice(i, j);
        i = j;
        afterScheme = false;
        continue;
      }
      i++;
      skipSpace();
      let value = '';
      if (header[i] === '"') {
        i++;
        while (i < n && header[i] !== '"') {
          if (header[i] === '\\' && i + 1 < n) i++;
          value += header[i];
          i++;
        }
        i++;
      } else {
        const valueStart = i;
        while (i < n && header[i] !== ',' && header[i] !== ' ' && header[i] !== '\t') i++;
        value = header.slice(valueStart, i);
      }
      current.params[token.toLowerCase()] = value;
      afterScheme = false;
      continue;
    }
    i = save;
    if (afterScheme && current !== undefined) {
      current.params.token68 = token;
      afterScheme = false;
      continue;
    }
    challenges.push({ scheme: token.toLowerCase(), params: {} });
    afterScheme = true;
  }
  return challenges;
}
