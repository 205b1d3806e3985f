// Manifest text → documents. YAML (several documents separated by `---`) or JSON; a `List`
// (kubectl's, or Calico's `<Kind>List`) is unpacked into its items so `get -o yaml` output applies.

import { parseAllDocuments } from 'yaml';
import { TortieError } from '../lib/errors.js';

export interface SourcedDocument {
  /** Where the document came from, for messages: `pools.yaml`, `pools.yaml (document 2)`, `… item 3`. */
  readonly source: string;
  readonly doc: unknown;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function unpack(source: string, doc: unknown, out: SourcedDocument[]): void {
  if (isObject(doc) && typeof doc['kind'] === 'string' && /List$/.test(doc['kind']) && Array.isArray(doc['items'])) {
    doc['items'].forEach((item, i) => unpack(`${source} item ${i + 1}`, item, out));
    return;
  }
  out.push({ source, doc });
}

export function parseManifest(text: string, name: string): SourcedDocument[] {
  const docs = parseAllDocuments(text, { prettyErrors: true, uniqueKeys: true });
  const list = Array.isArray(docs) ? docs : [docs];
  const out: SourcedDocument[] = [];
  const values: unknown[] = [];
  for (const d of list) {
    const err = d.errors[0];
    if (err) {
      const where = err.linePos?.[0] ? ` at line ${err.linePos[0].line}, column ${err.linePos[0].col}` : '';
      throw new TortieError('TORTIE_ERR_MANIFEST_PARSE', `${name} is not valid YAML or JSON${where}: ${err.message.split('\n')[0]}`, { file: name });
    }
    const v: unknown = d.toJS({ maxAliasCount: 100 });
    if (v !== null && v !== undefined) values.push(v);
  }
  values.forEach((v, i) => unpack(values.length > 1 ? `${name} (document ${i + 1})` : name, v, out));
  return out;
}
