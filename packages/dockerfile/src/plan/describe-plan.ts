import type { BuildPlan, PlannedInstruction } from './types.js';

function summary(ins: PlannedInstruction): string {
  switch (ins.kind) {
    case 'RUN': {
      const cmd = ins.command.form === 'exec' ? JSON.stringify(ins.command.args) : ins.command.text;
      const mounts = ins.mounts.map((m) => ` --mount=type=${m.type},target=${m.target}`).join('');
      const heredocs =
        ins.command.form === 'shell' && ins.command.heredocs.length > 0
          ? ` (+${ins.command.heredocs.length} heredoc)`
          : '';
      return `RUN${mounts}${ins.network ? ` --network=${ins.network}` : ''}${ins.security ? ` --security=${ins.security}` : ''} ${cmd}${heredocs}`;
    }
    case 'CMD':
    case 'ENTRYPOINT':
      return `${ins.kind} ${ins.command.form === 'exec' ? JSON.stringify(ins.command.args) : ins.command.text}`;
    case 'SHELL':
      return `SHELL ${JSON.stringify(ins.shell)}`;
    case 'ENV':
      return `ENV ${ins.env.map((p) => `${p.key}=${JSON.stringify(p.value)}`).join(' ')}`;
    case 'LABEL':
      return `LABEL ${ins.labels.map((p) => `${p.key}=${JSON.stringify(p.value)}`).join(' ')}`;
    case 'ARG':
      return `ARG ${ins.args.map((a) => (a.value === undefined ? a.key : `${a.key}=${JSON.stringify(a.value)}`)).join(' ')}`;
    case 'COPY':
    case 'ADD': {
      const flags = [
        ins.from !== undefined ? `--from=${ins.from}` : '',
        ins.chown !== undefined ? `--chown=${ins.chown}` : '',
        ins.chmod !== undefined ? `--chmod=${ins.chmod.text}` : '',
        ins.link ? '--link' : '',
        ins.parents ? '--parents' : '',
        ...ins.exclude.map((e) => `--exclude=${e}`),
        ins.checksum !== undefined ? `--checksum=${ins.checksum}` : '',
      ].filter((f) => f !== '');
      return [ins.kind, ...flags, ...ins.sources, ins.dest].join(' ');
    }
    case 'WORKDIR':
      return `WORKDIR ${ins.path}`;
    case 'USER':
      return `USER ${ins.user}`;
    case 'EXPOSE':
      return `EXPOSE ${ins.ports.join(' ')}`;
    case 'VOLUME':
      return `VOLUME ${JSON.stringify(ins.volumes)}`;
    case 'STOPSIGNAL':
      return `STOPSIGNAL ${ins.signal}`;
    case 'ONBUILD':
      return `ONBUILD ${ins.expression}`;
    case 'HEALTHCHECK':
      return `HEALTHCHECK ${JSON.stringify(ins.test)}`;
    default:
      return ins.original.trim();
  }
}

/** Human-readable plan for `--dry-run`: build order, stages, expanded instructions, warnings. */
export function describePlan(plan: BuildPlan): string {
  const lines: string[] = [];
  const label = (i: number) => {
    const s = plan.stages[i];
    return s?.name ? `#${i} ${s.name}` : `#${i}`;
  };
  lines.push(`build order: ${plan.order.map(label).join(' -> ')} (target ${label(plan.target)})`);
  const args = plan.metaArgs.map((a) => (a.value === undefined ? a.key : `${a.key}=${a.value}`));
  if (args.length > 0) lines.push(`global args: ${args.join(' ')}`);
  for (const s of plan.stages) {
    const base =
      s.base.kind === 'scratch'
        ? 'scratch'
        : s.base.kind === 'stage'
          ? `stage ${label(s.base.index)}`
          : s.base.ref;
    const skipped = s.reachable ? '' : ' (skipped: not needed for the target)';
    lines.push('', `stage ${label(s.index)} FROM ${base}${s.platform ? ` [${s.platform}]` : ''}${skipped}`);
    if (!s.reachable) continue;
    for (const ins of s.instructions) {
      lines.push(
        `  ${String(ins.range.start.line).padStart(4)}  ${summary(ins)}${ins.origin === 'onbuild' ? '  (ONBUILD of base)' : ''}`,
      );
    }
  }
  if (plan.warnings.length > 0) {
    lines.push('', 'warnings:');
    for (const w of plan.warnings)
      lines.push(`  ${w.line > 0 ? `line ${w.line}: ` : ''}[${w.rule}] ${w.message}`);
  }
  return `${lines.join('\n')}\n`;
}
