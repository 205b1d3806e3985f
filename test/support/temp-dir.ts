import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface TempDir { readonly path: string; remove(): void }

export function tempDir(label = 'tmp'): TempDir {
  const path = mkdtempSync(join(tmpdir(), `tt-${label}-`));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}
