// One "node" of the IPAM concurrency tests: a separate process that runs the tortie-ipam plugin's
// ADD (or DEL) `count` times for containers <node>-c<i>, exactly as a runtime would call it (CNI_*
// environment, network config on stdin), and prints one JSON line per call, with its start and end
// time (epoch ms).
// argv: <ADD|DEL> <node> <count> <network config JSON>

import { runIpamPlugin } from '../../src/cni/index.js';

const [command, node, countText, confJson] = process.argv.slice(2);
for (let i = 0; i < Number(countText); i++) {
  const containerId = `${node}-c${i}`;
  const startedAt = Date.now();
  const out = await runIpamPlugin({
    env: {
      CNI_COMMAND: command, CNI_CONTAINERID: containerId, CNI_NETNS: `/var/run/netns/tt-${containerId}`, CNI_IFNAME: 'eth0',
      CNI_ARGS: `K8S_POD_NAMESPACE=default;K8S_POD_NAME=pod-${containerId}`, TORTIE_CONFIG: '/dev/null',
    },
    stdin: confJson!,
  });
  let result: unknown = null;
  try { result = out.stdout ? JSON.parse(out.stdout) : null; } catch { result = { unparsable: out.stdout }; }
  process.stdout.write(`${JSON.stringify({ containerId, exitCode: out.exitCode, result, startedAt, endedAt: Date.now() })}\n`);
}
