// Opens the Store a DatastoreConfig names, loading only the adapter it needs (etcd3 costs ~200 ms
// to import, better-sqlite3 ~25 ms), and reads the client config file when one exists.

import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { TortieError } from '../../lib/errors.js';
import {
  DEFAULT_CONFIG_FILE, type DatastoreConfig, type DatastoreSettings, resolveDatastoreConfig, settingsFromEnv, settingsFromFile,
} from '../config.js';
import type { Store } from '../ports.js';

function readTls(path: string | undefined, what: string): Buffer | undefined {
  if (path === undefined) return undefined;
  try {
    return readFileSync(path);
  } catch (e) {
    throw new TortieError('TORTIE_ERR_CONFIG_INVALID', `Cannot read the etcd ${what} file ${path}: ${(e as Error).message}`, { path });
  }
}

/**
 * How a process uses the store. `interactive` (the CLI): a call fails at once when no etcd member
 * takes connections, else after 12 s. `service` (the agent, the CNI plugins): a call rides out an
 * outage of the whole etcd cluster — a restart — for up to 30 s, so that an ADD in flight
 * completes (and a write whose answer was lost is recognised) instead of failing.
 */
export type StoreUse = 'interactive' | 'service';

export async function openStore(config: DatastoreConfig, use: StoreUse = 'interactive'): Promise<Store> {
  if (config.type === 'embedded') {
    const { SqliteStore } = await import('../sqlite/index.js');
    return new SqliteStore({ path: config.path });
  }
  const { EtcdStore } = await import('../etcd/index.js');
  const ca = readTls(config.caFile, 'CA certificate');
  const cert = readTls(config.certFile, 'client certificate');
  const key = readTls(config.keyFile, 'client key');
  return EtcdStore.open({
    endpoints: config.endpoints,
    ...(use === 'service' ? { requestTimeoutMs: 30_000, waitForMembers: true } : {}),
    ...(ca ? { tls: { ca, ...(cert ? { cert } : {}), ...(key ? { key } : {}) } } : {}),
  });
}

/** Flags > environment > config file (`configFile`, default /etc/tortie/tortie.yaml, if present). */
export function loadDatastoreConfig(
  flags: DatastoreSettings,
  env: Readonly<Record<string, string | undefined>> = process.env,
  configFile?: string,
): DatastoreConfig {
  const path = configFile ?? env['TORTIE_CONFIG'] ?? DEFAULT_CONFIG_FILE;
  let fileSettings: DatastoreSettings = {};
  let text: string | null = null;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    // The default file is optional; a file the user named must exist.
    if (!(code === 'ENOENT' && configFile === undefined && env['TORTIE_CONFIG'] === undefined)) {
      throw new TortieError('TORTIE_ERR_CONFIG_INVALID', `Cannot read the client config file ${path}: ${(e as Error).message}`, { path });
    }
  }
  if (text !== null) {
    let doc: unknown;
    try { doc = parseYaml(text); } catch (e) {
      throw new TortieError('TORTIE_ERR_CONFIG_INVALID', `The client config file ${path} is not valid YAML: ${(e as Error).message}`, { path });
    }
    // An empty file (e.g. TORTIE_CONFIG=/dev/null) configures nothing.
    if (doc !== null && doc !== undefined) fileSettings = settingsFromFile(doc, path);
  }
  return resolveDatastoreConfig(flags, settingsFromEnv(env), fileSettings);
}
