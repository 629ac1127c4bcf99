import type { BuildPlan } from '@kaniko-ts/dockerfile';

/**
 * The `--dry-run` report: the stages the target needs in build order, each base resolved to a digest,
 * and every instruction after expansion, without building anything.
 */
export async function describeBuild(
  plan: BuildPlan,
  digestOf: (ref: string) => Promise<string>,
): Promise<string> {
  const lines: string[] = [];
  const skipped = plan.stages
    .filter((s) => !plan.order.includes(s.index))
    .map((s) => s.name ?? String(s.index));
  lines.push(
    `target: stage ${plan.target}; building stages ${plan.order.join(', ')}${skipped.length ? `; skipping ${skipped.join(', ')}` : ''}`,
  );
  for (const index of plan.order) {
    const stage = plan.stages[index];
    if (!stage) continue;
    let base: string = stage.baseText;
    if (stage.base.kind === 'image') base = `${stage.base.ref}@${await digestOf(stage.base.ref)}`;
    else if (stage.base.kind === 'stage') base = `stage ${stage.base.index}`;
    lines.push(
      `stage ${index}${stage.name ? ` (${stage.name})` : ''} FROM ${base}${stage.platform ? ` --platform=${stage.platform}` : ''}`,
    );
    for (const ins of stage.instructions) lines.push(`  ${ins.range.start.line}: ${describe(ins)}`);
  }
  return `${lines.join('\n')}\n`;
}

function describe(ins: BuildPlan['stages'][number]['instructions'][number]): string {
  switch (ins.kind) {
    case 'ENV':
      return `ENV ${ins.env.map((e) => `${e.key}=${JSON.stringify(e.value)}`).join(' ')}`;
    case 'ARG':
      return `ARG ${ins.args.map((a) => (a.value === undefined ? a.key : `${a.key}=${JSON.stringify(a.value)}`)).join(' ')}`;
    case 'LABEL':
      return `LABEL ${ins.labels.map((l) => `${l.key}=${JSON.stringify(l.value)}`).join(' ')}`;
    case 'WORKDIR':
      return `WORKDIR ${ins.path}`;
    case 'USER':
      return `USER ${ins.user}`;
    case 'COPY':
    case 'ADD':
      return `${ins.kind}${ins.from ? ` --from=${ins.from}` : ''}${ins.chown ? ` --chown=${ins.chown}` : ''} ${ins.sources.join(' ')} ${ins.dest}`;
    case 'EXPOSE':
      return `EXPOSE ${ins.ports.join(' ')}`;
    case 'VOLUME':
      return `VOLUME ${JSON.stringify(ins.volumes)}`;
    default:
      return ins.original;
  }
}
