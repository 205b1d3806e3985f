export { registerLabCommand, labStatus, type LabStatus } from './commands.js';
export { labUp, labDown, podAdd, podRemove, probe, ping, serve, addressOf, withLabStore, type UpOptions } from './lab.js';
export { loadLab, labDir, labEnv, type LabState, type LabPod, type LabNode, type Encap } from './state.js';
export { labTraceWorld, nodeTraceWorld, traceReport, renderTrace, type TraceReport, type TraceWorld } from './trace/index.js';
