export { Agent, type AgentOptions } from './agent.js';
export type { Logger } from './logger.js';
export type { AgentStatus } from './status.js';
export { runAgent, type AgentRunOptions } from './run.js';
