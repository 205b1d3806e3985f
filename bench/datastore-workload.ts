// The value every bench write stores: about the size of a small Calico resource (a workload
// endpoint's spec, ~300 bytes of JSON), carrying the write's sequence number so a watcher can
// match each event to the moment its write started. Sequence -1 marks warm-up writes.

const spec = {
  orchestrator: 'k8s', node: 'node-1', workload: 'default.frontend-7d9c8b5f6-x2x9q', endpoint: 'eth0',
  interfaceName: 'cali1a2b3c4d5e6', mac: 'ee:ee:ee:ee:ee:ee',
  ipNetworks: ['10.244.17.5/32'], profiles: ['kns.default', 'ksa.default.default'],
  ports: [{ name: 'http', protocol: 'TCP', port: 8080 }],
};

export function valueOf(seq: number): { apiVersion: string; kind: string; seq: number; spec: typeof spec } {
  return { apiVersion: 'projectcalico.org/v3', kind: 'WorkloadEndpoint', seq, spec };
}

export function seqOf(value: unknown): number {
  const seq = (value as { seq?: unknown } | null)?.seq;
  if (typeof seq !== 'number') throw new Error(`A bench event carries no sequence number: ${JSON.stringify(value)}`);
  return seq;
}
