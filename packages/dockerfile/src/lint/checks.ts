import type { Instruction } from '../instructions/types.js';
import type { DockerfileAst, InstructionNode } from '../parser/node.js';
import { warning } from './rules.js';
import type { LintWarning } from './types.js';

const SECRET = /(?:_|^)(?:apikey|auth|credential|credentials|key|password|pword|passwd|secret|token)(?:_|$)/i;
const SECRET_ALLOW = /(?:_|^)(?:public)(?:_|$)/i;
const isUpper = (s: string) => s === s.toUpperCase();

/** BuildKit's SecretsUsedInArgOrEnv test: `GITHUB_TOKEN`, `DB_PASSWORD`, `AUTH`… but not `PUBLIC_KEY`. */
export function looksLikeSecret(name: string): boolean {
  return SECRET.test(name) && !SECRET_ALLOW.test(name);
}

/**
 * Checks that need only the syntax tree and the typed instructions. (Checks that depend on the
 * expanded state — UndefinedVar, WorkdirRelativePath, JSONArgsRecommended, MultipleInstructionsDisallowed,
 * UndefinedArgInFrom — run while planning, as in BuildKit.)
 */
export function syntaxChecks(ast: DockerfileAst, typed: Instruction[]): LintWarning[] {
  const out: LintWarning[] = [];
  const nodes = ast.instructions;
  const at = (n: InstructionNode) => [n.range.start.line, n.range.start.column] as const;
  const consistent = nodes.filter(
    (n) => n.rawKeyword === n.rawKeyword.toUpperCase() || n.rawKeyword === n.rawKeyword.toLowerCase(),
  );
  const lower = consistent.filter((n) => n.rawKeyword === n.rawKeyword.toLowerCase()).length;
  const majorityLower = lower > consistent.length - lower;
  const names = new Set<string>();
  nodes.forEach((n, i) => {
    const ins = typed[i] as Instruction;
    const kw = n.rawKeyword;
    const wanted = majorityLower ? kw.toLowerCase() : kw.toUpperCase();
    if (kw !== wanted) {
      out.push(
        warning(
          'ConsistentInstructionCasing',
          `Command '${kw}' should match the case of the command majority (${majorityLower ? 'lowercase' : 'uppercase'})`,
          ...at(n),
        ),
      );
    }
    switch (ins.kind) {
      case 'FROM': {
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
                `Stage name should not use the same name as reserved stage ${JSON.stringify(name)}`,
                ...at(n),
              ),
            );
          if (names.has(name))
            out.push(
              warning(
                'DuplicateStageName',
                `Duplicate stage name ${JSON.stringify(name)}, stage names should be unique`,
                ...at(n),
              ),
            );
          names.add(name);
        }
        if (ins.platform !== undefined && /^\$(\{TARGETPLATFORM\}|TARGETPLATFORM)$/.test(ins.platform)) {
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
      case 'MAINTAINER':
        out.push(
          warning(
            'MaintainerDeprecated',
            'Maintainer instruction is deprecated in favor of using label',
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
        if (
          ins.checksum === undefined &&
          ins.sources.some((s) => /^https?:\/\//i.test(s) && !/\.git(#|$)/.test(s))
        ) {
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
        const c = ins.command;
        const text =
          c.form === 'shell' ? [c.text, ...c.heredocs.map((h) => h.content)].join('\n') : c.args.join(' ');
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
    `Do not use ARG or ENV instructions for sensitive data (${kind} ${JSON.stringify(key)})`,
    n.range.start.line,
    n.range.start.column,
  );
}
