// The BGP session FSM (RFC 4271 §8), pure: step(state, event) → {state, actions}; a Clock port and
// a runner that turns timer actions into timer events; collision detection (§6.8).

export type * from './types.js';
export { CALICO_DEFAULTS, peerConfig, initialState } from './config.js';
export { step, OPEN_HOLD_TIME } from './step.js';
export { checkOpen, localOpenOf, type OpenVerdict } from './check-open.js';
export { resolveCollision, type CollisionVerdict, type ConnectionView } from './collision.js';
export { FakeClock, type Clock, type TimerHandle } from './clock.js';
export { FsmRunner } from './runner.js';
export { eventOf } from './events.js';
