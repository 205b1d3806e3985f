#!/usr/bin/env node
// Builds the native CNI shim (src/cni/shim/tortie-cni.c → dist/tortie-cni): the `tortie` CNI
// plugin that runtimes start per pod. It needs a C compiler (scripts/setup.sh installs gcc).

import { execFileSync } from 'node:child_process';
import { mkdirSync, statSync } from 'node:fs';

const src = 'src/cni/shim/tortie-cni.c';
const out = 'dist/tortie-cni';
mkdirSync('dist', { recursive: true });
try {
  if (statSync(out).mtimeMs > statSync(src).mtimeMs) process.exit(0);
} catch { /* not built yet */ }
try {
  execFileSync('cc', ['-O2', '-Wall', '-Wextra', '-o', out, src], { stdio: 'inherit' });
} catch (e) {
  console.error(`Cannot build the CNI shim ${out} from ${src}: ${e.message}\nInstall a C compiler (apt-get install gcc libc6-dev; scripts/setup.sh does).`);
  process.exit(1);
}
