// The Sysctl port over /proc/sys. Names may be slashed (`net/ipv4/conf/vxlan.tortie/proxy_arp`,
// what the managers use) or dotted (`net.ipv4.ip_forward`, read the procps way, where '/' stands
// for a '.' inside a name). A dotted name whose interface has dots (`net.ipv4.conf.vxlan.tortie.
// proxy_arp`) is ambiguous; every split is tried and the one that exists wins.
// /proc/sys/net shows the network namespace of the process that opens it, so to work on another
// namespace run the process there (`ip netns exec`); see test/dataplane/sysctl-helper.ts.
// The file operations are synchronous on purpose: a /proc/sys read or write is a few microseconds
// of kernel work, and going through libuv's thread pool made it 5–7× slower (40,000 keys of a
// 10,000-pod node: ≈2 s asynchronously, ≈0.3 s synchronously). Callers with many keys yield to the
// event loop between chunks (SysctlManager does).

import { accessSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { TortieError } from '../../lib/errors.js';
import { sysctlCandidates, type Sysctl } from '../index.js';

export interface SysctlFsOptions {
  /** Defaults to /proc/sys; tests may point it at a scratch directory. */
  readonly root?: string;
}

export class SysctlFs implements Sysctl {
  private readonly root: string;

  constructor(opts: SysctlFsOptions = {}) {
    this.root = opts.root ?? '/proc/sys';
  }

  async read(path: string): Promise<string | null> {
    const file = await this.resolve(path);
    if (file === null) return null;
    try {
      return readFileSync(file, 'utf8').trim();
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') return null; // no such key (or the interface went away)
      throw new TortieError('TORTIE_ERR_DATAPLANE_SYSCTL', `Cannot read sysctl ${path}: ${code ?? (e as Error).message}`, { path, errno: code }, { cause: e });
    }
  }

  async write(path: string, value: string): Promise<void> {
    const file = (await this.resolve(path)) ?? join(this.root, sysctlCandidates(path)[0]!);
    try {
      writeFileSync(file, `${value}\n`, { flag: 'r+' }); // r+: never create a file under /proc/sys
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      const why = code === 'ENOENT' ? 'it does not exist (is the interface gone?)' : code === 'EACCES' || code === 'EPERM' ? 'permission denied' : code === 'EINVAL' ? `the kernel rejected the value "${value}"` : code ?? (e as Error).message;
      throw new TortieError('TORTIE_ERR_DATAPLANE_SYSCTL', `Cannot write sysctl ${path}: ${why}`, { path, errno: code }, { cause: e });
    }
  }

  private async resolve(path: string): Promise<string | null> {
    const all = sysctlCandidates(path);
    // One candidate (every slashed path, what the managers use): no existence probe — the read or
    // write finds out, and the probe doubled the cost of the 40,000 reads of a 10,000-pod node.
    if (all.length === 1) return join(this.root, all[0]!);
    for (const c of all) {
      const file = join(this.root, c);
      try { accessSync(file); return file; } catch { /* try the next split */ }
    }
    return null;
  }
}
