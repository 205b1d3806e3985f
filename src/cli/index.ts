export { buildProgram, run, VERSION } from './main.js';
export { reportError } from './report-error.js';
export { datastoreConfig, type GlobalOptions } from './context.js';
