// A key only this agent writes (its status, its Loc-RIB for the CLI): the value replaces whatever
// is there. A conflict can only come from an earlier run of the same agent, so read-then-write is enough.

import type { Store } from '../datastore/ports.js';

export async function writeOwnKey(store: Store, key: string, value: unknown): Promise<void> {
  const kv = await store.get(key).catch(() => null);
  if (kv) await store.update(key, value, kv.revision);
  else await store.create(key, value);
}
