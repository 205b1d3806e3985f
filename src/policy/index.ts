// The policy engine (pure): one model of Calico policy, two outputs.
//
//   stored resources ──buildSnapshot──▶ Snapshot ──tracePacket / computeMatrix / impactOf──▶ verdicts + why
//                                          │
//                                          └──compile──▶ Ruleset (neutral IR) ──diffRulesets──▶ element deltas
//                                                           (rendered to nft by src/dataplane/nft)

export {
  buildSnapshot, endpointAt, addressOf, byOrderThenName,
  type Snapshot, type PolicyResources, type Endpoint, type Entity, type PolicyInfo, type ProfileInfo, type TierWithPolicies, type NamedPort,
} from './snapshot.js';
export { AddressIndex } from './address-index.js';
export { type Packet, TCP, UDP, SCTP, ICMP, ICMPV6 } from './packet.js';
export { parseRule, protocolNumber, protocolLabel, PROTOCOL_NUMBERS, type ParsedRule, type ParsedEntity } from './parsed-rule.js';
export { ruleMatches } from './rule-match.js';
export {
  evaluateDirection, policyApplies,
  type Direction, type Verdict, type DirectionResult, type Decision, type TierVisit, type PolicyVisit, type ProfileVisit,
} from './evaluate.js';
export { resolvePeer, tracePacket, type Peer, type ResolvedPeer, type PeerProblem, type TraceRequest, type TraceResult, type Side } from './trace.js';
export { explainTrace } from './explain.js';
export { computeMatrix, matrixPeers, type Matrix, type MatrixRow, type MatrixRequest } from './matrix.js';
export { impactOf, withApplied, portsNamed, type ImpactRow, type ImpactRequest } from './impact.js';
export { policySelector, entitySelector, namespaceSelectorOf, serviceAccountsOf } from './effective-selector.js';
export {
  type Ruleset, type IRSet, type IRMap, type IRChain, type IRRule, type Match, type Verdict as IRVerdict, type Family, type SetType,
  MARK_ACCEPT, MARK_PASS, MARK_APPLIED, MARK_ALL, countRules, countElements,
} from './ports.js';
export { compile, policyChainName, profileChainName, profileListChainName, type CompileOptions } from './compile/compile.js';
export { locateDecision, type RuleLocation } from './compile/locate.js';
export { diffRulesets, structureOf, type RulesetDiff, type SetDelta, type MapDelta } from './compile/diff.js';
export { disjointCIDRs } from './compile/sets.js';
