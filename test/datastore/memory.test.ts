import { MemoryStore } from '../../src/datastore/memory/index.js';
import type { Store } from '../../src/datastore/ports.js';
import { storeContract } from './contract.js';

// One store shared by the suite, as with the real backends; each "client" is a view whose close()
// leaves the shared store open.
const shared = new MemoryStore();
const client = (): Store => ({
  description: shared.description,
  get: (k) => shared.get(k),
  list: (p) => shared.list(p),
  create: (k, v) => shared.create(k, v),
  update: (k, v, r) => shared.update(k, v, r),
  delete: (k, r) => shared.delete(k, r),
  commit: (ops) => shared.commit(ops),
  watch: (p, r, o) => shared.watch(p, r, o),
  compact: (r) => shared.compact(r),
  revision: () => shared.revision(),
  close: async () => {},
});
storeContract({ name: 'memory', open: async () => client() });
