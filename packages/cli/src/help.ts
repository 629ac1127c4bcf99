import { type InputSpec, onSurface, type StepSpec } from '@kaniko-ts/steps';
import { EXIT_CODE_HELP } from './exit-codes.js';

const WIDTH = 34;

function typeLabel(input: InputSpec): string {
  switch (input.type) {
    case 'boolean':
      return '';
    case 'number':
      return ' int';
    case 'list':
      return ' list';
    case 'enum':
      return ` {${input.options?.join('|')}}`;
    default:
      return ' string';
  }
}

function defaultLabel(input: InputSpec): string {
  const d = input.default;
  if (d === undefined || d === '' || (Array.isArray(d) && d.length === 0)) return '';
  if (input.type === 'boolean' && d === false) return '';
  return ` (default ${JSON.stringify(Array.isArray(d) ? d.join(',') : d)})`;
}

function flagLabel(name: string, input: InputSpec): string {
  const flag = input.flag ?? name;
  const short = input.short ? `-${input.short}, ` : '    ';
  const long = input.type === 'boolean' && input.default === true ? `--[no-]${flag}` : `--${flag}`;
  return `  ${short}${long}${typeLabel(input)}`;
}

/** `kaniko-ts <step> --help`, generated from the step's spec. */
export function renderStepHelp(spec: StepSpec): string {
  const lines = [`Usage: kaniko-ts ${spec.name} [flags]`, '', spec.description, '', 'Flags:'];
  const env: string[] = [];
  for (const [name, input] of Object.entries(spec.inputs)) {
    if (!onSurface(input, 'cli')) continue;
    const label = flagLabel(name, input);
    const extras: string[] = [];
    if (input.required) extras.push('required');
    if (input.type === 'list') extras.push('repeatable');
    if (input.type === 'secret') extras.push('secret: prefer the environment variable');
    const alt = [
      name !== (input.flag ?? name) ? `--${name}` : '',
      ...(input.aliases ?? []).map((a) => `--${a}`),
    ]
      .filter((a) => a !== '')
      .join(', ');
    if (alt) extras.push(`also ${alt}`);
    const text = `${input.description}${defaultLabel(input)}${extras.length ? ` [${extras.join('; ')}]` : ''}`;
    lines.push(
      label.length < WIDTH ? `${label.padEnd(WIDTH)}${text}` : `${label}\n${' '.repeat(WIDTH)}${text}`,
    );
    if (input.env) env.push(`  ${input.env.padEnd(WIDTH - 2)}--${input.flag ?? name}`);
  }
  lines.push('', 'Global flags:');
  lines.push(
    `${'  -v, --verbosity string'.padEnd(WIDTH)}panic|fatal|error|warn|info|debug|trace (default "info")`,
  );
  lines.push(
    `${'      --log-format string'.padEnd(WIDTH)}auto|text|color|json (default "auto": color on a terminal)`,
  );
  lines.push(`${'      --log-timestamp'.padEnd(WIDTH)}Prefix log lines with a timestamp.`);
  lines.push(`${'  -h, --help'.padEnd(WIDTH)}Show this help.`);
  if (env.length > 0) lines.push('', 'Environment (used when the flag is not given):', ...env);
  lines.push('', 'Outputs (printed as name=value on standard output, or JSON with --log-format json):');
  for (const [name, output] of Object.entries(spec.outputs))
    lines.push(`  ${name.padEnd(WIDTH - 2)}${output.description}`);
  lines.push(
    '',
    'Exit codes:',
    ...EXIT_CODE_HELP.map(([code, text]) => `  ${String(code).padEnd(WIDTH - 2)}${text}`),
  );
  return `${lines.join('\n')}\n`;
}

/** `kaniko-ts --help`. */
export function renderMainHelp(steps: readonly { readonly spec: StepSpec }[]): string {
  const lines = [
    'Usage: kaniko-ts <command> [flags]',
    '',
    'Daemonless container image builds, cosign-compatible signing, SBOM attestation and verification.',
    '',
    'Commands:',
    ...steps.map((s) => `  ${s.spec.name.padEnd(WIDTH - 2)}${s.spec.description}`),
    '',
    'Run "kaniko-ts <command> --help" for the flags of a command.',
    'In a GitLab CI job, inputs also come from KANIKO_TS_INPUT_<NAME> variables (set by the components).',
    '',
    'Exit codes:',
    ...EXIT_CODE_HELP.map(([code, text]) => `  ${String(code).padEnd(WIDTH - 2)}${text}`),
  ];
  return `${lines.join('\n')}\n`;
}
