export { DOTENV_LIMITS, dotenvVariables, renderDotenv } from './dotenv.js';
export { GitlabError, type GitlabErrorCode } from './gitlab-error.js';
export { gitlabInputs, inputVariable, mergeInputs } from './gitlab-inputs.js';
export { type DockerConfig, withGitlabRegistryAuth } from './registry-auth.js';
export {
  ARTIFACT_DIR,
  componentInputs,
  DEFAULT_EXECUTOR_IMAGE,
  DOTENV_FILE,
  type GitlabInput,
  renderComponent,
} from './render-component.js';
export { sectionEnd, sectionStart } from './sections.js';
export { defaultVerifyIdentity } from './verify-identity.js';
