export { Agent, type AgentOptions, type Logger } from './agent.js';
export type { AgentStatus } from './status.js';
export { runAgent, type AgentRunOptions } from './run.js';
