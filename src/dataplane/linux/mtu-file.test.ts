import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { isTortieError } from '../../lib/errors.js';
import { tempDir } from '../../../test/support/temp-dir.js';
import { readMtuFile, writeMtuFile } from './mtu-file.js';

describe('the MTU file', () => {
  const dir = tempDir('mtu');
  after(() => dir.remove());

  it('is written atomically, in a directory it creates, and only when the value changes', async () => {
    const path = join(dir.path, 'var/lib/tortie/mtu');
    assert.equal(await readMtuFile(path), null);
    assert.equal(await writeMtuFile(1450, path), true);
    assert.equal(readFileSync(path, 'utf8'), '1450\n');
    assert.equal(await writeMtuFile(1450, path), false);
    assert.equal(await writeMtuFile(1480, path), true);
    assert.equal(await readMtuFile(path), 1480);
    await assert.rejects(writeMtuFile(12, path), (e: unknown) => isTortieError(e, 'TORTIE_ERR_DATAPLANE_INVALID'));
  });
});
