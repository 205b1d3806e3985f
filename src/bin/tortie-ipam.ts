// The `tortie-ipam` CNI IPAM plugin executable: config on stdin, CNI_* in the environment, the
// result (or CNI error) JSON on stdout and nothing else.
import { readFileSync } from 'node:fs';
import { runIpamPlugin } from '../cni/index.js';

let stdin = '';
try { stdin = readFileSync(0, 'utf8'); } catch { /* no stdin: VERSION may come without config */ }
const out = await runIpamPlugin({ env: process.env, stdin });
if (out.stdout) process.stdout.write(`${out.stdout}\n`);
process.exitCode = out.exitCode;
