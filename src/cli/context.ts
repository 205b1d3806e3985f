// What every datastore-using command shares: the global datastore flags, opening the store they
// name (flags > TORTIE_* environment > /etc/tortie/tortie.yaml), and closing it afterwards.

import type { Command } from '@commander-js/extra-typings';
import { describeDatastore, type DatastoreConfig, type DatastoreSettings } from '../datastore/config.js';
import { loadDatastoreConfig, openStore } from '../datastore/connect/index.js';
import { ResourceClient } from '../resources/index.js';

export type GlobalOptions = {
  datastore?: string;
  storePath?: string;
  etcdEndpoints?: string;
  etcdCaCertFile?: string;
  etcdCertFile?: string;
  etcdKeyFile?: string;
  config?: string;
};

export function addGlobalOptions<C extends Command<[], {}>>(program: C) {
  return program
    .option('--datastore <type>', 'datastore type: embedded | etcd (env TORTIE_DATASTORE; default embedded)')
    .option('--store-path <file>', 'embedded store file (env TORTIE_STORE_PATH; default /var/lib/tortie/store.db)')
    .option('--etcd-endpoints <urls>', 'comma-separated etcd URLs (env TORTIE_ETCD_ENDPOINTS)')
    .option('--etcd-ca-cert-file <file>', 'CA certificate for etcd TLS (env TORTIE_ETCD_CA_CERT_FILE)')
    .option('--etcd-cert-file <file>', 'client certificate for etcd TLS (env TORTIE_ETCD_CERT_FILE)')
    .option('--etcd-key-file <file>', 'client key for etcd TLS (env TORTIE_ETCD_KEY_FILE)')
    .option('-c, --config <file>', 'client config file (env TORTIE_CONFIG; default /etc/tortie/tortie.yaml)');
}

function settingsOf(g: GlobalOptions): DatastoreSettings {
  const s: DatastoreSettings = {};
  if (g.datastore) s.datastore = g.datastore;
  if (g.storePath) s.storePath = g.storePath;
  if (g.etcdEndpoints) s.etcdEndpoints = g.etcdEndpoints;
  if (g.etcdCaCertFile) s.etcdCACertFile = g.etcdCaCertFile;
  if (g.etcdCertFile) s.etcdCertFile = g.etcdCertFile;
  if (g.etcdKeyFile) s.etcdKeyFile = g.etcdKeyFile;
  return s;
}

/** The datastore the global flags, TORTIE_* variables and config file name together. */
export function datastoreConfig(g: GlobalOptions): DatastoreConfig {
  return loadDatastoreConfig(settingsOf(g), process.env, g.config);
}

/** Runs `fn` with a resource client on the configured datastore, closing it afterwards. */
export async function withResources<T>(g: GlobalOptions, fn: (client: ResourceClient, where: string) => Promise<T>): Promise<T> {
  const config = datastoreConfig(g);
  const store = await openStore(config);
  try {
    return await fn(new ResourceClient(store), describeDatastore(config));
  } finally {
    await store.close();
  }
}
