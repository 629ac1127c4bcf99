/** The CLI's version (`kaniko-ts --version`), in a module of its own so the entry answers without loading any other. */
export const VERSION = '0.1.0';
