export { Agent, type AgentOptions, type DataplaneDriver as AgentDataplane, type Logger } from './agent.js';
export type { AgentStatus } from './status.js';
export { runAgent, type AgentRunOptions } from './run.js';
