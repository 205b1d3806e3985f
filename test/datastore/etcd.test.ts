import { before, after } from 'node:test';
import { EtcdStore } from '../../src/datastore/etcd/index.js';
import type { DatastoreConfig } from '../../src/datastore/config.js';
import { EtcdServer } from '../support/etcd-server.js';
import { storeContract } from './contract.js';

let server: EtcdServer;
let config: { type: 'etcd'; endpoints: string[] } = { type: 'etcd', endpoints: [] };
before(async () => {
  server = await EtcdServer.start();
  config.endpoints.push(server.endpoint);
});
after(async () => { await server?.stop(); });

storeContract({
  name: 'etcd v3',
  open: () => EtcdStore.open({ endpoints: config.endpoints }),
  get config(): DatastoreConfig { return config; },
  restart: () => server.restart(300),
});
