// Test support, private to this room: a watcher that polls a condition in the background across
// several steps of a test ("the other session stays up and its routes stay, all along"), and
// UPDATE builders for hand-driven peers.

import { setTimeout as sleep } from 'node:timers/promises';
import { parseCIDR } from '../../lib/ip.js';
import type { Nlri, PathAttributes, UpdateMessage } from '../codec/index.js';

export interface Watch {
  /** Stops watching (again: no-op); the first failure seen (with when), or null when the condition always held. */
  stop(): Promise<string | null>;
  /** How many times the condition was looked at. */
  readonly looks: number;
}

/** Polls `problem` every `stepMs` until stopped; `problem` returns null while all is well. */
export function watch(problem: () => string | null, stepMs = 10): Watch {
  const start = performance.now();
  let failure: string | null = null;
  let running = true;
  let looks = 0;
  const look = (): string | null => { try { return problem(); } catch (e) { return `the check threw: ${(e as Error).message}`; } };
  const loop = (async () => {
    while (running) {
      looks++;
      const p = look();
      if (p !== null && failure === null) failure = `${p} (${Math.round(performance.now() - start)} ms into the watch)`;
      await sleep(stepMs);
    }
  })();
  return {
    get looks() { return looks; },
    async stop() {
      if (!running) return failure;
      running = false;
      await loop;
      looks++;
      const p = look();
      return failure ??= p === null ? null : `${p} (at the end)`;
    },
  };
}

export const nlri = (cidr: string): Nlri => {
  const c = parseCIDR(cidr);
  if (!c) throw new Error(`not a CIDR: ${cidr}`);
  return c;
};

/** An eBGP UPDATE from `as` announcing IPv4 `prefixes` via `nextHop`. */
export function announce4(as: number, nextHop: string, prefixes: readonly string[], extra: Partial<PathAttributes> = {}): UpdateMessage {
  return { type: 'update', withdrawn: [], nlri: prefixes.map(nlri), attributes: { origin: 0, asPath: [{ type: 'sequence', asns: [as] }], nextHop, ...extra } };
}

/** An eBGP UPDATE from `as` announcing IPv6 `prefixes` (MP_REACH_NLRI) via `nextHop`. */
export function announce6(as: number, nextHop: string, prefixes: readonly string[]): UpdateMessage {
  return {
    type: 'update', withdrawn: [], nlri: [],
    attributes: { origin: 0, asPath: [{ type: 'sequence', asns: [as] }], mpReach: { afi: 2, safi: 1, nextHops: [nextHop], nlri: prefixes.map(nlri) } },
  };
}
