export * from './block.js';
export * from './records.js';
export * from './keys.js';
export * from './pool-blocks.js';
export * from './select-pools.js';
