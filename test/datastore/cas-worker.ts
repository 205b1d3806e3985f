// A separate process that increments one counter key `count` times with compare-and-swap,
// retrying on conflict. Used by the contract suite: N workers × count increments must add up.
// argv: <DatastoreConfig JSON> <key> <count>

import { openStore } from '../../src/datastore/connect/index.js';
import type { DatastoreConfig } from '../../src/datastore/config.js';
import { isTortieError } from '../../src/lib/errors.js';

const [configJson, key, countText] = process.argv.slice(2);
const store = await openStore(JSON.parse(configJson!) as DatastoreConfig);
let conflicts = 0;
for (let i = 0; i < Number(countText); i++) {
  for (;;) {
    const kv = await store.get(key!);
    try {
      await store.update(key!, { n: (kv.value as { n: number }).n + 1 }, kv.revision);
      break;
    } catch (e) {
      if (!isTortieError(e, 'TORTIE_ERR_DATASTORE_CONFLICT')) throw e;
      conflicts++;
    }
  }
}
await store.close();
process.stdout.write(JSON.stringify({ conflicts }) + '\n');
