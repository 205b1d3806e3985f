export { SqliteStore, SCHEMA, type SqliteStoreOptions } from './sqlite-store.js';
