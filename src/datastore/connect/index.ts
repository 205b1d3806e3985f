export { openStore, loadDatastoreConfig } from './open-store.js';
