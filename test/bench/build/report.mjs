// Markdown tables for build-peers.bench.mjs (pasted into READMEs as printed).
import { summarize } from '../lib/measure.mjs';

const s = (x) => (x === undefined ? '–' : x.toFixed(2));
const ratio = (a, b) => (a && b ? `${(a.median / b.median).toFixed(2)}×` : '–');
const range = (c) => (c ? `${s(c.median)} (${s(c.min)}–${s(c.max)})` : '–');
const overFloor = (k, f) => (k && f ? `${((k.median - f.median) * 1000).toFixed(0)} ms` : '–');
const med = (xs) => (xs.length ? summarize(xs).median : undefined);

function table(head, rows) {
  return [
    `| ${head.join(' | ')} |`,
    `|${head.map(() => '---').join('|')}|`,
    ...rows.map((r) => `| ${r.join(' | ')} |`),
  ].join('\n');
}

export function formatReport(results, { runs, warm, flavour, load, uplink }) {
  const out = [];
  out.push(
    `\n### kaniko-ts vs buildah bud --layers, same run (seconds, median of ${runs}; ratio = kaniko-ts / buildah)`,
  );
  out.push(
    `kaniko-ts: one node process per build, ${flavour}, start-up included; buildah: \`bud --layers\` + \`push\`. ` +
      `Both push to the same loopback registry${uplink ? `, through a proxy that limits uploads to ${uplink} MiB/s` : ''}. Load average ${load.map((l) => l.toFixed(1)).join(' → ')} on 2 cores (other work running). ` +
      "Floor: build/push-floor.mjs, a bundled node process that sends only the requests of kaniko-ts's warm push with undici (base manifests ‖ upload session; layer HEADs ‖ config PUT ‖ the tag's manifest HEAD; the manifest PUT only if the tag named another image), re-pushing the image kaniko-ts pushed: node start-up, undici and the registry, without any of kaniko-ts's own work. " +
      'Published columns: TESTING.md "Measured peers" (kaniko 1.23.2, buildah 1.28, same machine type, n=5, tmpfs), for reference only; compare ratios, not seconds, across runs.\n',
  );
  out.push(
    table(
      [
        'Dockerfile',
        'kaniko-ts cold',
        'buildah cold',
        'ratio cold',
        ...(warm
          ? [
              'kaniko-ts warm (--cache-dir)',
              'buildah warm',
              'ratio warm',
              'node + undici floor warm',
              'kaniko-ts warm over floor',
            ]
          : []),
        'kaniko 1.23.2 cold / warm (published, not measured here)',
        'published kaniko / buildah ratio cold / warm',
      ],
      results.map(({ row, cells, published }) => [
        row.title,
        range(cells.kanikoCold),
        range(cells.buildahCold),
        ratio(cells.kanikoCold, cells.buildahCold),
        ...(warm
          ? [
              range(cells.kanikoWarm),
              range(cells.buildahWarm),
              ratio(cells.kanikoWarm, cells.buildahWarm),
              range(cells.floorWarm),
              overFloor(cells.kanikoWarm, cells.floorWarm),
            ]
          : []),
        `${s(published.kanikoCold)} / ${s(published.kanikoWarm)}`,
        `${(published.kanikoCold / published.buildahCold).toFixed(2)}× / ${(published.kanikoWarm / published.buildahWarm).toFixed(2)}×`,
      ]),
    ),
  );

  out.push(`\n### Where the time goes (medians, seconds)`);
  out.push(
    'kaniko-ts phases come from its own `--log-format json` lines: "start-up" = process spawn to the first log line (node start, bundle evaluation, argument parsing), "setup" = to the first stage event (push-permission check, context, base manifests and configs, cache keys), "instructions" = the instructions\' own durations (base pull + extraction happen inside the first one that needs a file system), "after" = last instruction to process exit (image assembly, push of config + manifest and of layers still uploading, exit). ' +
      'buildah: `bud` and `push` processes. Peak RSS = largest process (GNU time), max over all runs of the row. Image = layers / compressed MB as pushed.\n',
  );
  const phases = (c) => {
    const rep = c.runs.map((r) => r.report);
    return [
      s(c.median),
      s(med(rep.map((r) => r.startupMs / 1000))),
      s(med(rep.map((r) => r.setupMs / 1000))),
      s(med(rep.map((r) => r.instructionsMs / 1000))),
      s(med(rep.map((r) => r.afterInstructionsMs / 1000))),
    ];
  };
  out.push(
    table(
      [
        'Dockerfile',
        'run',
        'kaniko-ts process',
        'start-up',
        'setup',
        'instructions',
        'after',
        'buildah bud',
        'buildah push',
        'peak RSS kaniko-ts / buildah MiB',
        'image kaniko-ts / buildah',
      ],
      results.flatMap(({ row, cells, images }) => {
        const line = (which, k, b) => [
          row.title,
          which,
          ...phases(k),
          s(med(b.runs.map((r) => r.budSeconds))),
          s(med(b.runs.map((r) => r.pushSeconds))),
          `${Math.max(...k.runs.map((r) => r.peakRssMiB)).toFixed(0)} / ${Math.max(...b.runs.map((r) => r.peakRssMiB)).toFixed(0)}`,
          `${images.kaniko.layers} / ${images.kaniko.mb.toFixed(1)} MB · ${images.buildah.layers} / ${images.buildah.mb.toFixed(1)} MB`,
        ];
        return [
          line('cold', cells.kanikoCold, cells.buildahCold),
          ...(cells.kanikoWarm && cells.buildahWarm
            ? [line('warm', cells.kanikoWarm, cells.buildahWarm)]
            : []),
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
