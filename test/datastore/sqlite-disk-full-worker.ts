// The writer of `sqlite-disk-full.test.ts`. It runs inside a mount namespace of its own in which
// DIR is a 2 MiB tmpfs (nothing of it shows outside, and it goes away with the process), fills that
// disk through the real store — resources through ResourceClient, addresses through IpamService —
// and reports what it saw, one JSON line per step; the test judges. The CLI runs it starts are in
// the same namespace, so they see the same full disk.
//
//   setup   two filler files (to free later), the store, a pool and a node; a second store, closed
//   fill    writes until three in a row fail, then the smallest writes until those fail too
//   full    with the disk full: a 30-resource apply, an allocation and a release (multi-key
//           commits) read back; reads; `tortie get`, `tortie apply` (until one fails); integrity_check
//   freed   the filler deleted: the same writes work, the CLI apply too
//   fresh   the second store, the disk full to the last byte: a new process cannot even
//           build the store's shared-memory index (SQLite: SQLITE_IOERR_SHMSIZE, not SQLITE_FULL)
//
// argv: <DIR>

import { closeSync, openSync, readdirSync, statfsSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { SqliteStore } from '../../src/datastore/sqlite/index.js';
import { handleKey } from '../../src/ipam/block/index.js';
import { IpamService } from '../../src/ipam/service/index.js';
import { isTortieError } from '../../src/lib/errors.js';
import { GlobalNetworkSet, IPPool, validateDocument, type Resource } from '../../src/model/index.js';
import { ResourceClient } from '../../src/resources/index.js';
import { audit, ipamState } from '../support/ipam-audit.js';
import { tortie, type CliResult } from '../support/tortie-cli.js';

const dir = process.argv[2]!;
const path = join(dir, 'store.db');
const filler = join(dir, 'tt-filler');
const freshFiller = join(dir, 'tt-filler-fresh');

const report = (step: string, facts: Record<string, unknown>): void => { writeSync(1, `${JSON.stringify({ step, ...facts })}\n`); };
const errorOf = (e: unknown): { code: string; message: string; details?: unknown } => (isTortieError(e)
  ? { code: e.code, message: e.message, details: e.details }
  : { code: 'not a TortieError', message: e instanceof Error ? e.stack ?? e.message : String(e) });
/** The call's error, or null when it worked. */
const failure = async (f: () => Promise<unknown>): Promise<ReturnType<typeof errorOf> | null> => {
  try { await f(); return null; } catch (e) { return errorOf(e); }
};
const freeBytes = (): number => { const s = statfsSync(dir); return s.bavail * s.bsize; };
const files = (): Record<string, number> => Object.fromEntries(readdirSync(dir).map((f) => [f, statSync(join(dir, f)).size]));

function doc(kind: string, name: string, spec: Record<string, unknown>): Resource {
  const v = validateDocument({ apiVersion: 'projectcalico.org/v3', kind, metadata: { name }, spec });
  if (!v.ok) throw new Error(JSON.stringify(v.issues));
  return v.resource;
}
/** A GlobalNetworkSet of about 600 bytes (stored inline, without overflow pages). */
const netSet = (name: string, seed: number): Resource =>
  doc('GlobalNetworkSet', name, { nets: Array.from({ length: 24 }, (_, i) => `10.${(seed * 7 + i) % 250}.${(seed + i * 13) % 250}.0/24`) });
const poolYaml = (name: string, cidr: string): string => `apiVersion: projectcalico.org/v3\nkind: IPPool\nmetadata:\n  name: ${name}\nspec:\n  cidr: ${cidr}\n`;

/** `PRAGMA integrity_check` on a connection of its own. */
function integrity(file: string): string {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try { return (db.pragma('integrity_check', { simple: false }) as Array<Record<string, string>>).map((r) => Object.values(r)[0]).join('; '); } finally { db.close(); }
}

async function auditProblem(store: SqliteStore): Promise<string | null> {
  try { audit(await ipamState(store)); return null; } catch (e) { return e instanceof Error ? e.message : String(e); }
}

function writeFiller(file: string, bytes: number): number {
  const fd = openSync(file, 'w');
  let written = 0;
  try {
    const page = Buffer.alloc(4096, 0x74);
    try {
      while (written < bytes) written += writeSync(fd, page, 0, Math.min(page.length, bytes - written));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOSPC') throw e;
      // To the last byte: tmpfs hands out whole pages, so a byte at a time fills the last one.
      try { for (;;) written += writeSync(fd, page, 0, 1); } catch (e2) { if ((e2 as NodeJS.ErrnoException).code !== 'ENOSPC') throw e2; }
    }
  } finally {
    closeSync(fd);
  }
  return written;
}

// ---- setup --------------------------------------------------------------------------------------
writeFiller(filler, 512 * 1024);
writeFiller(freshFiller, 128 * 1024);
// A second store, closed at once (the last connection: checkpointed, its -wal and -shm removed).
const fresh = join(dir, 'tt-fresh.db');
{
  const s = new SqliteStore({ path: fresh });
  await new ResourceClient(s).apply([doc('IPPool', 'tt-fresh-pool', { cidr: '10.66.0.0/16' })]);
  await s.close();
}
const store = new SqliteStore({ path });
const resources = new ResourceClient(store);
const ipam = new IpamService(store, resources);
await resources.apply([doc('IPPool', 'tt-pool', { cidr: '10.88.0.0/16' }), doc('Node', 'tt-node', {})]);
report('setup', { freeBytes: freeBytes() });

// ---- fill ---------------------------------------------------------------------------------------
const handles: string[] = [];
const failures: Array<{ i: number; op: string } & ReturnType<typeof errorOf>> = [];
let ok = 0;
let i = 0;
/**
 * Writes until three in a row fail. A commit that failed leaves the WAL frames it managed to write
 * allocated, and the next commit reuses them: a smaller write may still fit after a larger one
 * failed. So 'tiny' goes on with the smallest writes (one small resource) until those fail too.
 */
async function fill(kind: 'mixed' | 'tiny'): Promise<void> {
  for (let inARow = 0; inARow < 3 && i < 20_000; i++) {
    const op = kind === 'tiny' ? 'tiny apply' : i % 2 === 0 ? 'apply' : 'allocate';
    const handle = `tt-fill-${i}`;
    const e = await failure(() => (op === 'allocate'
      ? ipam.autoAssign({ node: 'tt-node', handle, attributes: { node: 'tt-node', namespace: 'tt-ns', pod: `tt-pod-${i}` } })
      : resources.apply([op === 'apply' ? netSet(`tt-fill-${i}`, i) : doc('GlobalNetworkSet', `tt-fill-${i}`, { nets: ['10.1.2.0/24'] })])));
    if (e) { failures.push({ i, op, ...e }); inARow++; continue; }
    inARow = 0;
    ok++;
    if (op === 'allocate') handles.push(handle);
  }
}
await fill('mixed');
await fill('tiny');
report('fill', { ok, failures, allocations: handles.length, freeBytes: freeBytes() });

// ---- full ---------------------------------------------------------------------------------------
{
  const rev = await store.revision();
  const batch = Array.from({ length: 30 }, (_, j) => netSet(`tt-batch-${j}`, 1000 + j));
  const batchError = await failure(() => resources.apply(batch));
  const batchStored = (await resources.list(GlobalNetworkSet)).filter((r) => r.metadata.name.startsWith('tt-batch-')).length;

  const blocksBefore = JSON.stringify((await ipamState(store)).blocks);
  const allocateError = await failure(() => ipam.autoAssign({ node: 'tt-node', handle: 'tt-probe' }));
  const probeHandle = await store.get(handleKey('tt-probe')).then(() => true, () => false);
  const blocksUnchanged = JSON.stringify((await ipamState(store)).blocks) === blocksBefore;

  // A release is block + handle in one commit: both change, or neither.
  const victim = handles[0]!;
  const heldBefore = await ipam.ipsOfHandle(victim);
  const releaseError = await failure(() => ipam.releaseByHandle(victim));
  const heldAfter = await ipam.ipsOfHandle(victim);
  const handleRecord = await store.get(handleKey(victim)).then(() => true, () => false);
  const revAfter = await store.revision();

  // Reads, in this process and in a new one.
  const readError = await failure(async () => {
    await resources.get(IPPool, 'tt-pool');
    if ((await ipam.ipsOfHandle(handles[1]!)).length !== 1) throw new Error(`${handles[1]} holds no address`);
    await store.list('/calico/');
  });
  const cliGet = await tortie(['get', 'ippools', '-o', 'json'], { TORTIE_STORE_PATH: path });
  // `tortie apply` of a small pool, until one finds the disk full (one that fits in the WAL
  // frames a failed commit left is stored whole; then the tiny writes use up the rest).
  const cliApplies: Array<CliResult & { stored: boolean }> = [];
  for (let k = 0; k < 5; k++) {
    const r = await tortie(['apply', '-f', '-'], { TORTIE_STORE_PATH: path }, poolYaml(`tt-pool-full-${k}`, `10.${100 + k}.0.0/16`));
    cliApplies.push({ ...r, stored: await resources.get(IPPool, `tt-pool-full-${k}`).then(() => true, () => false) });
    if (r.code !== 0) break;
    await fill('tiny');
  }
  report('full', {
    freeBytes: freeBytes(), revisionBefore: rev, revisionAfter: revAfter,
    batchError, batchStored, allocateError, probeHandle, blocksUnchanged,
    releaseError, heldBefore, heldAfter, handleRecord,
    readError, cliGet, cliApplies,
    integrity: integrity(path), audit: await auditProblem(store),
  });
}

// ---- freed --------------------------------------------------------------------------------------
{
  unlinkSync(filler);
  const applyError = await failure(() => resources.apply([netSet('tt-after', 1)]));
  const allocateError = await failure(() => ipam.autoAssign({ node: 'tt-node', handle: 'tt-after' }));
  const batchError = await failure(() => resources.apply(Array.from({ length: 30 }, (_, j) => netSet(`tt-batch-${j}`, 1000 + j))));
  const batchStored = (await resources.list(GlobalNetworkSet)).filter((r) => r.metadata.name.startsWith('tt-batch-')).length;
  const cliApply = await tortie(['apply', '-f', '-'], { TORTIE_STORE_PATH: path }, poolYaml('tt-pool-2', '10.99.0.0/16'));
  const cliApplyStored = await resources.get(IPPool, 'tt-pool-2').then(() => true, () => false);
  report('freed', {
    freeBytes: freeBytes(), applyError, allocateError, batchError, batchStored, cliApply, cliApplyStored,
    integrity: integrity(path), audit: await auditProblem(store),
  });
}

// ---- fresh --------------------------------------------------------------------------------------
{
  const left = readdirSync(dir).filter((f) => f.startsWith('tt-fresh.db'));
  const filler2 = join(dir, 'tt-filler-2');
  writeFiller(filler2, Number.MAX_SAFE_INTEGER);
  const free = freeBytes();
  const openError = await failure(async () => { const t = new SqliteStore({ path: fresh }); await t.list('/calico/'); await t.close(); });
  const cliGetFresh = await tortie(['get', 'ippools', '-o', 'json'], { TORTIE_STORE_PATH: fresh });
  // The store this process keeps open has its index: a new process reads it on the full disk.
  const cliGetOpen = await tortie(['get', 'ippools', '-o', 'json'], { TORTIE_STORE_PATH: path });
  unlinkSync(filler2);
  unlinkSync(freshFiller);
  const cliGetFreed = await tortie(['get', 'ippools', '-o', 'json'], { TORTIE_STORE_PATH: fresh });
  report('fresh', { left, freeBytes: free, openError, cliGetFresh, cliGetOpen, cliGetFreed, integrity: integrity(fresh) });
}

await store.close();
report('done', { files: files() });
