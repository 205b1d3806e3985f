export { buildProgram, run, VERSION } from './main.js';
export { reportError } from './report-error.js';
export { datastoreConfig, type GlobalOptions } from './context.js';
export { withResources } from './context.js';
export { defaultNode } from './commands/node.js';
export { parsePeer, parseProtocol, resolveOrThrow } from './commands/policy.js';
