import { onSurface, type StepSpec, yamlString } from '@kaniko-ts/steps';

const q = (v: unknown): string =>
  typeof v === 'string' ? yamlString(v) : Array.isArray(v) ? `[${v.map(q).join(', ')}]` : JSON.stringify(v);

/** `actions/<step>/action.yml`, generated from the step's spec. */
export function renderActionYml(spec: StepSpec): string {
  const lines = [
    `# Generated from packages/steps/src/${spec.name}/spec.ts by scripts/gen.mjs. Do not edit.`,
    `name: ${q(`kaniko-ts ${spec.name}`)}`,
    `description: ${q(spec.description)}`,
    'author: kaniko-ts',
    'branding:',
    '  icon: package',
    '  color: blue',
    'inputs:',
  ];
  for (const [name, input] of Object.entries(spec.inputs)) {
    if (!onSurface(input, 'github')) continue;
    let description = input.description;
    if (input.type === 'list') description += ' Newline- or comma-separated.';
    if (input.type === 'enum') description += ` One of: ${input.options?.join(', ')}.`;
    if (input.type === 'secret') description += ' Pass it from a secret.';
    if (input.env) description += ` Falls back to $${input.env}.`;
    lines.push(
      `  ${name}:`,
      `    description: ${q(description)}`,
      `    required: ${input.required === true}`,
    );
    const d = input.default;
    if (d !== undefined) lines.push(`    default: ${q(Array.isArray(d) ? d.join('\n') : String(d))}`);
  }
  lines.push('outputs:');
  for (const [name, output] of Object.entries(spec.outputs)) {
    const description = output.env
      ? `${output.description} Also exported as $${output.env}.`
      : output.description;
    lines.push(`  ${name}:`, `    description: ${q(description)}`);
  }
  lines.push('runs:', '  using: node24', '  main: dist/index.js');
  return `${lines.join('\n')}\n`;
}
