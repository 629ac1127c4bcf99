// Markdown tables for build-peers.bench.mjs (pasted into READMEs as printed).
import { summarize } from '../lib/measure.mjs';

const s = (x) => (x === undefined ? '–' : x.toFixed(2));
const ratio = (a, b) => (a && b ? `${(a.median / b.median).toFixed(2)}×` : '–');
const range = (c) => (c ? `${s(c.median)} (${s(c.min)}–${s(c.max)})` : '–');
const med = (xs) => (xs.length ? summarize(xs).median : undefined);

function table(head, rows) {
  return [
    `| ${head.join(' | ')} |`,
    `|${head.map(() => '---').join('|')}|`,
    ...rows.map((r) => `| ${r.join(' | ')} |`),
  ].join('\n');
}

export function formatReport(results, { runs, warm, flavour, load }) {
  const out = [];
  out.push(
    `\n### kaniko-ts vs buildah bud --layers, same run (seconds, median of ${runs}; ratio = kaniko-ts / buildah)`,
  );
  out.push(
    `kaniko-ts: one node process per build (${flavour}), start-up included; buildah: \`bud --layers\` + \`push\`. ` +
      `Both push to the same loopback registry. Load average ${load.map((l) => l.toFixed(1)).join(' → ')} on 2 cores (other work running). ` +
      'Published columns: TESTING.md "Measured peers" (kaniko 1.23.2, buildah 1.28, same machine type, n=5, tmpfs), for reference only; compare ratios, not seconds, across runs.\n',
  );
  out.push(
    table(
      [
        'Dockerfile',
        'kaniko-ts cold',
        'buildah cold',
        'ratio cold',
        ...(warm ? ['kaniko-ts warm (--cache-dir)', 'buildah warm', 'ratio warm'] : []),
        'kaniko 1.23.2 cold / warm (published, not measured here)',
        'published kaniko / buildah ratio cold / warm',
      ],
      results.map(({ row, cells, published }) => [
        row.title,
        range(cells.kanikoCold),
        range(cells.buildahCold),
        ratio(cells.kanikoCold, cells.buildahCold),
        ...(warm
          ? [range(cells.kanikoWarm), range(cells.buildahWarm), ratio(cells.kanikoWarm, cells.buildahWarm)]
          : []),
        `${s(published.kanikoCold)} / ${s(published.kanikoWarm)}`,
        `${(published.kanikoCold / published.buildahCold).toFixed(2)}× / ${(published.kanikoWarm / published.buildahWarm).toFixed(2)}×`,
      ]),
    ),
  );

  out.push(`\n### Where the time goes (cold runs, medians, seconds)`);
  out.push(
    'kaniko-ts phases come from the build\'s own events: "load" = importing the compiled packages, "setup" = push-permission check, context, executor/snapshotter probes and base manifests, "instructions" = all instructions (base pull + extraction happens inside the first one that needs a file system), "assemble+push" = after the last instruction. ' +
      'buildah: `bud` and `push` processes. Peak RSS = largest process (GNU time), max over all runs of the row. Image = layers / compressed MB as pushed.\n',
  );
  out.push(
    table(
      [
        'Dockerfile',
        'kaniko-ts process',
        'load',
        'setup',
        'instructions',
        'assemble+push',
        'buildah bud',
        'buildah push',
        'peak RSS kaniko-ts / buildah MiB',
        'image kaniko-ts / buildah',
      ],
      results.map(({ row, cells, images }) => {
        const rep = cells.kanikoCold.runs.map((r) => r.report);
        const allK = [...cells.kanikoCold.runs, ...(cells.kanikoWarm?.runs ?? [])];
        const allB = [...cells.buildahCold.runs, ...(cells.buildahWarm?.runs ?? [])];
        return [
          row.title,
          s(cells.kanikoCold.median),
          s(med(rep.map((r) => r.loadMs / 1000))),
          s(med(rep.map((r) => r.beforeStagesMs / 1000))),
          s(med(rep.map((r) => r.instructionsMs / 1000))),
          s(med(rep.map((r) => r.afterInstructionsMs / 1000))),
          s(med(cells.buildahCold.runs.map((r) => r.budSeconds))),
          s(med(cells.buildahCold.runs.map((r) => r.pushSeconds))),
          `${Math.max(...allK.map((r) => r.peakRssMiB)).toFixed(0)} / ${Math.max(...allB.map((r) => r.peakRssMiB)).toFixed(0)}`,
          `${images.kaniko.layers} / ${images.kaniko.mb.toFixed(1)} MB · ${images.buildah.layers} / ${images.buildah.mb.toFixed(1)} MB`,
        ];
      }),
    ),
  );

  out.push('\n### kaniko-ts per instruction (cold runs, median ms)\n');
  for (const { row, cells } of results) {
    const rep = cells.kanikoCold.runs.map((r) => r.report);
    const parts = rep[0].timings.map((t, i) => {
      const ms = med(rep.map((r) => r.timings[i]?.ms ?? 0));
      const text = t.text.length > 48 ? `${t.text.slice(0, 47)}…` : t.text;
      return `\`${text}\` ${ms.toFixed(0)}${t.layer ? '' : ' (no layer)'}`;
    });
    out.push(`- ${row.title}: ${parts.join('; ')}`);
  }
  const snap = [...new Set(results.flatMap((r) => r.cells.kanikoCold.runs.flatMap((x) => x.report.info)))];
  out.push(`\nkaniko-ts said: ${snap.join(' | ')}`);
  out.push(`Sources: ${results.map((r) => `${r.row.id}: ${r.row.source}`).join('; ')}.`);
  return out.join('\n');
}
