export { KanikoError } from './kaniko-error.js';
