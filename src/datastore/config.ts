// Which datastore a Tortie process talks to, resolved from (highest first) command-line flags,
// TORTIE_* environment variables and the client config file (/etc/tortie/tortie.yaml).
// Pure: the caller reads the file and the environment.

import { z } from 'zod';
import { TortieError } from '../lib/errors.js';

export const DEFAULT_STORE_PATH = '/var/lib/tortie/store.db';
export const DEFAULT_CONFIG_FILE = '/etc/tortie/tortie.yaml';

export type DatastoreConfig =
  | { readonly type: 'embedded'; readonly path: string }
  | {
    readonly type: 'etcd';
    readonly endpoints: readonly string[];
    readonly caFile?: string;
    readonly certFile?: string;
    readonly keyFile?: string;
  };

/** The settings as any one source gives them; every field optional. */
export interface DatastoreSettings {
  datastore?: string;
  storePath?: string;
  etcdEndpoints?: string;
  etcdCACertFile?: string;
  etcdCertFile?: string;
  etcdKeyFile?: string;
}

export const ENV_VARS: Record<keyof DatastoreSettings, string> = {
  datastore: 'TORTIE_DATASTORE',
  storePath: 'TORTIE_STORE_PATH',
  etcdEndpoints: 'TORTIE_ETCD_ENDPOINTS',
  etcdCACertFile: 'TORTIE_ETCD_CA_CERT_FILE',
  etcdCertFile: 'TORTIE_ETCD_CERT_FILE',
  etcdKeyFile: 'TORTIE_ETCD_KEY_FILE',
};

export function settingsFromEnv(env: Readonly<Record<string, string | undefined>>): DatastoreSettings {
  const out: DatastoreSettings = {};
  for (const [field, name] of Object.entries(ENV_VARS) as [keyof DatastoreSettings, string][]) {
    const v = env[name];
    if (v !== undefined && v !== '') out[field] = v;
  }
  return out;
}

// The file takes Tortie's own `ClientConfig` or calicoctl's `CalicoAPIConfig` (same spec fields,
// `datastoreType: etcdv3` meaning etcd), so an existing calicoctl.cfg can be reused as is.
const fileSchema = z.strictObject({
  apiVersion: z.enum(['tortie.io/v1', 'projectcalico.org/v3']),
  kind: z.enum(['ClientConfig', 'CalicoAPIConfig']),
  metadata: z.record(z.string(), z.unknown()).optional(),
  spec: z.strictObject({
    datastoreType: z.enum(['embedded', 'etcd', 'etcdv3']).optional(),
    storePath: z.string().min(1).optional(),
    etcdEndpoints: z.union([z.string(), z.array(z.string())]).optional(),
    etcdCACertFile: z.string().optional(),
    etcdCertFile: z.string().optional(),
    etcdKeyFile: z.string().optional(),
  }),
});

export function settingsFromFile(doc: unknown, path: string): DatastoreSettings {
  const r = fileSchema.safeParse(doc);
  if (!r.success) {
    const problems = r.error.issues.map((i) => `${i.path.join('.') || '(document)'}: ${i.message}`);
    throw new TortieError('TORTIE_ERR_CONFIG_INVALID', `The client config file ${path} is invalid: ${problems.join('; ')}`, { path, problems });
  }
  const s = r.data.spec;
  const out: DatastoreSettings = {};
  if (s.datastoreType) out.datastore = s.datastoreType === 'etcdv3' ? 'etcd' : s.datastoreType;
  if (s.storePath) out.storePath = s.storePath;
  if (s.etcdEndpoints) out.etcdEndpoints = Array.isArray(s.etcdEndpoints) ? s.etcdEndpoints.join(',') : s.etcdEndpoints;
  if (s.etcdCACertFile) out.etcdCACertFile = s.etcdCACertFile;
  if (s.etcdCertFile) out.etcdCertFile = s.etcdCertFile;
  if (s.etcdKeyFile) out.etcdKeyFile = s.etcdKeyFile;
  return out;
}

function parseEndpoints(raw: string): string[] {
  const eps = raw.split(',').map((e) => e.trim()).filter((e) => e !== '');
  if (eps.length === 0) {
    throw new TortieError('TORTIE_ERR_CONFIG_INVALID', 'etcd endpoints are empty: give --etcd-endpoints http://HOST:PORT[,…]');
  }
  for (const e of eps) {
    // A unix socket (etcd's unix:// listener) reaches etcd from any network namespace of the host.
    if (/^unix:\/\/\/\S+$/.test(e)) continue;
    let u: URL | null = null;
    try { u = new URL(e); } catch { /* reported below */ }
    if (!u || (u.protocol !== 'http:' && u.protocol !== 'https:') || !u.hostname) {
      throw new TortieError('TORTIE_ERR_CONFIG_INVALID',
        `etcd endpoint "${e}" is not a URL like http://127.0.0.1:2379, https://etcd.example:2379 or unix:///path/to/socket`, { endpoint: e });
    }
  }
  return eps;
}

/** Merges the sources, first one wins per field, and checks the result. */
export function resolveDatastoreConfig(...sources: DatastoreSettings[]): DatastoreConfig {
  const s: DatastoreSettings = {};
  for (const src of [...sources].reverse()) Object.assign(s, Object.fromEntries(Object.entries(src).filter(([, v]) => v !== undefined)));
  const type = s.datastore ?? 'embedded';
  if (type === 'embedded') {
    return { type: 'embedded', path: s.storePath ?? DEFAULT_STORE_PATH };
  }
  if (type !== 'etcd' && type !== 'etcdv3') {
    throw new TortieError('TORTIE_ERR_CONFIG_INVALID', `Datastore "${type}" is not one of: embedded, etcd`, { datastore: type });
  }
  if (!s.etcdEndpoints) {
    throw new TortieError('TORTIE_ERR_CONFIG_INVALID',
      `The etcd datastore needs endpoints: give --etcd-endpoints or ${ENV_VARS.etcdEndpoints}`);
  }
  const tlsFiles = [s.etcdCACertFile, s.etcdCertFile, s.etcdKeyFile];
  if ((s.etcdCertFile === undefined) !== (s.etcdKeyFile === undefined)) {
    throw new TortieError('TORTIE_ERR_CONFIG_INVALID', 'An etcd client certificate and key go together: give both --etcd-cert-file and --etcd-key-file, or neither');
  }
  if (tlsFiles.some((f) => f !== undefined) && s.etcdCACertFile === undefined) {
    throw new TortieError('TORTIE_ERR_CONFIG_INVALID', 'etcd TLS needs the CA certificate: give --etcd-ca-cert-file');
  }
  return {
    type: 'etcd',
    endpoints: parseEndpoints(s.etcdEndpoints),
    ...(s.etcdCACertFile ? { caFile: s.etcdCACertFile } : {}),
    ...(s.etcdCertFile ? { certFile: s.etcdCertFile } : {}),
    ...(s.etcdKeyFile ? { keyFile: s.etcdKeyFile } : {}),
  };
}

export function describeDatastore(c: DatastoreConfig): string {
  return c.type === 'embedded' ? `embedded store ${c.path}` : `etcd at ${c.endpoints.join(',')}`;
}
