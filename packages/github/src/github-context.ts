import { isAbsolute, relative } from 'node:path';
import type * as core from '@actions/core';
import { type StepContext, StepsError, type SummarySection } from '@kaniko-ts/steps';

type Env = Readonly<Record<string, string | undefined>>;

/** The parts of @actions/core the adapter uses (injectable for tests). */
export type ActionsCore = Pick<
  typeof core,
  | 'debug'
  | 'info'
  | 'warning'
  | 'error'
  | 'group'
  | 'setSecret'
  | 'getIDToken'
  | 'setOutput'
  | 'exportVariable'
  | 'setFailed'
  | 'summary'
  | 'isDebug'
>;

/** Markdown of the summary sections for `$GITHUB_STEP_SUMMARY`. */
export function summaryMarkdown(stepName: string, sections: readonly SummarySection[]): string {
  const esc = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, '<br>');
  const parts = [`## kaniko-ts ${stepName}`];
  for (const s of sections) {
    parts.push(
      `### ${s.title}`,
      '',
      '| | |',
      '|---|---|',
      ...s.rows.map(([k, v]) => `| ${esc(k)} | ${esc(v)} |`),
      '',
    );
  }
  return `${parts.join('\n')}\n`;
}

/**
 * A StepContext on top of @actions/core: annotations with file/line, `::group::`, `::add-mask::`,
 * and OIDC tokens via the runner's token service with a clear message when the job may not ask.
 */
export function createGithubContext(actions: ActionsCore, env: Env, tempDir: string) {
  const workspace = env.GITHUB_WORKSPACE ?? '.';
  const sections: SummarySection[] = [];
  const lastQuarter = new Map<string, number>();
  const where = (at?: { file: string; line?: number; column?: number }) =>
    at === undefined
      ? undefined
      : {
          file: isAbsolute(at.file) ? relative(workspace, at.file) : at.file,
          ...(at.line !== undefined ? { startLine: at.line } : {}),
          ...(at.column !== undefined ? { startColumn: at.column } : {}),
        };
  const ctx: StepContext = {
    log: {
      debug: (m, f) => actions.debug(f ? `${m} ${JSON.stringify(f)}` : m),
      // build progress lines (fields with `event`) read as plain lines in the job log
      info: (m, f) => actions.info(f && typeof f.event !== 'string' ? `${m} ${JSON.stringify(f)}` : m),
      warn: (m, at) => actions.warning(m, where(at)),
      error: (m, at) => actions.error(m, where(at)),
      progress(task, current, total) {
        const quarter = total ? Math.floor((current / total) * 4) : 0;
        if (total !== undefined && (lastQuarter.get(task) ?? -1) >= quarter) return;
        lastQuarter.set(task, quarter);
        actions.info(total ? `${task}: ${current}/${total}` : `${task}: ${current}`);
      },
    },
    group: (name, fn) => actions.group(name, fn),
    maskSecret(value) {
      for (const line of value.split(/\r?\n/)) if (line.trim() !== '') actions.setSecret(line);
    },
    workspace,
    tempDir,
    identity: {
      async getIdToken(audience) {
        if (!env.ACTIONS_ID_TOKEN_REQUEST_URL || !env.ACTIONS_ID_TOKEN_REQUEST_TOKEN) {
          throw new StepsError(
            'OIDC_UNAVAILABLE',
            'requesting an OIDC token for keyless signing: this job may not ask for one. Add `permissions: id-token: write` to the job (and `contents: read`), or sign with a key (`key:` from a secret).',
          );
        }
        try {
          return await actions.getIDToken(audience);
        } catch (cause) {
          throw new StepsError(
            'OIDC_UNAVAILABLE',
            `requesting an OIDC token with audience ${audience}: ${(cause as Error).message}`,
            {
              cause,
            },
          );
        }
      },
    },
    clock: { now: () => new Date() },
    env,
    addSummary(section) {
      sections.push(section);
    },
  };
  return { ctx, sections };
}
