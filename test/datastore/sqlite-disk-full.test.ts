// Disk full under the embedded store (docs/reliability.md). The store lives on a 2 MiB tmpfs
// mounted in a private mount namespace (unshare), so the machine's own mounts never change and the
// tmpfs goes away with the writer (sqlite-disk-full-worker.ts), which fills it through the real
// store and reports each step. Checked:
//
//   the failure is TORTIE_ERR_DATASTORE_FULL, its message naming the file and what to free;
//   a failed multi-key commit (30 resources in one apply; an allocation: block + handle; a release)
//   left nothing; reads work, in the writing process and in a new one; `tortie apply` prints the
//   error and exits 2; PRAGMA integrity_check is ok; once space is freed, writes work again;
//   a new process on a full disk that cannot even build the store's index gets FULL too.

import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, describe, it } from 'node:test';
import { ERRORS } from '../../src/lib/errors.js';
import type { CliResult } from '../support/tortie-cli.js';
import { tempDir } from '../support/temp-dir.js';

const WORKER = fileURLToPath(new URL('./sqlite-disk-full-worker.js', import.meta.url));
const FULL = 'TORTIE_ERR_DATASTORE_FULL';

/** What the worker reports of a call: its error, or null when it worked. */
type Err = { code: string; message: string; details?: Record<string, unknown> } | null;
interface Steps {
  setup?: { freeBytes: number };
  fill?: { ok: number; failures: Array<{ i: number; op: string } & NonNullable<Err>>; allocations: number; freeBytes: number };
  full?: {
    freeBytes: number; revisionBefore: number; revisionAfter: number;
    batchError: Err; batchStored: number; allocateError: Err; probeHandle: boolean; blocksUnchanged: boolean;
    releaseError: Err; heldBefore: string[]; heldAfter: string[]; handleRecord: boolean;
    readError: Err; cliGet: CliResult; cliApplies: Array<CliResult & { stored: boolean }>; integrity: string; audit: string | null;
  };
  freed?: {
    freeBytes: number; applyError: Err; allocateError: Err; batchError: Err; batchStored: number;
    cliApply: CliResult; cliApplyStored: boolean; integrity: string; audit: string | null;
  };
  fresh?: { left: string[]; freeBytes: number; openError: Err; cliGetFresh: CliResult; cliGetOpen: CliResult; cliGetFreed: CliResult; integrity: string };
}

const dir = tempDir('sqlite-full');
let child: ChildProcess | null = null;
after(() => {
  if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  dir.remove();
});

/** Runs the worker on a tmpfs of `mib` MiB in a mount namespace of its own; its steps by name. */
function runWorker(mnt: string, mib: number): Promise<{ steps: Steps; stderr: string; code: number | null }> {
  return new Promise((resolve, reject) => {
    child = spawn('unshare', ['--mount', '--propagation', 'private', 'sh', '-c',
      `mount -t tmpfs -o size=${mib}m tt-sqlite "$1" && exec "$2" --enable-source-maps "$3" "$1"`, 'sh', mnt, process.execPath, WORKER],
    { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '', err = '';
    child.stdout!.on('data', (d: Buffer) => { out += d.toString(); });
    child.stderr!.on('data', (d: Buffer) => { err += d.toString(); });
    child.on('error', reject);
    child.on('close', (code) => {
      const steps: Record<string, unknown> = {};
      for (const line of out.split('\n').filter(Boolean)) {
        const o = JSON.parse(line) as { step: string };
        steps[o.step] = o;
      }
      resolve({ steps: steps as Steps, stderr: err, code });
    });
  });
}

function isFull(e: Err, what: string): void {
  assert.ok(e, `${what}: expected ${FULL}, but it worked`);
  assert.equal(e.code, FULL, `${what}: ${e.message}`);
}

/** The CLI's answer to a full disk: one line naming the file and what to free, exit status 2. */
function cliSaysFull(r: CliResult, file: string, what: string): void {
  assert.equal(r.code, ERRORS[FULL].exit, `${what}: exit status\n${r.stdout}${r.stderr}`);
  assert.equal(r.code, 2);
  // The message is the point here: it names the file and says what to do.
  assert.match(r.stderr, new RegExp(`^Error \\[${FULL}\\]: .*${file.replaceAll('/', '\\/').replaceAll('.', '\\.')}.*the disk is full.*Free space on the filesystem holding`, 'm'), what);
  assert.doesNotMatch(r.stderr, /\n\s+at /, `${what}: no stack trace`);
}

describe('embedded store: disk full (a 2 MiB tmpfs in a private mount namespace)', { skip: process.getuid?.() !== 0 ? 'needs root (mount namespace, tmpfs)' : false }, () => {
  it('a write fails with TORTIE_ERR_DATASTORE_FULL and leaves nothing; reads work; the CLI exits 2; after space is freed, writes work again', { timeout: 300_000 }, async (t) => {
    const mnt = join(dir.path, 'mnt');
    mkdirSync(mnt);
    const path = join(mnt, 'store.db');
    const { steps, stderr, code } = await runWorker(mnt, 2);
    assert.equal(code, 0, `the worker failed: ${stderr}`);
    const { setup, fill, full, freed, fresh } = steps;
    assert.ok(setup && fill && full && freed && fresh, `missing steps: ${Object.keys(steps).join(', ')}\n${stderr}`);

    // Filling: writes worked until the disk was full, then every failure was FULL.
    const failures = fill.failures;
    assert.ok(fill.ok >= 20, `only ${fill.ok} writes before the disk was full`);
    assert.equal(failures.length >= 3, true);
    for (const f of failures) isFull(f, `fill write ${f.i} (${f.op})`);
    assert.ok(failures.some((f) => f.op === 'apply') && failures.some((f) => f.op === 'allocate'), 'both a resource write and an allocation failed');
    const first = failures[0]!;
    assert.equal(first.details?.['path'], path);
    assert.ok(first.message.includes(path), 'the message names the file');

    // With the disk full: each failed commit left nothing.
    isFull(full.batchError, 'a 30-resource apply');
    assert.equal(full.batchStored, 0, 'none of the 30 resources of the failed apply was stored');
    isFull(full.allocateError, 'an allocation');
    assert.equal(full.probeHandle, false, 'the failed allocation left no handle');
    assert.equal(full.blocksUnchanged, true, 'the failed allocation left the blocks as they were');
    const released = full.releaseError === null;
    if (!released) isFull(full.releaseError, 'a release');
    assert.deepEqual(full.heldAfter, released ? [] : full.heldBefore, 'the release changed the block entirely or not at all');
    assert.equal(full.handleRecord, !released, 'and the handle with it');
    assert.equal(full.revisionAfter, full.revisionBefore + (released ? 1 : 0), 'no failed commit took a revision');
    assert.equal(full.audit, null, 'blocks and handles agree');
    assert.equal(full.integrity, 'ok');
    // Reads work: in the writing process, and in a new one (the CLI).
    assert.equal(full.readError, null);
    const get = full.cliGet;
    assert.equal(get.code, 0, get.stderr);
    assert.ok((JSON.parse(get.stdout) as { items: Array<{ metadata: { name: string } }> }).items.some((p) => p.metadata.name === 'tt-pool'));
    // `tortie apply` of a small pool: the clear error and exit 2, nothing stored. (An apply that
    // fit in the WAL frames a failed commit had left is stored whole; the worker then filled those
    // and tried again.)
    const applies = full.cliApplies;
    const lastApply = applies[applies.length - 1]!;
    cliSaysFull(lastApply, path, 'tortie apply on the full disk');
    assert.equal(lastApply.stored, false, 'the failed apply stored nothing');
    for (const a of applies.slice(0, -1)) assert.ok(a.code === 0 && a.stored, `an apply that worked is stored: ${a.stderr}`);

    // Space freed (the filler deleted): writes work again, the CLI too.
    assert.equal(freed.applyError, null);
    assert.equal(freed.allocateError, null);
    assert.equal(freed.batchError, null);
    assert.equal(freed.batchStored, 30);
    assert.equal(freed.cliApply.code, 0, freed.cliApply.stderr);
    assert.equal(freed.cliApplyStored, true);
    assert.equal(freed.audit, null);
    assert.equal(freed.integrity, 'ok');

    // A store nobody has open, on a disk full to the last byte: a new process cannot build the
    // store's shared-memory index; that too is FULL (SQLite says SQLITE_IOERR_SHMSIZE).
    const freshPath = join(mnt, 'tt-fresh.db');
    assert.deepEqual(fresh.left, ['tt-fresh.db'], 'the closed store left no -wal or -shm');
    assert.equal(fresh.freeBytes, 0);
    isFull(fresh.openError, 'opening a store on a full disk');
    cliSaysFull(fresh.cliGetFresh, freshPath, 'tortie get of a store nobody has open, on the full disk');
    assert.equal(fresh.cliGetOpen.code, 0, `tortie get of the store the writer keeps open: ${fresh.cliGetOpen.stderr}`);
    assert.equal(fresh.cliGetFreed.code, 0, fresh.cliGetFreed.stderr);
    assert.equal(fresh.integrity, 'ok');

    t.diagnostic(`${fill.ok} writes filled the disk (${fill.allocations} allocations); first failure: ${first.details?.['sqlite']} → ${first.code}: ${first.message}`);
    t.diagnostic(`a new process opening an unopened store on the full disk: ${fresh.openError!.details?.['sqlite']} → ${fresh.openError!.code}`);
    t.diagnostic(`tortie apply on the full disk: ${applies.length} attempt(s), the last exit ${lastApply.code}: ${lastApply.stderr.trim()}`);
    t.diagnostic(`the release on the full disk ${released ? 'fit in the WAL space left by the failed commits and was applied whole' : 'failed and changed nothing'}`);
  });
});
