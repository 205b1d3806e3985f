import assert from 'node:assert/strict';
import { test } from 'node:test';
import { kindByName } from '../registry.js';
import { validateDocument } from '../validate.js';
import { FELIX_DEFAULTS } from './felix-configuration.js';

const doc = (spec: unknown, name = 'default'): unknown => ({
  apiVersion: 'projectcalico.org/v3', kind: 'FelixConfiguration', metadata: { name }, spec,
});
const paths = (d: unknown): string[] => {
  const r = validateDocument(d);
  assert.equal(r.ok, false, 'expected the document to be rejected');
  return r.ok ? [] : r.issues.map((i) => i.path).sort();
};

test("Calico's sample FelixConfiguration is stored as given: no defaults are added", () => {
  const spec = {
    ipv6Support: false,
    ipipMTU: 1400,
    chainInsertMode: 'Append',
    bpfLogLevel: 'Debug',
    vxlanEnabled: true,
    vxlanVNI: 4096,
    vxlanPort: 4789,
    routeRefreshInterval: '90s',
    reportingInterval: '0s',
    healthPort: 9099,
    prometheusMetricsEnabled: true,
    prometheusMetricsPort: 9091,
    failsafeInboundHostPorts: [{ protocol: 'TCP', port: 22 }, { protocol: 'UDP', port: 68, net: '10.0.0.0/8' }],
    failsafeOutboundHostPorts: [],
    kubeNodePortRanges: ['30000:32767', 8080],
    natPortRange: '32768:65535',
    natOutgoingAddress: '10.0.0.100',
    iptablesMarkMask: 0xffff0000,
    routeTableRanges: [{ min: 1, max: 250 }],
    programClusterRoutes: 'EnabledIPIPOnly',
    nftablesMode: 'Enabled',
    workloadSourceSpoofing: 'Any',
  };
  const r = validateDocument(doc(spec));
  assert.ok(r.ok, JSON.stringify(r));
  assert.deepEqual(r.resource.spec, spec);
});

test("words Felix takes in any case are stored in Calico's spelling", () => {
  const r = validateDocument(doc({
    defaultEndpointToHostAction: 'ACCEPT', chainInsertMode: 'insert', logSeverityScreen: 'warning',
    iptablesBackend: 'nft', failsafeInboundHostPorts: [{ protocol: 'tcp', port: 22 }],
  }, 'node.worker-1'));
  assert.ok(r.ok, JSON.stringify(r));
  assert.deepEqual(r.resource.spec, {
    defaultEndpointToHostAction: 'Accept', chainInsertMode: 'Insert', logSeverityScreen: 'Warning',
    iptablesBackend: 'NFT', failsafeInboundHostPorts: [{ protocol: 'TCP', port: 22 }],
  });
});

test('FELIX_DEFAULTS is itself a valid FelixConfiguration', () => {
  const r = validateDocument(doc(FELIX_DEFAULTS));
  assert.ok(r.ok, JSON.stringify(r));
  assert.deepEqual(r.resource.spec, FELIX_DEFAULTS);
  assert.equal(FELIX_DEFAULTS.failsafeInboundHostPorts.length, 9);
  assert.deepEqual(FELIX_DEFAULTS.failsafeOutboundHostPorts[0], { protocol: 'UDP', port: 53 });
});

test('every mistake of a FelixConfiguration is reported with its path', () => {
  assert.deepEqual(paths(doc({
    routeRefreshInterval: '90',
    vxlanVNI: 0,
    ipipEnabled: 'yes',
    defaultEndpointToHostAction: 'Allow',
    failsafeInboundHostPorts: [{ protocol: 'ICMP', port: 22 }, { port: 70000 }],
    kubeNodePortRanges: ['30000-32767'],
    mtuIfacePattern: '(eth',
    logActionRateLimit: '10/week',
    ipipMtu: 1440,
  })), [
    'spec.defaultEndpointToHostAction', 'spec.failsafeInboundHostPorts[0].protocol', 'spec.failsafeInboundHostPorts[1].port',
    'spec.ipipEnabled', 'spec.ipipMtu', 'spec.kubeNodePortRanges[0]', 'spec.logActionRateLimit', 'spec.mtuIfacePattern',
    'spec.routeRefreshInterval', 'spec.vxlanVNI',
  ]);
});

test('each cross-field rule has its failing case', () => {
  const cases: Array<[object, string[]]> = [
    [{ routeTableRange: { min: 1, max: 250 }, routeTableRanges: [{ min: 1, max: 250 }] }, ['spec.routeTableRanges']],
    [{ routeTableRange: { min: 10, max: 251 } }, ['spec.routeTableRange']],
    [{ routeTableRanges: [{ min: 0, max: 10 }, { min: 20, max: 10 }] }, ['spec.routeTableRanges[0]', 'spec.routeTableRanges[1]']],
    [{ natOutgoingAddress: 'fd00::1' }, ['spec.natOutgoingAddress']],
    [{ deviceRouteSourceAddress: '10.0.0.300' }, ['spec.deviceRouteSourceAddress']],
    [{ deviceRouteSourceAddressIPv6: '10.0.0.1' }, ['spec.deviceRouteSourceAddressIPv6']],
    [{ externalNodesList: ['10.0.0.0/8', 'fd00::/64'] }, ['spec.externalNodesList[1]']],
    [{ openstackRegion: 'Region_One' }, ['spec.openstackRegion']],
  ];
  for (const [spec, want] of cases) assert.deepEqual(paths(doc(spec)), want, JSON.stringify(spec));
});

test('the name is `default` or `node.<nodename>`', () => {
  assert.ok(validateDocument(doc({}, 'node.worker-1')).ok);
  assert.deepEqual(paths(doc({}, 'felix')), ['metadata.name']);
});

test('calicoctl names find FelixConfiguration', () => {
  for (const n of ['felixconfiguration', 'felixconfigurations', 'felixconfig', 'felixconfigs']) assert.equal(kindByName(n)?.kind, 'FelixConfiguration', n);
});
