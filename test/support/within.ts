// Waiting for the real world to catch up: polls a check until it holds or time runs out.

import { setTimeout as sleep } from 'node:timers/promises';

/** Polls `check` every `stepMs`; returns the milliseconds it took to become true, or null. */
export async function within(ms: number, check: () => boolean | Promise<boolean>, stepMs = 50): Promise<number | null> {
  const start = performance.now();
  while (performance.now() - start < ms) {
    if (await check()) return Math.round(performance.now() - start);
    await sleep(stepMs);
  }
  return null;
}
