import { after } from 'node:test';
import { join } from 'node:path';
import { SqliteStore } from '../../src/datastore/sqlite/index.js';
import { tempDir } from '../support/temp-dir.js';
import { storeContract } from './contract.js';

const dir = tempDir('sqlite');
after(() => dir.remove());
const path = join(dir.path, 'nested', 'store.db');

storeContract({
  name: 'embedded (SQLite)',
  open: async () => new SqliteStore({ path }),
  config: { type: 'embedded', path },
});
