export { Syncer, type SyncStatus, type SyncUpdate, type SyncerEvents, type SyncerOptions } from './syncer.js';
