// The embedded store killed mid-transaction, 1,000 times (docs/reliability.md). A writer process
// (sqlite-crash-worker.ts) works the store as two nodes' CNI traffic does — IPAM allocations and
// releases, block claims, endpoints, and a three-key ledger commit — and dies by SIGKILL 0 to
// MAX_DELAY_MS after it says it runs (the delays seeded). After every kill:
//
//   the file opens (a new SqliteStore: WAL recovery)            no commit half-applied: the store's
//   PRAGMA quick_check (integrity_check every 100 kills)        tables agree (meta, kv, log rows),
//   every commit the writer saw return is there, and at most    the ledger's three keys agree, IPAM
//   the one in flight besides                                   blocks agree with their handles
//
// and `ipam check` (in-process after every kill, the real CLI every 100 kills and at the end) finds
// nothing but what a killed CNI operation leaves by design: at most one address without its
// WorkloadEndpoint (the kill fell between the IPAM commit and the endpoint's), and pending
// affinities (a block claim cut between its two phases, Calico's design). The next writer's GC
// releases the leaked address, as a runtime's CNI GC would.
//
// Lives are started ahead (WARM): starting node and loading some 240 modules costs 0.1–0.25 s of
// CPU per life, the bulk of the test's time; that way it overlaps with the kill and the checks of
// the life before.

import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { after, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { SqliteStore } from '../../src/datastore/sqlite/index.js';
import type { Store } from '../../src/datastore/ports.js';
import { IPAM_ROOT } from '../../src/ipam/block/index.js';
import { isTortieError } from '../../src/lib/errors.js';
import { checkIpam, nodeInfo, parseIpamRecords, poolInfo, workloadInfo, type FindingKind } from '../../src/ipam/report/index.js';
import { IPPool, Node, WorkloadEndpoint, validateDocument, type Resource } from '../../src/model/index.js';
import { ResourceClient } from '../../src/resources/index.js';
import { audit, ipamState } from '../support/ipam-audit.js';
import { prng } from '../support/prng.js';
import { tempDir } from '../support/temp-dir.js';
import { tortie } from '../support/tortie-cli.js';

const WORKER = fileURLToPath(new URL('./sqlite-crash-worker.js', import.meta.url));
const KILLS = 1000;
const CLI_EVERY = 100;
/** The kill comes 0 to MAX_DELAY_MS after the writer says it runs. */
const MAX_DELAY_MS = 30;
const SEED = 0x5eed_c0de;
const WARM = 3;
const LEDGER = ['/tt-crash/ledger/a', '/tt-crash/ledger/b', '/tt-crash/ledger/c'];
/** What a killed CNI operation may leave by design; anything else is an inconsistency. */
const EXPECTED: ReadonlySet<FindingKind> = new Set(['leaked', 'pending-affinity']);

const dir = tempDir('sqlite-crash');
const path = join(dir.path, 'store.db');
const children = new Set<ChildProcess>();
after(() => {
  for (const c of children) c.kill('SIGKILL');
  dir.remove();
});

/** One life of the writer: loads, waits for go, runs until killed; its marks as they came. */
class Life {
  readonly proc: ChildProcess;
  readonly marks: string[] = [];
  stderr = '';
  readonly loaded: Promise<void>;
  readonly running: Promise<void>;
  readonly closed: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  constructor(readonly index: number, finish = false) {
    this.proc = spawn(process.execPath, [WORKER, path, String(SEED + index), String(index), ...(finish ? ['finish'] : [])], { stdio: ['pipe', 'pipe', 'pipe'] });
    children.add(this.proc);
    let buf = '';
    let onLoaded!: () => void, onRunning!: () => void;
    this.loaded = new Promise((r) => { onLoaded = r; });
    this.running = new Promise((r) => { onRunning = r; });
    this.proc.stdout!.on('data', (d: Buffer) => {
      buf += d.toString();
      for (let i = buf.indexOf('\n'); i >= 0; i = buf.indexOf('\n')) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 1);
        if (line === 'W') onLoaded();
        else if (line === 'R') onRunning();
        this.marks.push(line);
      }
    });
    this.proc.stderr!.on('data', (d: Buffer) => { this.stderr += d.toString(); });
    this.closed = new Promise((resolve) => this.proc.on('close', (code, signal) => { children.delete(this.proc); resolve({ code, signal }); }));
  }

  /** Resolves when `p` does; fails when the process ends first (its stderr says why). */
  async until(p: Promise<void>, what: string, ms = 60_000): Promise<void> {
    const ended = this.closed.then(({ code, signal }) => { throw new Error(`life ${this.index} ended (${code ?? signal}) before ${what}: ${this.stderr}`); });
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new Error(`life ${this.index}: not ${what} after ${ms} ms`)), ms); });
    try { await Promise.race([p, ended, late]); } finally { clearTimeout(timer); }
  }
}

/** What the marks of a killed life say about the store it left. */
interface Verdict { lastDone: number | null; inFlight: boolean; ledgerDone: number | null; ledgerInFlight: number | null; commits: number }

function readMarks(marks: readonly string[]): Verdict {
  const v: Verdict = { lastDone: null, inFlight: false, ledgerDone: null, ledgerInFlight: null, commits: 0 };
  let nextLedger: number | null = null;
  for (const m of marks) {
    if (m.startsWith('L ')) nextLedger = Number(m.slice(2));
    else if (m === 'B') { v.inFlight = true; v.ledgerInFlight = nextLedger; nextLedger = null; }
    else if (m.startsWith('D ')) {
      v.lastDone = Number(m.slice(2)); v.commits++;
      if (v.ledgerInFlight !== null) v.ledgerDone = v.ledgerInFlight;
      v.inFlight = false; v.ledgerInFlight = null;
    } else if (m === 'F') { v.inFlight = false; v.ledgerInFlight = null; }
  }
  return v;
}

/**
 * The store's own invariants, read from its tables: one revision counter, every revision since the
 * compaction point with its log rows (seq 0…n-1), each key's current row equal to its last log
 * row, each log row's "previous" equal to the row before it. A commit applied in part breaks one.
 * The two checks that read every log row look at the rows after `since` unless `full`.
 */
function storeProblems(db: Database.Database, since: number, full: boolean): string[] {
  const out: string[] = [];
  const check = db.pragma(full ? 'integrity_check' : 'quick_check', { simple: false }) as Array<Record<string, string>>;
  const words = check.map((r) => Object.values(r)[0]);
  if (words.join() !== 'ok') out.push(`${full ? 'integrity_check' : 'quick_check'}: ${words.slice(0, 5).join('; ')}`);
  const metas = db.prepare('SELECT rev, compacted FROM meta').all() as Array<{ rev: number; compacted: number }>;
  if (metas.length !== 1) return [...out, `meta has ${metas.length} rows`];
  const { rev, compacted } = metas[0]!;
  const n = (sql: string, ...args: unknown[]): number => (db.prepare(sql).pluck().get(...args) as number | null) ?? 0;
  const from = Math.max(compacted, 2); // revision 1 is the empty store: no log rows
  const maxLog = n('SELECT max(rev) FROM log');
  if (rev > 1 && maxLog !== rev) out.push(`meta.rev is ${rev} but the last log revision is ${maxLog}`);
  const revs = n('SELECT count(DISTINCT rev) FROM log WHERE rev >= ?', from);
  if (rev > 1 && revs !== rev - from + 1) out.push(`${rev - from + 1} revisions since ${from} but ${revs} have log rows`);
  const seqGaps = n('SELECT count(*) FROM (SELECT rev FROM log GROUP BY rev HAVING min(seq) != 0 OR max(seq) + 1 != count(*))');
  if (seqGaps > 0) out.push(`${seqGaps} revisions with a gap in their log rows`);
  const stale = n(`SELECT count(*) FROM kv WHERE mod_rev > ? OR create_rev > mod_rev OR version < 1 OR json_valid(value) = 0
    OR (mod_rev >= ? AND NOT EXISTS (SELECT 1 FROM log WHERE log.rev = kv.mod_rev AND log.key = kv.key AND log.op != 'delete'
      AND log.value = kv.value AND log.version = kv.version AND log.create_rev = kv.create_rev))`, rev, from);
  if (stale > 0) out.push(`${stale} kv rows disagree with the log row of their revision`);
  const tail = full ? from : Math.max(from, since + 1);
  const lastRows = n(`SELECT count(*) FROM log l JOIN (SELECT key, max(rev) AS rev FROM log WHERE rev >= ? GROUP BY key) m ON m.key = l.key AND m.rev = l.rev
    LEFT JOIN kv ON kv.key = l.key
    WHERE (l.op = 'delete' AND kv.key IS NOT NULL) OR (l.op != 'delete' AND (kv.key IS NULL OR kv.mod_rev != l.rev))`, tail);
  if (lastRows > 0) out.push(`${lastRows} keys whose last log row is not what kv holds`);
  const chain = n(`SELECT count(*) FROM log l WHERE l.rev >= ? AND ((l.op = 'create') != (l.prev_value IS NULL)
    OR (l.prev_mod_rev >= ? AND NOT EXISTS (SELECT 1 FROM log p WHERE p.rev = l.prev_mod_rev AND p.key = l.key AND p.op != 'delete'
      AND p.value = l.prev_value AND p.version = l.prev_version)))`, tail, from);
  if (chain > 0) out.push(`${chain} log rows whose previous value is not the row before them`);
  return out;
}

/** `ipam check`'s findings, computed in-process from the same snapshot the CLI reads. */
async function ipamFindings(store: Store): Promise<Map<FindingKind, number>> {
  const client = new ResourceClient(store);
  const records = parseIpamRecords((await store.list(IPAM_ROOT)).items);
  const [pools, weps, nodes] = await Promise.all([client.list(IPPool), client.list(WorkloadEndpoint), client.list(Node)]);
  const r = checkIpam({
    pools: pools.flatMap((p) => { const i = poolInfo(p); return i ? [i] : []; }),
    ...records, workloads: weps.map(workloadInfo), nodes: nodes.map(nodeInfo),
  });
  const kinds = new Map<FindingKind, number>();
  for (const f of r.findings) kinds.set(f.kind, (kinds.get(f.kind) ?? 0) + 1);
  return kinds;
}

function allowed(kinds: ReadonlyMap<string, number>, maxLeaked: number): string | null {
  const bad = [...kinds].filter(([k]) => !EXPECTED.has(k as FindingKind));
  if (bad.length > 0) return `inconsistencies: ${JSON.stringify(Object.fromEntries(bad))}`;
  if ((kinds.get('leaked') ?? 0) > maxLeaked) return `${kinds.get('leaked')} leaked addresses, at most ${maxLeaked} allowed`;
  return null;
}

async function cliCheck(label: string, maxLeaked: number): Promise<Map<string, number>> {
  const report = join(dir.path, 'tt-report.json');
  const r = await tortie(['ipam', 'check', '-o', report], { TORTIE_STORE_PATH: path });
  const summary = new Map(Object.entries((JSON.parse(readFileSync(report, 'utf8')) as { summary: Record<string, number> }).summary));
  const problems = [...summary.values()].reduce((a, b) => a + b, 0);
  assert.equal(r.code, problems > 0 ? 1 : 0, `${label}: ipam check exit status\n${r.stdout}${r.stderr}`);
  assert.match(r.stdout, new RegExp(`Check complete; found ${problems} problems`), label);
  assert.equal(allowed(summary, maxLeaked), null, `${label}: tortie ipam check\n${r.stdout}`);
  return summary;
}

function doc(kind: string, name: string, spec: Record<string, unknown>): Resource {
  const v = validateDocument({ apiVersion: 'tortie.io/v1', kind, metadata: { name }, spec });
  assert.ok(v.ok, JSON.stringify(!v.ok && v.issues));
  return v.resource;
}

describe('embedded store: the writer killed (SIGKILL) at random moments', () => {
  it(`${KILLS} kills: the file always opens, no commit half-applied, ipam check finds only what a killed CNI operation leaves`, { timeout: 1_200_000 }, async (t) => {
    const started = performance.now();
    const setup = new SqliteStore({ path });
    await new ResourceClient(setup).apply([
      doc('IPPool', 'tt-pool', { cidr: '10.77.0.0/24', blockSize: 29 }), doc('Node', 'tt-node-a', {}), doc('Node', 'tt-node-b', {}),
    ]);
    let known = await setup.revision(); // the store revision at the last check (its log rows checked)
    let knownLedger: number | null = null; // and the ledger's value
    await setup.close();

    const random = prng(SEED);
    const warm: Life[] = [];
    let next = 0;
    const stats = { inCommit: 0, inLedger: 0, commits: 0, pending: 0, leakedAtKill: 0, cliChecks: 0, startMs: 0, checkMs: 0 };
    try {
      for (let k = 0; k < KILLS; k++) {
        while (warm.length < WARM + 1) warm.push(new Life(next++));
        const life = warm.shift()!;
        const t0 = performance.now();
        await life.until(life.loaded, 'loaded');
        life.proc.stdin!.write('go\n');
        await life.until(life.running, 'running');
        stats.startMs += performance.now() - t0;
        const delay = Math.floor(random() * (MAX_DELAY_MS + 1));
        await sleep(delay);
        life.proc.kill('SIGKILL');
        const end = await life.closed;
        const where = `kill ${k + 1} (life ${life.index}, ${delay} ms, marks …${life.marks.slice(-6).join(' ')})`;
        assert.equal(end.signal, 'SIGKILL', `${where}: the writer ended on its own: ${life.stderr}`);

        const t1 = performance.now();
        const v = readMarks(life.marks);
        stats.commits += v.commits;
        if (v.inFlight) stats.inCommit++;
        if (v.ledgerInFlight !== null) stats.inLedger++;
        const store = new SqliteStore({ path }); // the file opens (and its WAL is recovered)
        try {
          const db = new Database(path, { readonly: true, fileMustExist: true });
          try {
            assert.deepEqual(storeProblems(db, known, (k + 1) % CLI_EVERY === 0), [], where);
          } finally { db.close(); }
          // Durable and atomic: every commit the writer saw return is there; the one in flight
          // is there entirely or not at all.
          const rev = await store.revision();
          const done = v.lastDone ?? known;
          assert.ok(rev === done || (v.inFlight && rev === done + 1), `${where}: store at ${rev}, the writer last committed ${done}${v.inFlight ? ' and had one in flight' : ''}`);
          known = rev;
          const ledger = await Promise.all(LEDGER.map((key) => store.get(key).then((kv) => (kv.value as { n: number }).n, (e: unknown) => {
            if (isTortieError(e, 'TORTIE_ERR_DATASTORE_NOT_FOUND')) return null;
            throw e;
          })));
          assert.ok(ledger.every((x) => x === ledger[0]), `${where}: the ledger keys disagree: ${ledger.join(', ')}`);
          // The ledger holds the last value the writer saw committed, or the one in flight.
          const ok: Array<number | null> = [v.ledgerDone ?? knownLedger, ...(v.ledgerInFlight !== null ? [v.ledgerInFlight] : [])];
          assert.ok(ok.includes(ledger[0]!), `${where}: ledger at ${ledger[0]}, expected ${ok.join(' or ')}`);
          knownLedger = ledger[0]!;
          audit(await ipamState(store));
          const kinds = await ipamFindings(store);
          assert.equal(allowed(kinds, 1), null, `${where}: ipam check`);
          stats.pending = kinds.get('pending-affinity') ?? 0;
          stats.leakedAtKill += kinds.get('leaked') ?? 0;
        } finally {
          await store.close();
        }
        if ((k + 1) % CLI_EVERY === 0) { await cliCheck(`after kill ${k + 1}`, 1); stats.cliChecks++; }
        stats.checkMs += performance.now() - t1;
      }
    } finally {
      for (const w of warm) w.proc.kill('SIGKILL');
      await Promise.all(warm.map((w) => w.closed));
    }

    // A last life that is not killed: the runtime's GC releases what the last kill left.
    const last = new Life(next++, true);
    await last.until(last.loaded, 'loaded');
    last.proc.stdin!.write('go\n');
    const end = await last.closed;
    assert.equal(end.code, 0, last.stderr);
    const store = new SqliteStore({ path });
    try {
      const held = audit(await ipamState(store));
      const weps = await new ResourceClient(store).list(WorkloadEndpoint);
      const wepIps = weps.map((w) => String((w.spec['ipNetworks'] as string[])[0]).replace(/\/32$/, '')).sort();
      assert.deepEqual([...held.keys()].sort(), wepIps, 'every address held has its endpoint, and every endpoint its address');
      for (const w of weps) assert.equal(held.get(String((w.spec['ipNetworks'] as string[])[0]).replace(/\/32$/, ''))?.handle, `tt-net.${String(w.spec['containerID'])}`);
      const summary = await cliCheck('at the end', 0);
      stats.pending = summary.get('pending-affinity') ?? 0;
    } finally {
      await store.close();
    }
    stats.cliChecks++;

    // The test means something only if the kills hit transactions.
    assert.ok(stats.inCommit >= KILLS * 0.1, `only ${stats.inCommit} of ${KILLS} kills landed inside a commit`);
    assert.ok(stats.inLedger > 0, 'no kill landed inside a ledger commit');
    t.diagnostic(`${KILLS} kills in ${Math.round((performance.now() - started) / 1000)} s: ${stats.inCommit} inside a commit (${stats.inLedger} of them a ledger commit), `
      + `${stats.commits} commits acknowledged; ${stats.leakedAtKill} kills left an address without its endpoint (released by the next GC); `
      + `${stats.pending} pending affinities at the end; tortie ipam check run ${stats.cliChecks} times; `
      + `waiting for a started writer ${Math.round(stats.startMs / 1000)} s, checks ${Math.round(stats.checkMs / 1000)} s`);
  });
});
