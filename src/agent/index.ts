export { Agent, type AgentOptions, type AgentStatus, type DataplaneDriver as AgentDataplane, type Logger } from './agent.js';
export { runAgent, type AgentRunOptions } from './run.js';
