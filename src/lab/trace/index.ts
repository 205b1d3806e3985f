// `tortie trace`: a packet's path through the live kernels of a lab (or of one node), with the
// policy verdicts on the way.
export { labTraceWorld, nodeTraceWorld, traceReport } from './world.js';
export { renderTrace, type TraceReport } from './render.js';
export { tracePath, type TraceWorld, type TraceBox, type Hop, type PathTrace, type PolicyCheck, type Encapsulation } from './path.js';
export { LiveKernel, type KernelView, type KernelRoute } from './kernel.js';
export { longestMatch, routeText } from './routes.js';
