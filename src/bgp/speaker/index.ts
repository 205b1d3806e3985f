// The BGP speaker (adapter): sessions over node:net on the pure codec, FSM and RIB, driven by the
// agent through BgpSpeaker (config, peers, exports in; learned routes, status, Loc-RIB out).

export type { PeerType, SpeakerConfig, PeerSpec, LearnedRoute, LearnedChange, PeerStatus, SpeakerStatus, RibRoute } from './types.js';
export { BgpSpeaker, type SpeakerOptions, type SpeakerLogger } from './speaker.js';
export { sockoptAvailable, MD5_MAX_KEY } from './sockopt.js';
export { RealClock } from './real-clock.js';
