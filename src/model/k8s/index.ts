import type { ForeignKind } from './foreign.js';

export type { ForeignKind, ConvertedDocument } from './foreign.js';

export const FOREIGN_KINDS: readonly ForeignKind[] = [];
