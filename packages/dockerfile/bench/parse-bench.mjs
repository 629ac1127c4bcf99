// Parses a generated 5,000-line Dockerfile and prints the time per run.
// Run from the repository root:  npx tsc -b packages/dockerfile && node packages/dockerfile/bench/parse-bench.mjs
// A benchmark, not a test: there is no threshold.
import { createBuildPlan, parseDockerfile } from '../dist/index.js';

function generate(lines) {
  const out = ['# syntax=docker/dockerfile:1', 'ARG BASE=alpine:3.19', 'ARG VERSION=1.0'];
  let stage = 0;
  while (out.length < lines - 200) {
    out.push(
      `FROM \${BASE} AS s${stage}`,
      'ARG VERSION',
      `ENV APP_HOME=/opt/app${stage} VERSION=\${VERSION}`,
      'WORKDIR $APP_HOME',
    );
    for (let i = 0; i < 20; i++) {
      out.push(
        `RUN --mount=type=cache,target=/var/cache/apk apk add --no-cache pkg${i} \\`,
        `    && echo "building \${VERSION} step ${i}" \\`,
        '    # a comment inside a continuation',
        `    && mkdir -p /opt/app${stage}/d${i}`,
        `COPY --chown=1000:1000 --chmod=0644 src/${i}/ ./d${i}/`,
        `LABEL org.example.step${i}="value ${i}" other=x`,
        'RUN <<EOF',
        `echo heredoc ${i}`,
        'EOF',
      );
    }
    if (stage > 0) out.push(`COPY --from=s${stage - 1} /opt /opt`);
    out.push('USER 1000', `EXPOSE ${8000 + stage}`, 'CMD ["/bin/app"]');
    stage++;
  }
  for (let i = 0; out.length < lines; i++) out.push(`LABEL pad${i}=x`);
  return out.join('\n');
}

function measure(name, fn, runs) {
  for (let i = 0; i < 5; i++) fn(); // warm-up
  const times = [];
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    fn();
    times.push(performance.now() - t);
  }
  times.sort((a, b) => a - b);
  const mean = times.reduce((a, b) => a + b, 0) / times.length;
  const p = (q) => times[Math.min(times.length - 1, Math.floor(q * times.length))];
  console.log(
    `${name}: mean ${mean.toFixed(2)} ms, median ${p(0.5).toFixed(2)} ms, p95 ${p(0.95).toFixed(2)} ms (n=${runs})`,
  );
}

const source = generate(5000);
console.log(`5,000-line Dockerfile, ${source.length} bytes, ${source.split('\n').length} lines`);
measure('parseDockerfile (syntax tree)', () => parseDockerfile(source), 50);
measure(
  'createBuildPlan (parse, type, expand, plan; lint off)',
  () => createBuildPlan(source, { lint: false }),
  20,
);
measure('createBuildPlan (with lint)', () => createBuildPlan(source), 20);
