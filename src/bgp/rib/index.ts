// The BGP RIB, pure: Adj-RIB-In per peer (import checks, max-prefix, graceful-restart staleness),
// the Loc-RIB with best path and ECMP, Adj-RIB-Out per peer (export rules, route reflection,
// UPDATE packing, End-of-RIB).

export type { PeerInfo, Path, RibConfig } from './types.js';
export { isExternal } from './types.js';
export { BEST_PATH, ECMP_BOUNDARY, chooseBest, type BestResult, type Comparator, type Verdict } from './best-path.js';
export { importPath, type ImportOptions, type ImportPolicy, type ImportVerdict } from './import.js';
export { Rib, routeKey, type BestChange, type RouteKey, type UpdateOutcome } from './rib.js';
export { PathSourceTable, RibPath, type PathSource } from './path-source.js';
export { exportPath, type Advertised, type ExportPolicy } from './export.js';
export { packUpdates, type Announce, type Withdraw } from './pack.js';
export { AdjRibOut } from './adj-rib-out.js';
export { maxPrefixNotification } from './max-prefix.js';
