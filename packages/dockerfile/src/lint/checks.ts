import type { Instruction } from '../instructions/types.js';
import type { DockerfileAst, InstructionNode } from '../parser/node.js';
import { warning } from './rules.js';
import type { LintWarning } from './types.js';

const SECRET_WORDS = new Set([
  'apikey',
  'auth',
  'credential',
  'credentials',
  'key',
  'password',
  'pword',
  'passwd',
  'secret',
  'token',
]);
const isUpper = (s: string) => s === s.toUpperCase();

/** `GITHUB_TOKEN`, `DB_PASSWORD`, `apiKey`… but not `PUBLIC_KEY`. */
export function looksLikeSecret(name: string): boolean {
  const parts = name
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .toLowerCase()
    .split(/[_\-.]/);
  if (parts.includes('public')) return false;
  return parts.some((p) => SECRET_WORDS.has(p));
}

/** Checks that need only the syntax tree and the typed instructions (BuildKit's parse-time checks). */
export function syntaxChecks(ast: DockerfileAst, typed: Instruction[]): LintWarning[] {
  const out: LintWarning[] = [];
  const nodes = ast.instructions;
  const at = (n: InstructionNode) => [n.range.start.line, n.range.start.column] as const;
  const upper = nodes.filter((n) => n.rawKeyword === n.rawKeyword.toUpperCase()).length;
  const majorityUpper = upper >= nodes.length - upper;
  const names = new Map<string, number>();
  let stageHasShell = false;
  let counts = new Map<string, number>();
  let hasAbsWorkdir = false;
  nodes.forEach((n, i) => {
    const ins = typed[i] as Instruction;
    const kw = n.rawKeyword;
    if (kw !== kw.toUpperCase() && kw !== kw.toLowerCase()) {
      out.push(
        warning('ConsistentInstructionCasing', `Command '${kw}' should be consistently cased`, ...at(n)),
      );
    } else if (isUpper(kw) !== majorityUpper) {
      out.push(
        warning(
          'ConsistentInstructionCasing',
          `Command '${kw}' should match the case of the command majority (${majorityUpper ? 'uppercase' : 'lowercase'})`,
          ...at(n),
        ),
      );
    }
    switch (ins.kind) {
      case 'FROM': {
        stageHasShell = false;
        counts = new Map();
        hasAbsWorkdir = false;
        if (n.args.length === 3) {
          const as = n.args[1] as string;
          const raw = n.args[2] as string;
          if (isUpper(kw) !== isUpper(as))
            out.push(warning('FromAsCasing', `'${as}' and '${kw}' keywords' casing do not match`, ...at(n)));
          if (raw !== raw.toLowerCase())
            out.push(warning('StageNameCasing', `Stage name '${raw}' should be lowercase`, ...at(n)));
          const name = raw.toLowerCase();
          if (name === 'scratch' || name === 'context')
            out.push(
              warning(
                'ReservedStageName',
                `'${name}' is reserved and should not be used as a stage name`,
                ...at(n),
              ),
            );
          if (names.has(name))
            out.push(
              warning(
                'DuplicateStageName',
                `Duplicate stage name '${name}', stage names should be unique`,
                ...at(n),
              ),
            );
          names.set(name, i);
        }
        if (ins.platform !== undefined && /^\$\{?TARGETPLATFORM\}?$/.test(ins.platform)) {
          out.push(
            warning(
              'RedundantTargetPlatform',
              `Setting platform to predefined ${ins.platform} in FROM is redundant as this is the default behavior`,
              ...at(n),
            ),
          );
        }
        break;
      }
      case 'SHELL':
        stageHasShell = true;
        break;
      case 'CMD':
      case 'ENTRYPOINT':
      case 'HEALTHCHECK': {
        const c = (counts.get(ins.kind) ?? 0) + 1;
        counts.set(ins.kind, c);
        if (c > 1)
          out.push(
            warning(
              'MultipleInstructionsDisallowed',
              `Multiple ${ins.kind} instructions should not be used in the same stage because only the last one will be used`,
              ...at(n),
            ),
          );
        if (ins.kind !== 'HEALTHCHECK' && ins.command.form === 'shell' && !stageHasShell) {
          out.push(
            warning(
              'JSONArgsRecommended',
              `JSON arguments recommended for ${ins.kind} to prevent unintended behavior related to OS signals`,
              ...at(n),
            ),
          );
        }
        break;
      }
      case 'MAINTAINER':
        out.push(
          warning(
            'MaintainerDeprecated',
            'Maintainer instruction is deprecated in favor of using label',
            ...at(n),
          ),
        );
        break;
      case 'WORKDIR':
        if (ins.path.startsWith('/') || ins.path.startsWith('$')) hasAbsWorkdir = true;
        else if (!hasAbsWorkdir)
          out.push(
            warning(
              'WorkdirRelativePath',
              `Relative workdir "${ins.path}" can have unexpected results if the base image changes`,
              ...at(n),
            ),
          );
        break;
      case 'ENV':
      case 'LABEL':
        if (n.args[2] === '')
          out.push(
            warning(
              'LegacyKeyValueFormat',
              `"${ins.kind} key=value" should be used instead of legacy "${ins.kind} key value" format`,
              ...at(n),
            ),
          );
        if (ins.kind === 'ENV') {
          for (const kv of ins.env) if (looksLikeSecret(kv.key)) out.push(secret('ENV', kv.key, n));
        }
        break;
      case 'ARG':
        for (const a of ins.args) if (looksLikeSecret(a.key)) out.push(secret('ARG', a.key, n));
        break;
      case 'ADD':
        if (ins.checksum === undefined && ins.sources.some((s) => /^https?:\/\//i.test(s))) {
          out.push(
            warning(
              'AddUrlWithoutChecksum',
              'ADD downloads a URL without --checksum; pin the content with --checksum=sha256:<hex>',
              ...at(n),
            ),
          );
        }
        break;
      case 'RUN': {
        const text =
          ins.command.form === 'shell'
            ? [ins.command.text, ...ins.command.heredocs.map((h) => h.content)].join('\n')
            : ins.command.args.join(' ');
        if (/\b(curl|wget)\b[^|;&\n]*\|\s*(sudo\s+)?(\/(usr\/)?bin\/)?(ba|z|da|k|a)?sh\b/.test(text)) {
          out.push(
            warning(
              'CurlPipeShell',
              'RUN pipes a downloaded script into a shell; download, verify a checksum, then run it',
              ...at(n),
            ),
          );
        }
        break;
      }
    }
  });
  return out;
}

function secret(kind: string, key: string, n: InstructionNode): LintWarning {
  return warning(
    'SecretsUsedInArgOrEnv',
    `Do not use ${kind} or ENV instructions for sensitive data (${kind} "${key}")`,
    n.range.start.line,
    n.range.start.column,
  );
}
