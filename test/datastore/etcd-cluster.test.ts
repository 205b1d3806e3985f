// A real three-member etcd cluster loses members in the ways clusters do — the member the client
// uses (the leader) killed, every member gone at once, a member's disk full, a member replaced by
// one with an empty data directory — and Tortie's etcd store rides each out: no call fails that
// the remaining quorum could serve, every compare-and-swap lands exactly once (also one whose
// answer died with its member), and a watch moves with its member and delivers every event once.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { EtcdStore } from '../../src/datastore/etcd/index.js';
import { isTortieError } from '../../src/lib/errors.js';
import type { Store, WatchEvent } from '../../src/datastore/ports.js';
import { EtcdCluster } from '../support/etcd-cluster.js';
import { within } from '../support/within.js';

const isRoot = process.getuid?.() === 0;
const P = '/tt-cluster/';

interface Tally { ok: number; failed: string[] }

/**
 * `loops` concurrent read-increment-CAS loops, each on its own key and, every other step, on one
 * shared key (contended), until `stop` says so. Conflicts are re-read and retried, as IPAM does;
 * any other failure is counted as failed. Returns the acknowledged increments per key.
 */
function incrementers(store: Store, loops: number, stop: () => boolean): { done: Promise<Map<string, number>>; tally: Tally } {
  const tally: Tally = { ok: 0, failed: [] };
  const acked = new Map<string, number>();
  const one = async (key: string, by: number): Promise<void> => {
    for (;;) {
      const cur = await store.get(key).catch((e: unknown) => { if (isTortieError(e, 'TORTIE_ERR_DATASTORE_NOT_FOUND')) return null; throw e; });
      const n = cur ? (cur.value as { n: number }).n : 0;
      try {
        // The writer in the value makes each write's bytes unique, as IPAM's handles do.
        if (cur) await store.update(key, { n: n + 1, by }, cur.revision);
        else await store.create(key, { n: 1, by });
        acked.set(key, (acked.get(key) ?? 0) + 1);
        tally.ok++;
        return;
      } catch (e) {
        if (isTortieError(e, 'TORTIE_ERR_DATASTORE_CONFLICT') || isTortieError(e, 'TORTIE_ERR_DATASTORE_ALREADY_EXISTS')) continue;
        throw e;
      }
    }
  };
  const done = Promise.all(Array.from({ length: loops }, async (_, by) => {
    for (let step = 0; !stop(); step++) {
      const key = step % 2 === 0 ? `${P}own-${by}` : `${P}shared`;
      try { await one(key, by); } catch (e) { tally.failed.push(`${key}: ${e instanceof Error ? e.message : String(e)}`); }
    }
  })).then(() => acked);
  return { done, tally };
}

async function collect(w: AsyncIterable<WatchEvent>, into: WatchEvent[], signal: AbortSignal): Promise<void> {
  try { for await (const ev of w) into.push(ev); } catch (e) { if (!signal.aborted) throw e; }
}

/** Each key's values as the watch saw them must be 1, 2, …, final: nothing lost, nothing twice. */
function assertExactlyOnce(events: readonly WatchEvent[], finals: ReadonlyMap<string, number>): void {
  const seen = new Map<string, number[]>();
  for (const ev of events) if (ev.new) seen.set(ev.key, [...(seen.get(ev.key) ?? []), (ev.new.value as { n: number }).n]);
  for (const [key, n] of finals) {
    assert.deepEqual(seen.get(key), Array.from({ length: n }, (_, i) => i + 1), `the watch saw ${key} go 1…${n} once each`);
  }
}

describe('etcd store on a three-member cluster', { skip: isRoot ? false : 'needs root (a private tmpfs for the disk-full member)', timeout: 600_000 }, () => {
  let c: EtcdCluster;
  before(async () => { c = await EtcdCluster.start(); });
  after(async () => { await c?.stop(); });

  it('the member in use — the leader — killed under concurrent compare-and-swaps and a watch: nothing fails, nothing lands twice, the watch moves', async (t) => {
    const leader = await c.leader();
    // The leader first: the member the client uses is the one that dies.
    const endpoints = [c.endpoint(leader), ...c.endpoints.filter((_, i) => i !== leader)];
    const store = await EtcdStore.open({ endpoints });
    const watching = await EtcdStore.open({ endpoints });
    const ac = new AbortController();
    try {
      const events: WatchEvent[] = [];
      const watched = collect(watching.watch(P, (await store.revision()) + 1, { signal: ac.signal }), events, ac.signal);
      let stop = false;
      const run = incrementers(store, 8, () => stop);
      assert.notEqual(await within(60_000, () => run.tally.ok >= 200, 20), null, `the writers did not get going: ${JSON.stringify(run.tally)}`);
      const before = run.tally.ok;
      await c.kill(leader);
      const killedAt = performance.now();
      assert.notEqual(await within(60_000, () => run.tally.ok >= before + 300 || run.tally.failed.length > 0, 20), null, 'the writers stopped after the kill');
      t.diagnostic(`300 increments after the kill took ${Math.round(performance.now() - killedAt)} ms (a new leader is elected in about a second)`);
      stop = true;
      const acked = await run.done;
      assert.deepEqual(run.tally.failed, [], 'no call failed: two of three members were up');
      // Every acknowledged increment landed once: the stored count is the acknowledged count.
      const finals = new Map<string, number>();
      for (const [key, n] of acked) {
        finals.set(key, n);
        assert.equal(((await store.get(key)).value as { n: number }).n, n, `${key}: acknowledged ${n} increments`);
      }
      assert.notEqual(await within(30_000, () => events.filter((e) => e.key === `${P}shared`).length >= finals.get(`${P}shared`)!), null, 'the watch fell behind');
      assertExactlyOnce(events, finals);
      for (const s of [store, watching]) {
        const r = s.members!();
        assert.notEqual(r.inUse, c.endpoint(leader), 'moved off the killed member');
        const failure = r.members.find((m) => m.endpoint === c.endpoint(leader))!.failure;
        assert.ok(failure, `the killed member is reported as failed: ${JSON.stringify(r)}`);
        t.diagnostic(`reported: in use ${r.inUse}; ${c.endpoint(leader)} failed: ${failure.error}`);
      }
      ac.abort();
      await watched;
    } finally {
      ac.abort();
      await store.close();
      await watching.close();
      await c.restart(leader);
    }
  });

  it('every member down: the call fails at once with each member and what it said; back up, it works', async () => {
    const store = await EtcdStore.open({ endpoints: c.endpoints });
    try {
      await store.create(`${P}before-outage`, 1);
      for (let i = 0; i < c.size; i++) await c.kill(i);
      try {
        await store.get(`${P}before-outage`);
        assert.fail('read from a cluster with no member up');
      } catch (e) {
        assert.ok(isTortieError(e, 'TORTIE_ERR_DATASTORE_UNAVAILABLE'), String(e));
        for (const ep of c.endpoints) assert.ok(e.message.includes(`${ep}: connection refused`), `${ep} named in: ${e.message}`);
      }
      for (let i = 0; i < c.size; i++) void c.restart(i);
      await Promise.all(c.endpoints.map((_, i) => c.waitHealthy(i, 30_000)));
      assert.equal((await store.get(`${P}before-outage`)).value, 1);
    } finally {
      await store.close();
    }
  });

  it('a member replaced by one with an empty data directory rejoins while writes go on, and then holds every key', async () => {
    const store = await EtcdStore.open({ endpoints: c.endpoints });
    try {
      let stop = false;
      const run = incrementers(store, 4, () => stop);
      assert.notEqual(await within(60_000, () => run.tally.ok >= 100, 20), null);
      await c.wipeAndRejoin(1);
      const at = run.tally.ok;
      assert.notEqual(await within(60_000, () => run.tally.ok >= at + 100 || run.tally.failed.length > 0, 20), null);
      stop = true;
      const acked = await run.done;
      assert.deepEqual(run.tally.failed, []);
      // The rejoined member alone answers for everything (a linearizable read goes through the
      // leader, so this also proves it is a voting member again).
      const only = await EtcdStore.open({ endpoints: [c.endpoint(1)] });
      try {
        for (const [key] of acked) assert.deepEqual((await only.get(key)).value, (await store.get(key)).value, key);
      } finally {
        await only.close();
      }
      // And it can stand in for a lost member: kill the one in use, the client carries on.
      const inUse = c.endpoints.indexOf(store.members!().inUse);
      await c.kill(inUse);
      await store.create(`${P}after-rejoin`, 1);
      await c.restart(inUse);
    } finally {
      await store.close();
    }
  });
});

describe('etcd store: one member\'s disk fills up', { skip: isRoot ? false : 'needs root (a private tmpfs for the disk-full member)', timeout: 300_000 }, () => {
  let c: EtcdCluster;
  // Member 0's data directory on a tmpfs of its own: 160 MiB, as etcd preallocates WAL segments of
  // 64 MiB, the next one ahead of time; the test then fills it.
  before(async () => { c = await EtcdCluster.start({ diskMiB: { 0: 160 } }); });
  after(async () => { await c?.stop(); });

  it('the member stops; clients carry on with the other two and say which member failed', async (t) => {
    const store = await EtcdStore.open({ endpoints: c.endpoints });
    const filler = await EtcdStore.open({ endpoints: c.endpoints.slice(1) });
    try {
      let stop = false;
      const run = incrementers(store, 4, () => stop);
      assert.notEqual(await within(60_000, () => run.tally.ok >= 100, 20), null);
      // Fill member 0's disk but for a few hundred KiB, from inside its mount namespace, then
      // write through the other members until member 0 cannot store what the cluster commits.
      execFileSync('nsenter', ['-t', String(c.pid(0)), '-m', 'sh', '-c', `dd if=/dev/zero of=${c.dir}/m0/data/fill bs=64k 2>/dev/null; truncate -s -512K ${c.dir}/m0/data/fill`]);
      const big = 'x'.repeat(256 * 1024);
      let written = 0;
      const died = await within(120_000, async () => {
        if (!c.running(0)) return true;
        await filler.commit([{ op: 'create', key: `/tt-filler/${written++}`, value: big }]).catch(() => {});
        return !c.running(0);
      }, 10);
      assert.notEqual(died, null, `member 0 kept running on a full disk after ${written} filler writes:\n${c.log(0).slice(-1500)}`);
      t.diagnostic(`member 0 stopped after ${written} filler writes of 256 KiB: ${c.log(0).split('\n').find((l) => /no space left/.test(l)) ?? '(no ENOSPC line in its log)'}`);
      const at = run.tally.ok;
      assert.notEqual(await within(60_000, () => run.tally.ok >= at + 100 || run.tally.failed.length > 0, 20), null);
      stop = true;
      await run.done;
      assert.deepEqual(run.tally.failed, [], 'no call failed');
      const r = store.members!();
      assert.notEqual(r.inUse, c.endpoint(0));
      assert.ok(r.members.find((m) => m.endpoint === c.endpoint(0))!.failure, 'the full member is reported as failed');
    } finally {
      await store.close();
      await filler.close();
    }
  });
});

describe('etcd store: a member cut off from its peers (partition), still reachable by clients', { skip: isRoot ? false : 'needs root (network namespaces)', timeout: 300_000 }, () => {
  let c: EtcdCluster;
  before(async () => { c = await EtcdCluster.start({ netns: true }); });
  after(async () => { await c?.stop(); });

  it('calls and watches on it move to the quorum side: the watch misses nothing written there meanwhile', async (t) => {
    const leader = await c.leader();
    const cut = (leader + 1) % c.size; // a follower: it keeps believing in its leader until it times out
    const endpoints = [c.endpoint(cut), ...c.endpoints.filter((_, i) => i !== cut)];
    const watching = await EtcdStore.open({ endpoints });
    const writer = await EtcdStore.open({ endpoints: c.endpoints.filter((_, i) => i !== cut) });
    const ac = new AbortController();
    try {
      const key = `${P}partitioned`;
      let kv = await writer.create(key, { n: 0 });
      const events: WatchEvent[] = [];
      const watched = collect(watching.watch(P, kv.revision + 1, { signal: ac.signal }), events, ac.signal);
      kv = await writer.update(key, { n: 1 }, kv.revision);
      assert.notEqual(await within(10_000, () => events.length >= 1), null, 'the watch works before the partition');
      c.partition(cut);
      const cutAt = performance.now();
      // The quorum side goes on; the cut-off member cannot see it.
      for (let n = 2; n <= 20; n++) kv = await writer.update(key, { n }, kv.revision);
      const caughtUp = await within(60_000, () => events.some((e) => (e.new?.value as { n: number } | undefined)?.n === 20), 100);
      assert.notEqual(caughtUp, null, `the watch stayed on the cut-off member: it saw ${events.length} event(s); ${JSON.stringify(watching.members!())}`);
      t.diagnostic(`the watch moved off the cut-off member and caught up ${Math.round(performance.now() - cutAt)} ms after the partition`);
      assert.deepEqual(events.map((e) => (e.new!.value as { n: number }).n), Array.from({ length: 20 }, (_, i) => i + 1), 'every value once, in order');
      // A read through the same client goes to the quorum side too.
      assert.deepEqual((await watching.get(key)).value, { n: 20 });
      assert.notEqual(watching.members!().inUse, c.endpoint(cut));
      ac.abort();
      await watched;
    } finally {
      ac.abort();
      c.heal(cut);
      await watching.close();
      await writer.close();
    }
  });
});
