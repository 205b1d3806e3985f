// Waiting for the real world to catch up: polls a check until it holds or time runs out.

import { setTimeout as sleep } from 'node:timers/promises';

/** Polls `check` every `stepMs`; returns the milliseconds it took to become true (0 when it held at once: compare with null), or null. */
export async function within(ms: number, check: () => boolean | Promise<boolean>, stepMs = 50): Promise<number | null> {
  const start = performance.now();
  while (performance.now() - start < ms) {
    if (await check()) return Math.round(performance.now() - start);
    await sleep(stepMs);
  }
  return null;
}

/**
 * An observation window: polls `check` every `stepMs` for `ms` (at least once, and once more at the
 * end); false as soon as it fails. For "stays up", "is kept", "never comes up" — a sleep followed by
 * one look would miss a flap in between.
 */
export async function holdsFor(ms: number, check: () => boolean | Promise<boolean>, stepMs = 50): Promise<boolean> {
  const start = performance.now();
  for (;;) {
    if (!(await check())) return false;
    const left = ms - (performance.now() - start);
    if (left <= 0) return true;
    await sleep(Math.min(stepMs, left));
  }
}
