export {
  actionsBuildCache,
  buildCacheKeys,
  type CacheApi,
  type CacheKeys,
  contextDigest,
} from './build-cache.js';
export { type ActionsCore, createGithubContext, summaryMarkdown } from './github-context.js';
export { GITHUB_OIDC_ISSUER, githubInputs, githubInputVariable } from './github-inputs.js';
export { renderActionYml } from './render-action.js';
export { type ActionHooks, runAction } from './run-action.js';
