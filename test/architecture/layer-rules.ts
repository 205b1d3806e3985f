// The one-way layering of DESIGN.md, as a checker over source text:
//   lib → model & ports → pure cores → services/managers → adapters → apps → bin
// - a file imports only from its own layer or below; apps never import other apps;
// - `_name.ts` files are private to their folder (room); a room with an index.ts is entered
//   through it (or its ports.ts);
// - there are no import cycles between rooms (nor, where checkFileCycles is applied, between files);
// - pure layers (lib, model/ports, pure cores) touch no fs, network, processes, env or clock.
// Test files (`*.test.ts`) may import anything to set up fakes, but are still checked for privacy.

import { dirname, join, normalize, basename } from 'node:path';

export const LAYERS: ReadonlyArray<readonly [room: string, layer: number]> = [
  ['lib', 0],
  // The selector language sits with the model: validation checks selector syntax at write time.
  ['model', 1], ['datastore', 1], ['selector', 1],
  // The CNI wire protocol is plain data: the agent's CNI server and the plugins both speak it.
  ['cni/protocol', 1],
  ['policy', 2], ['ipam/block', 2], ['ipam/report', 2], ['calc', 2], ['bgp/codec', 2], ['bgp/fsm', 2], ['bgp/rib', 2],
  ['datastore/syncer', 3], ['resources', 3], ['ipam/service', 3], ['dataplane', 3],
  ['datastore/memory', 4], ['datastore/sqlite', 4], ['datastore/etcd', 4], ['datastore/connect', 4],
  ['dataplane/linux', 4], ['bgp/speaker', 4],
  ['cli', 5], ['agent', 5], ['cni', 5], ['lab', 5],
  ['bin', 6],
];
const APPS = 5;
/** Leaves import nothing of their own layer: the BGP codec stands alone (STYLE.md, gobgp's pkg/packet). */
const LEAVES = new Set(['bgp/codec']);
const PURE_MAX = 2;

const IMPURE_MODULES = /^(node:)?(fs|fs\/promises|net|dgram|child_process|http|https|http2|dns|os|worker_threads|cluster|tls)$|^(better-sqlite3|etcd3)$/;
const IMPURE_CODE: ReadonlyArray<readonly [RegExp, string]> = [
  [/\bDate\.now\s*\(/, 'reads the clock (Date.now)'],
  [/\bnew Date\s*\(\s*\)/, 'reads the clock (new Date())'],
  [/\bset(Timeout|Interval|Immediate)\s*\(/, 'uses timers'],
  [/\bprocess\.(env|argv|exit|cwd)\b/, 'touches the process'],
  [/\bMath\.random\s*\(/, 'uses an unseeded random source'],
];

export interface Violation { readonly file: string; readonly message: string }

function stripComments(src: string): string {
  return src.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"\\])\/\/.*$/gm, '$1');
}

export function importsOf(src: string): string[] {
  const out: string[] = [];
  const re = /\b(?:import|export)\b[^'";]*?\bfrom\s*['"]([^'"]+)['"]|\bimport\s*\(\s*['"]([^'"]+)['"]\s*\)|^\s*import\s*['"]([^'"]+)['"]/gm;
  for (const m of stripComments(src).matchAll(re)) out.push((m[1] ?? m[2] ?? m[3])!);
  return out;
}

const folderOf = (file: string): string => dirname(file).replace(/^src\/?/, '');

/** The layer-table entry a file belongs to: its room (sub-folders belong to their room). */
function entryOf(file: string): readonly [string, number] | undefined {
  const folder = folderOf(file);
  let best: readonly [string, number] | undefined;
  for (const entry of LAYERS) {
    if ((folder === entry[0] || folder.startsWith(`${entry[0]}/`)) && (!best || entry[0].length > best[0].length)) best = entry;
  }
  return best;
}

/** The room of a path like `src/datastore/sqlite/x.ts` (`datastore/sqlite`); its folder if unknown. */
const roomOf = (file: string): string => entryOf(file)?.[0] ?? folderOf(file);

export function layerOf(file: string): number | undefined {
  if (basename(file) === 'ports.ts') return 1;
  return entryOf(file)?.[1];
}

/** `files`: path relative to the repository (`src/…`) → source text. */
export function checkLayers(files: ReadonlyMap<string, string>): Violation[] {
  const v: Violation[] = [];
  const roomEdges = new Map<string, Set<string>>();
  const hasIndex = (room: string): boolean => files.has(join('src', room, 'index.ts'));
  for (const [file, src] of files) {
    const isTest = file.endsWith('.test.ts');
    const layer = layerOf(file);
    const room = roomOf(file);
    if (layer === undefined) { v.push({ file, message: `folder src/${folderOf(file)} is not in the layer table (test/architecture/layer-rules.ts)` }); continue; }
    for (const spec of importsOf(src)) {
      if (!spec.startsWith('.')) {
        if (!isTest && layer <= PURE_MAX && IMPURE_MODULES.test(spec)) v.push({ file, message: `pure layer imports ${spec}` });
        continue;
      }
      const target = normalize(join(dirname(file), spec)).replace(/\.js$/, '.ts');
      if (!target.startsWith('src/')) { if (!isTest) v.push({ file, message: `imports ${spec} from outside src/` }); continue; }
      const tRoom = roomOf(target);
      const tLayer = layerOf(target);
      if (tRoom === room) continue;
      if (basename(target).startsWith('_') && !isTest) v.push({ file, message: `imports ${spec}, private to src/${tRoom}` });
      if (isTest) continue;
      if (tLayer === undefined) continue; // reported on the target itself
      if (tLayer > layer) v.push({ file, message: `imports ${spec} from a higher layer (${tLayer} > ${layer})` });
      else if (LEAVES.has(room) && tLayer === layer) v.push({ file, message: `src/${room} is a leaf: it may not import ${spec} (same layer)` });
      else if (tLayer >= APPS && layer >= APPS && layer < 6) v.push({ file, message: `app imports another app: ${spec}` });
      if (hasIndex(tRoom) && !['index.ts', 'ports.ts'].includes(basename(target))) {
        v.push({ file, message: `imports ${spec}: enter src/${tRoom} through its index.ts` });
      }
      if (!roomEdges.has(room)) roomEdges.set(room, new Set());
      roomEdges.get(room)!.add(tRoom);
    }
    if (!isTest && layer <= PURE_MAX) {
      const code = stripComments(src);
      for (const [re, what] of IMPURE_CODE) if (re.test(code)) v.push({ file, message: `pure layer ${what}` });
    }
  }
  for (const cycle of cyclesOf(roomEdges)) v.push({ file: `src/${cycle.at(-2)!}`, message: `import cycle between rooms: ${cycle.join(' → ')}` });
  return v;
}

/** Cycles of a graph, each as its path back to the start (a depth-first search that reports each back edge once). */
function cyclesOf(edges: ReadonlyMap<string, ReadonlySet<string>>): string[][] {
  const out: string[][] = [];
  const state = new Map<string, 'open' | 'done'>();
  const visit = (node: string, path: string[]): void => {
    state.set(node, 'open');
    for (const next of edges.get(node) ?? []) {
      if (state.get(next) === 'open') out.push([...path.slice(path.indexOf(next)), node, next]);
      else if (!state.has(next)) visit(next, [...path, node]);
    }
    state.set(node, 'done');
  };
  for (const node of [...edges.keys()].sort()) if (!state.has(node)) visit(node, []);
  return out;
}

/**
 * Import cycles between the files under `folder` (e.g. `src/cli`), type-only imports included:
 * files that import each other are one concept spread over several files, and the shared part
 * (a type, most often) belongs in a file of its own that both import.
 */
export function checkFileCycles(files: ReadonlyMap<string, string>, folder: string): Violation[] {
  const inside = (f: string): boolean => f.startsWith(`${folder}/`);
  const edges = new Map<string, Set<string>>();
  for (const [file, src] of files) {
    if (!inside(file)) continue;
    const to = new Set<string>();
    for (const spec of importsOf(src)) {
      if (!spec.startsWith('.')) continue;
      const target = normalize(join(dirname(file), spec)).replace(/\.js$/, '.ts');
      if (target !== file && inside(target) && files.has(target)) to.add(target);
    }
    edges.set(file, to);
  }
  return cyclesOf(edges).map((cycle) => ({ file: cycle.at(-2)!, message: `import cycle between files: ${cycle.join(' → ')}` }));
}
