// Writes the detected pod MTU where the CNI plugin reads it when its config says `mtu: 0`
// (Felix writes /var/lib/calico/mtu; calico.md §5–§6). Atomic (temp file + rename), and only
// when the value changes, so a CNI ADD never reads a half-written file.

import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { TortieError } from '../../lib/errors.js';

export const DEFAULT_MTU_FILE = '/var/lib/tortie/mtu';

/** Returns true when the file was (re)written, false when it already held `mtu`. */
export async function writeMtuFile(mtu: number, path: string = DEFAULT_MTU_FILE): Promise<boolean> {
  if (!Number.isInteger(mtu) || mtu < 68 || mtu > 65535) {
    throw new TortieError('TORTIE_ERR_DATAPLANE_INVALID', `Invalid MTU ${JSON.stringify(mtu)}: expected an integer from 68 to 65535`, { value: mtu });
  }
  const text = `${mtu}\n`;
  try {
    if ((await readFile(path, 'utf8')) === text) return false;
  } catch { /* absent or unreadable: write it */ }
  const tmp = `${path}.tmp-${process.pid}`;
  try {
    await mkdir(dirname(path), { recursive: true });
    await writeFile(tmp, text, { mode: 0o644 });
    await rename(tmp, path);
  } catch (e) {
    throw new TortieError('TORTIE_ERR_FILE_UNREADABLE', `Cannot write the MTU file ${path}: ${(e as Error).message}`, { path }, { cause: e });
  }
  return true;
}

/** The MTU in the file, or null when it is absent or not a number. */
export async function readMtuFile(path: string = DEFAULT_MTU_FILE): Promise<number | null> {
  try {
    const n = Number((await readFile(path, 'utf8')).trim());
    return Number.isInteger(n) && n > 0 ? n : null;
  } catch { return null; }
}
