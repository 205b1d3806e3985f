export { EtcdStore, type EtcdStoreOptions, type EtcdTls } from './etcd-store.js';
