export * from './snapshot.js';
export * from './usage.js';
export * from './check.js';
export * from './report-file.js';
