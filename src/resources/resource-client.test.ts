import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MemoryStore } from '../datastore/memory/index.js';
import { IPPool, validateDocument, type Resource } from '../model/index.js';
import { isTortieError } from '../lib/errors.js';
import { ResourceClient } from './resource-client.js';

function pool(name: string, cidr: string, extra: Record<string, unknown> = {}): Resource {
  const v = validateDocument({ apiVersion: 'tortie.io/v1', kind: 'IPPool', metadata: { name }, spec: { cidr, ...extra } });
  assert.ok(v.ok, JSON.stringify(!v.ok && v.issues));
  return v.resource;
}

const fixed = (store = new MemoryStore()): ResourceClient => {
  let n = 0;
  return new ResourceClient(store, { now: () => new Date('2026-11-26T12:00:00.123Z'), newUid: () => `uid-${++n}` });
};

test('apply creates, then reports unchanged, then configures — keeping uid, creation time and status', async () => {
  const store = new MemoryStore();
  const c = fixed(store);
  const [created] = await c.apply([pool('a', '10.0.0.0/16')]);
  assert.equal(created!.action, 'created');
  assert.equal(created!.resource.metadata.uid, 'uid-1');
  assert.equal(created!.resource.metadata.creationTimestamp, '2026-11-26T12:00:00Z');
  // A Tortie component writes a status; a user's apply must not lose it.
  const kv = await store.get('/calico/resources/v3/projectcalico.org/ippools/a');
  await store.update(kv.key, { ...(kv.value as object), status: { conditions: [{ type: 'Allocatable', status: 'True' }] } }, kv.revision);
  assert.equal((await c.apply([pool('a', '10.0.0.0/16')]))[0]!.action, 'unchanged');
  const [configured] = await c.apply([pool('a', '10.0.0.0/16', { natOutgoing: true })]);
  assert.equal(configured!.action, 'configured');
  const now = await c.get(IPPool, 'a');
  assert.equal(now.metadata.uid, 'uid-1');
  assert.equal(now.spec['natOutgoing'], true);
  assert.deepEqual(now.status, { conditions: [{ type: 'Allocatable', status: 'True' }] });
  assert.equal(now.metadata.resourceVersion, String(configured!.resource.metadata.resourceVersion));
});

test('a batch is all or nothing: create of [new, existing] writes neither', async () => {
  const store = new MemoryStore();
  const c = fixed(store);
  await c.apply([pool('exists', '10.1.0.0/16')]);
  const rev = await store.revision();
  await assert.rejects(c.create([pool('new', '10.2.0.0/16'), pool('exists', '10.1.0.0/16')]),
    (e: unknown) => isTortieError(e, 'TORTIE_ERR_DATASTORE_ALREADY_EXISTS') && /IPPool exists already exists/.test(e.message));
  assert.equal(await store.revision(), rev);
  assert.deepEqual((await c.list(IPPool)).map((r) => r.metadata.name), ['exists']);
});

test('apply retries when another writer changes an object between its read and its commit', async () => {
  const store = new MemoryStore();
  const c = fixed(store);
  await c.apply([pool('raced', '10.3.0.0/16')]);
  // Interpose one conflicting write right before the client's first commit.
  const commit = store.commit.bind(store);
  let raced = false;
  store.commit = async (ops) => {
    if (!raced) {
      raced = true;
      const kv = await store.get(ops[0]!.key);
      await store.update(kv.key, { ...(kv.value as object), spec: { ...(kv.value as { spec: object }).spec, disabled: true } }, kv.revision);
    }
    return commit(ops);
  };
  const [r] = await c.apply([pool('raced', '10.3.0.0/16', { natOutgoing: true })]);
  assert.equal(r!.action, 'configured');
  assert.equal((await c.get(IPPool, 'raced')).spec['natOutgoing'], true);
});

test('replace with a stale resourceVersion is a conflict that names the object; delete is exact', async () => {
  const c = fixed();
  const [a] = await c.apply([pool('p', '10.4.0.0/16')]);
  const rv = a!.resource.metadata.resourceVersion!;
  const edited = pool('p', '10.4.0.0/16', { disabled: true });
  edited.metadata.resourceVersion = rv;
  await c.replace([edited]);
  await assert.rejects(c.replace([edited]), (e: unknown) => isTortieError(e, 'TORTIE_ERR_DATASTORE_CONFLICT') && /IPPool p was changed/.test(e.message));
  await assert.rejects(c.replace([pool('absent', '10.5.0.0/16')]), (e: unknown) => isTortieError(e, 'TORTIE_ERR_DATASTORE_NOT_FOUND') && /IPPool absent does not exist/.test(e.message));
  const [d] = await c.delete([{ kind: IPPool, name: 'p' }]);
  assert.equal(d!.resource.spec['disabled'], true, 'delete returns what was deleted');
  assert.deepEqual((await c.delete([{ kind: IPPool, name: 'p' }], { skipMissing: true }))[0]!.action, 'skipped');
});

test('a value that is not a resource is reported as corrupt, with its key', async () => {
  const store = new MemoryStore();
  await store.create('/calico/resources/v3/projectcalico.org/ippools/junk', { hello: 'world' });
  await assert.rejects(fixed(store).list(IPPool), (e: unknown) => isTortieError(e, 'TORTIE_ERR_DATASTORE_CORRUPT') && /ippools\/junk/.test(e.message));
});

test('one write is limited to 128 objects, refused before anything is written', async () => {
  const many = Array.from({ length: 129 }, (_, i) => pool(`p${i}`, `10.${i}.0.0/16`));
  await assert.rejects(fixed().apply(many), /at most 128 objects/);
});
