// `-f FILE|DIR|-`: reads manifests from files, directories (their *.yaml, *.yml and *.json, in name
// order; with `recursive`, sub-directories too) or standard input.

import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { TortieError } from '../lib/errors.js';
import { parseManifest, type SourcedDocument } from '../model/index.js';

const MANIFEST = /\.(ya?ml|json)$/i;

function filesOf(path: string, recursive: boolean): string[] {
  let st;
  try { st = statSync(path); } catch (e) {
    throw new TortieError('TORTIE_ERR_FILE_UNREADABLE', `Cannot read ${path}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file or directory' : (e as Error).message}`, { path });
  }
  if (!st.isDirectory()) return [path];
  return readdirSync(path, { withFileTypes: true })
    .sort((a, b) => (a.name < b.name ? -1 : 1))
    .flatMap((e) => {
      const p = join(path, e.name);
      if (e.isDirectory()) return recursive ? filesOf(p, true) : [];
      return MANIFEST.test(e.name) ? [p] : [];
    });
}

export function readManifests(paths: readonly string[], opts: { recursive?: boolean; stdin?: () => string } = {}): SourcedDocument[] {
  const out: SourcedDocument[] = [];
  for (const p of paths) {
    if (p === '-') {
      out.push(...parseManifest(opts.stdin ? opts.stdin() : readFileSync(0, 'utf8'), '<stdin>'));
      continue;
    }
    const files = filesOf(p, opts.recursive ?? false);
    if (files.length === 0) throw new TortieError('TORTIE_ERR_FILE_UNREADABLE', `${p} holds no .yaml, .yml or .json files`, { path: p });
    for (const f of files) {
      let text: string;
      try { text = readFileSync(f, 'utf8'); } catch (e) {
        throw new TortieError('TORTIE_ERR_FILE_UNREADABLE', `Cannot read ${f}: ${(e as Error).message}`, { path: f });
      }
      out.push(...parseManifest(text, f));
    }
  }
  if (out.length === 0) throw new TortieError('TORTIE_ERR_MANIFEST_PARSE', `No documents found in ${paths.join(', ')}`);
  return out;
}
