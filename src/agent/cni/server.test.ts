import assert from 'node:assert/strict';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { isTortieError } from '../../lib/errors.js';
import { tempDir } from '../../../test/support/temp-dir.js';
import { startCniServer } from './server.js';

const ok = () => Promise.resolve({ exitCode: 0, stdout: '' });

describe('the CNI socket', () => {
  it('a second agent does not take a socket another one answers on; a stale socket file is replaced', async () => {
    const dir = tempDir('cni-sock');
    const path = join(dir.path, 'cni.sock');
    const first = await startCniServer(path, ok);
    try {
      await assert.rejects(startCniServer(path, ok), (e: unknown) => isTortieError(e, 'TORTIE_ERR_CNI_SOCKET_IN_USE') && /another agent/.test((e as Error).message));
      assert.ok(existsSync(path), 'the first agent keeps its socket');
    } finally {
      await new Promise((r) => first.close(r));
    }
    // A socket file nobody answers on (what a crash leaves behind) is taken over.
    writeFileSync(path, '');
    const second = await startCniServer(path, ok);
    await new Promise((r) => second.close(r));
    dir.remove();
  });
});
