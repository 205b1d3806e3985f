// Typed resources over the Store port: Calico's key layout, the stored JSON form, and the write
// verbs of calicoctl (apply, create, replace, delete) — each batch one atomic commit, so a manifest
// is written whole or not at all.
//
// Stored values are exactly what Calico writes to etcd ({apiVersion: projectcalico.org/v3, kind,
// metadata without resourceVersion, spec}); resources read back carry Tortie's apiVersion and
// `metadata.resourceVersion` = the key's mod revision.

import { randomUUID } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import { TortieError, isTortieError } from '../lib/errors.js';
import type { KV, Revision, Store, WriteOp } from '../datastore/ports.js';
import {
  API_VERSION, CALICO_API_VERSION, kindByKind, kindPrefix, refOf, resourceKey, type KindDef, type Resource,
} from '../model/index.js';

/** etcd refuses transactions of more than 128 operations by default (--max-txn-ops). */
export const MAX_BATCH = 128;
const CAS_RETRIES = 5;

export type WriteAction = 'created' | 'configured' | 'unchanged' | 'replaced' | 'deleted' | 'skipped';

export interface WriteResult {
  readonly action: WriteAction;
  readonly resource: Resource;
}

export interface ResourceRef {
  readonly kind: KindDef;
  readonly name: string;
  readonly namespace?: string;
  /** When given, delete only this revision of the object (compare-and-swap). */
  readonly resourceVersion?: string;
}

export interface ResourceClientOptions {
  readonly now?: () => Date;
  readonly newUid?: () => string;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

export class ResourceClient {
  private readonly now: () => Date;
  private readonly newUid: () => string;

  constructor(readonly store: Store, options: ResourceClientOptions = {}) {
    this.now = options.now ?? (() => new Date());
    this.newUid = options.newUid ?? randomUUID;
  }

  keyOf(r: { kind: string; metadata: { name: string; namespace?: string } }): string {
    return resourceKey(this.kindOf(r.kind), r.metadata.name, r.metadata.namespace);
  }

  private kindOf(kind: string): KindDef {
    const k = kindByKind(kind);
    if (!k) throw new TortieError('TORTIE_ERR_INTERNAL_BUG', `Unknown kind ${kind} reached the resource client`);
    return k;
  }

  /** A stored KV as a resource; CORRUPT when the value is not a resource of the expected kind. */
  decode(kv: KV, kind?: KindDef): Resource {
    const v = kv.value;
    if (!isObject(v) || typeof v['kind'] !== 'string' || !isObject(v['metadata']) || typeof v['metadata']['name'] !== 'string'
      || (kind && v['kind'] !== kind.kind)) {
      throw new TortieError('TORTIE_ERR_DATASTORE_CORRUPT', `The value at ${kv.key} is not a ${kind?.kind ?? 'resource'}`, { key: kv.key });
    }
    const out: Resource = {
      apiVersion: API_VERSION,
      kind: v['kind'],
      metadata: { ...(v['metadata'] as unknown as Resource['metadata']), resourceVersion: String(kv.revision) },
      spec: isObject(v['spec']) ? v['spec'] : {},
    };
    if (v['status'] !== undefined) out.status = v['status'];
    return out;
  }

  /** The stored form: no resourceVersion (the revision is the store's), Calico's apiVersion. */
  private encode(r: Resource): Record<string, unknown> {
    const { resourceVersion: _rv, ...metadata } = r.metadata;
    const out: Record<string, unknown> = { kind: r.kind, apiVersion: CALICO_API_VERSION, metadata, spec: r.spec };
    if (r.status !== undefined) out['status'] = r.status;
    return out;
  }

  async get(kind: KindDef, name: string, namespace?: string): Promise<Resource> {
    try {
      return this.decode(await this.store.get(resourceKey(kind, name, namespace)), kind);
    } catch (e) {
      throw this.named(e, `${kind.kind} ${kind.namespaced ? `${namespace ?? 'default'}/` : ''}${name}`);
    }
  }

  /** All resources of a kind, in one namespace or (namespace undefined) all; sorted by namespace, name. */
  async list(kind: KindDef, namespace?: string): Promise<Resource[]> {
    const { items } = await this.store.list(kindPrefix(kind, namespace));
    // A prefix like …/networkpolicies/default/ cannot pick up other namespaces, but a cluster-scoped
    // listing must only take keys one level deep.
    return items.filter((kv) => kv.key.slice(kindPrefix(kind, namespace).length).split('/').length === (kind.namespaced && namespace === undefined ? 2 : 1))
      .map((kv) => this.decode(kv, kind));
  }

  /** Rewrites a datastore error about a key into one about the named resource. */
  private named(e: unknown, ref: string): unknown {
    if (!isTortieError(e)) return e;
    switch (e.code) {
      case 'TORTIE_ERR_DATASTORE_NOT_FOUND': return new TortieError(e.code, `${ref} does not exist`, e.details, { cause: e });
      case 'TORTIE_ERR_DATASTORE_ALREADY_EXISTS': return new TortieError(e.code, `${ref} already exists`, e.details, { cause: e });
      case 'TORTIE_ERR_DATASTORE_CONFLICT':
        return new TortieError(e.code, `${ref} was changed by someone else since it was read (resourceVersion ${String(e.details['expected'] ?? '?')} is no longer current); read it again and retry`, e.details, { cause: e });
      default: return e;
    }
  }

  private async currentOf(keys: readonly string[]): Promise<Map<string, KV>> {
    const out = new Map<string, KV>();
    await Promise.all(keys.map(async (k) => {
      try { out.set(k, await this.store.get(k)); } catch (e) { if (!isTortieError(e, 'TORTIE_ERR_DATASTORE_NOT_FOUND')) throw e; }
    }));
    return out;
  }

  /**
   * Commits the ops a planner derives from the current values, retrying the whole batch when
   * another writer got in between (the planner sees fresh values each time).
   */
  private async commitPlanned(
    resources: readonly Resource[],
    plan: (current: Map<string, KV>) => { ops: WriteOp[]; results: WriteResult[] },
    retry: boolean,
  ): Promise<WriteResult[]> {
    if (resources.length > MAX_BATCH) {
      throw new TortieError('TORTIE_ERR_CLI_USAGE', `One write takes at most ${MAX_BATCH} objects (etcd's transaction limit); this one has ${resources.length}: split the manifest`);
    }
    const keys = resources.map((r) => this.keyOf(r));
    const refs = new Map(resources.map((r, i) => [keys[i]!, refOf(r)] as const));
    if (new Set(keys).size !== keys.length) {
      const dup = keys.find((k, i) => keys.indexOf(k) !== i)!;
      throw new TortieError('TORTIE_ERR_MANIFEST_INVALID', `${refs.get(dup)} appears more than once in this write`);
    }
    for (let attempt = 1; ; attempt++) {
      const { ops, results } = plan(await this.currentOf(keys));
      if (ops.length === 0) return results;
      try {
        const committed = await this.store.commit(ops);
        const byKey = new Map(committed.results.map((kv, i) => [ops[i]!.key, kv] as const));
        return results.map((r) => {
          const kv = byKey.get(this.keyOf(r.resource));
          if (!kv || r.action === 'deleted') return r;
          return { ...r, resource: this.decode(kv) };
        });
      } catch (e) {
        const lostRace = isTortieError(e) && ['TORTIE_ERR_DATASTORE_CONFLICT', 'TORTIE_ERR_DATASTORE_ALREADY_EXISTS', 'TORTIE_ERR_DATASTORE_NOT_FOUND'].includes(e.code);
        if (retry && lostRace && attempt < CAS_RETRIES) continue;
        const key = isTortieError(e) ? e.details['key'] : undefined;
        throw typeof key === 'string' && refs.has(key) ? this.named(e, refs.get(key)!) : e;
      }
    }
  }

  /** The resource as it will be stored: identity and status kept from the current object. */
  private stamp(r: Resource, current: KV | undefined): Resource {
    const prev = current ? this.decode(current) : undefined;
    const metadata = { ...r.metadata };
    delete metadata.resourceVersion;
    metadata.uid = prev?.metadata.uid ?? this.newUid();
    metadata.creationTimestamp = prev?.metadata.creationTimestamp ?? this.now().toISOString().replace(/\.\d{3}Z$/, 'Z');
    const out: Resource = { apiVersion: r.apiVersion, kind: r.kind, metadata, spec: r.spec };
    if (prev?.status !== undefined) out.status = prev.status;
    return out;
  }

  private sameContent(a: Resource, b: Resource): boolean {
    return isDeepStrictEqual(a.spec, b.spec)
      && isDeepStrictEqual(a.metadata.labels ?? {}, b.metadata.labels ?? {})
      && isDeepStrictEqual(a.metadata.annotations ?? {}, b.metadata.annotations ?? {});
  }

  /** Creates what is absent, updates what differs, leaves what is equal; all in one commit. */
  apply(resources: readonly Resource[]): Promise<WriteResult[]> {
    return this.commitPlanned(resources, (current) => {
      const ops: WriteOp[] = [];
      const results: WriteResult[] = [];
      for (const r of resources) {
        const key = this.keyOf(r);
        const cur = current.get(key);
        const next = this.stamp(r, cur);
        if (!cur) {
          ops.push({ op: 'create', key, value: this.encode(next) });
          results.push({ action: 'created', resource: next });
        } else if (this.sameContent(this.decode(cur), next)) {
          results.push({ action: 'unchanged', resource: this.decode(cur) });
        } else {
          ops.push({ op: 'update', key, value: this.encode(next), revision: cur.revision });
          results.push({ action: 'configured', resource: next });
        }
      }
      return { ops, results };
    }, true);
  }

  /** Creates every resource; fails (writing nothing) if one exists, unless `skipExisting`. */
  create(resources: readonly Resource[], opts: { skipExisting?: boolean } = {}): Promise<WriteResult[]> {
    return this.commitPlanned(resources, (current) => {
      const ops: WriteOp[] = [];
      const results: WriteResult[] = [];
      for (const r of resources) {
        const key = this.keyOf(r);
        const cur = current.get(key);
        if (cur && opts.skipExisting) { results.push({ action: 'skipped', resource: this.decode(cur) }); continue; }
        const next = this.stamp(r, undefined);
        ops.push({ op: 'create', key, value: this.encode(next) });
        results.push({ action: 'created', resource: next });
      }
      return { ops, results };
    }, opts.skipExisting === true);
  }

  /**
   * Replaces existing resources. A `resourceVersion` in the input makes the write conditional on
   * it (the object must not have changed since it was read); without one, the current one is used.
   */
  replace(resources: readonly Resource[]): Promise<WriteResult[]> {
    const pinned = resources.some((r) => r.metadata.resourceVersion !== undefined);
    return this.commitPlanned(resources, (current) => {
      const ops: WriteOp[] = [];
      const results: WriteResult[] = [];
      for (const r of resources) {
        const key = this.keyOf(r);
        const cur = current.get(key);
        const next = this.stamp(r, cur);
        const revision = r.metadata.resourceVersion !== undefined ? parseRevision(r.metadata.resourceVersion, refOf(r)) : cur?.revision ?? 0;
        ops.push({ op: 'update', key, value: this.encode(next), revision });
        results.push({ action: 'replaced', resource: next });
      }
      return { ops, results };
    }, !pinned);
  }

  /**
   * Sets the `status` of one resource (written by Tortie components, never by users' applies),
   * compare-and-swap with retries; the spec is left exactly as stored.
   */
  async updateStatus(kind: KindDef, name: string, namespace: string | undefined, status: unknown): Promise<Resource> {
    const key = resourceKey(kind, name, namespace);
    for (let attempt = 1; ; attempt++) {
      const kv = await this.store.get(key).catch((e: unknown) => { throw this.named(e, `${kind.kind} ${name}`); });
      const value = { ...(kv.value as Record<string, unknown>), status };
      try {
        return this.decode(await this.store.update(key, value, kv.revision), kind);
      } catch (e) {
        if (!isTortieError(e, 'TORTIE_ERR_DATASTORE_CONFLICT') || attempt >= CAS_RETRIES) throw this.named(e, `${kind.kind} ${name}`);
      }
    }
  }

  /** Deletes every referenced resource; fails (deleting nothing) if one is absent, unless `skipMissing`. */
  delete(refs: readonly ResourceRef[], opts: { skipMissing?: boolean } = {}): Promise<WriteResult[]> {
    const asResources = refs.map((ref): Resource => ({
      apiVersion: API_VERSION, kind: ref.kind.kind,
      metadata: { name: ref.name, ...(ref.kind.namespaced ? { namespace: ref.namespace ?? 'default' } : {}), ...(ref.resourceVersion ? { resourceVersion: ref.resourceVersion } : {}) },
      spec: {},
    }));
    return this.commitPlanned(asResources, (current) => {
      const ops: WriteOp[] = [];
      const results: WriteResult[] = [];
      for (const r of asResources) {
        const key = this.keyOf(r);
        const cur = current.get(key);
        if (!cur && opts.skipMissing) { results.push({ action: 'skipped', resource: r }); continue; }
        const rv = r.metadata.resourceVersion;
        ops.push(rv !== undefined ? { op: 'delete', key, revision: parseRevision(rv, refOf(r)) } : { op: 'delete', key });
        results.push({ action: 'deleted', resource: cur ? this.decode(cur) : r });
      }
      return { ops, results };
    }, opts.skipMissing === true);
  }
}

function parseRevision(rv: string, ref: string): Revision {
  if (!/^\d+$/.test(rv)) throw new TortieError('TORTIE_ERR_MANIFEST_INVALID', `${ref}: metadata.resourceVersion "${rv}" is not a revision number`);
  return Number(rv);
}
