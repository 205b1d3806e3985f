// The RFC 4271 §8 session FSM as data: states, events, actions, per-peer configuration.

import type { LocalOpenSettings, Message, Negotiated, NotificationMessage, OpenMessage, WireError } from '../codec/index.js';

export type StateName = 'Idle' | 'Connect' | 'Active' | 'OpenSent' | 'OpenConfirm' | 'Established';

/**
 * RFC 4271 §8.1.3 timers, plus IdleHold (§8.1.1 DampPeerOscillations) and ErrorForget, after
 * which a stable session resets the idle-hold backoff (BIRD's `error forget time`).
 */
export type TimerName = 'ConnectRetry' | 'Hold' | 'Keepalive' | 'DelayOpen' | 'IdleHold' | 'ErrorForget';

export interface PeerConfig {
  readonly localAs: number;
  readonly localId: string;
  /** The AS the peer must announce (Bad Peer AS otherwise). */
  readonly peerAs: number;
  /** What we announce in our OPEN (AS, identifier and hold time are taken from this config). */
  readonly open: Omit<LocalOpenSettings, 'as' | 'bgpId' | 'holdTime'>;
  /** Seconds. BIRD: 240 (0 = no keepalives, else ≥ 3). */
  readonly holdTime: number;
  /** Seconds; capped at a third of the negotiated hold time. BIRD: 80. */
  readonly keepalive: number;
  /** BIRD `connect retry time` (Calico: 5). */
  readonly connectRetry: number;
  /** BIRD `connect delay time` (Calico: 2): wait (listening) this long before the first connect. */
  readonly connectDelay: number;
  /** BIRD `error wait time min,max` (Calico: 5,30): idle-hold backoff after an error, doubling. */
  readonly errorWait: readonly [min: number, max: number];
  /** BIRD `error forget time` (300): a session up this long forgets its earlier errors. */
  readonly errorForget: number;
  /** RFC 4271 §8.1.1 DelayOpen, seconds; 0 = off. */
  readonly delayOpen: number;
  /** Never connect, only accept (BIRD `passive on`; Calico sets it towards higher-IP peers). */
  readonly passive: boolean;
  /** RFC 4271 DampPeerOscillations: grow the idle hold on repeated errors. */
  readonly dampPeerOscillations: boolean;
}

export interface FsmState {
  readonly name: StateName;
  readonly config: PeerConfig;
  /** RFC 4271 §8.1.1 ConnectRetryCounter. */
  readonly connectRetryCounter: number;
  /** Seconds the next IdleHold lasts (the backoff). */
  readonly idleHoldTime: number;
  /** Restart automatically after errors (set by ManualStart/AutomaticStart, cleared by ManualStop). */
  readonly automatic: boolean;
  readonly timers: readonly TimerName[];
  readonly peerOpen?: OpenMessage;
  readonly negotiated?: Negotiated;
}

/**
 * RFC 4271 event 8: the local system stops the session itself (e.g. the peer sent more prefixes
 * than allowed, RFC 4486). By default a Cease with `subcode` (Administrative Reset) is sent and the
 * restart follows the idle-hold backoff; the event may instead carry the exact NOTIFICATION, a
 * fixed hold-down before the automatic restart, or no automatic restart at all.
 */
export interface AutomaticStopEvent {
  readonly type: 'AutomaticStop';
  readonly subcode?: number;
  readonly text?: string;
  /** The NOTIFICATION to send, when a Cease with `subcode` and `text` is not enough (RFC 4486 data). */
  readonly notification?: NotificationMessage;
  /** Seconds in Idle before the automatic restart, instead of the DampPeerOscillations backoff. */
  readonly holdDown?: number;
  /** Stay in Idle until started again (ManualStart): no automatic restart. */
  readonly disable?: boolean;
}

export type FsmEvent =
  | { readonly type: 'ManualStart' }                           // 1
  | { readonly type: 'ManualStop'; readonly text?: string }    // 2
  | { readonly type: 'AutomaticStart' }                        // 3
  | AutomaticStopEvent                                        // 8
  | { readonly type: 'ConnectRetryTimerExpires' }              // 9
  | { readonly type: 'HoldTimerExpires' }                      // 10
  | { readonly type: 'KeepaliveTimerExpires' }                 // 11
  | { readonly type: 'DelayOpenTimerExpires' }                 // 12
  | { readonly type: 'IdleHoldTimerExpires' }                  // 13
  | { readonly type: 'ErrorForgetTimerExpires' }
  | { readonly type: 'TcpCRAcked' }                            // 16: our connect() succeeded
  | { readonly type: 'TcpConnectionConfirmed' }                // 17: we accepted the peer's connect
  | { readonly type: 'TcpConnectionFails' }                    // 18
  | { readonly type: 'BGPOpen'; readonly open: OpenMessage }   // 19/20
  | { readonly type: 'BGPHeaderErr'; readonly error: WireError } // 21
  | { readonly type: 'BGPOpenMsgErr'; readonly error: WireError } // 22
  | { readonly type: 'OpenCollisionDump' }                     // 23
  | { readonly type: 'NotifMsgVerErr'; readonly notification: NotificationMessage } // 24
  | { readonly type: 'NotifMsg'; readonly notification: NotificationMessage } // 25
  | { readonly type: 'KeepAliveMsg' }                          // 26
  | { readonly type: 'UpdateMsg' }                             // 27 (ROUTE-REFRESH too)
  | { readonly type: 'UpdateMsgErr'; readonly error: WireError }; // 28

export type FsmAction =
  | { readonly type: 'connect' }
  | { readonly type: 'send'; readonly message: Message }
  | { readonly type: 'startTimer'; readonly timer: TimerName; readonly seconds: number }
  | { readonly type: 'stopTimer'; readonly timer: TimerName }
  | { readonly type: 'dropConnection' }
  | { readonly type: 'established'; readonly negotiated: Negotiated; readonly peerOpen: OpenMessage }
  | {
    readonly type: 'down';
    readonly reason: string;
    /** Routes learned on this session must be dealt with (flushed, or kept stale under graceful restart). */
    readonly wasEstablished: boolean;
    readonly sent?: NotificationMessage;
    readonly received?: NotificationMessage;
  };

export interface StepResult { readonly state: FsmState; readonly actions: readonly FsmAction[] }
