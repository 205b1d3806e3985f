// Runs inside a network namespace (see capture-fixtures.ts): accepts BGP connections on the given
// addresses, answers each with our OPEN, keeps the session up with KEEPALIVEs, asks for a route
// refresh, then provokes a NOTIFICATION with a bad message type, and prints every message the
// peer sent as hex, one JSON line per session.
// Usage: node capture-listener.js <seconds> <ip>=<profile> …   profile: modern | old
import { createServer, type Socket } from 'node:net';
import {
  buildOpen, contextWith, encodeMessage, Framer, hex, DEFAULT_CONTEXT, type OpenMessage,
} from '../../src/bgp/codec/index.js';

const seconds = Number(process.argv[2]);
const targets = process.argv.slice(3).map((a) => a.split('=') as [string, string]);

function openFor(profile: string, ip: string): OpenMessage {
  const localIp = ip.includes(':') ? '10.99.1.1' : ip;
  if (profile === 'old') {
    // A 2-octet-AS, IPv4-only speaker: no 4-octet AS, no multiprotocol capability.
    return { type: 'open', version: 4, myAs: 65001, holdTime: 90, bgpId: localIp, capabilities: { multiprotocol: [{ afi: 1, safi: 1 }], routeRefresh: true } };
  }
  return buildOpen({
    as: profile === 'ibgp' ? 4200000002 : 65001, bgpId: localIp, holdTime: 90,
    families: [{ afi: 1, safi: 1 }, { afi: 2, safi: 1 }],
    routeRefresh: true, enhancedRouteRefresh: true, extendedMessage: true,
    gracefulRestart: { restarting: false, notification: false, time: 120, families: [{ afi: 1, safi: 1, forwarding: true }, { afi: 2, safi: 1, forwarding: true }] },
    addPath: [{ afi: 1, safi: 1, send: true, receive: true }, { afi: 2, safi: 1, send: true, receive: true }],
  });
}

let open = targets.length;
for (const [ip, profile] of targets) {
  let taken = false;
  const server = createServer((sock: Socket) => {
    console.error(`connection on ${ip} from ${sock.remoteAddress}`);
    // One session per address: a peer that retries after an error gets its socket closed.
    if (taken) { sock.destroy(); return; }
    taken = true;
    const messages: string[] = [];
    const framer = new Framer(65535);
    const ctx = contextWith({ fourOctetAs: profile !== 'old', maxLength: 4096 });
    const send = (m: Parameters<typeof encodeMessage>[0]): void => { sock.write(encodeMessage(m, ctx)); };
    sock.on('data', (chunk: Buffer) => {
      for (const f of framer.push(new Uint8Array(chunk))) if (f.ok) messages.push(hex(f.bytes));
    });
    sock.on('error', () => {});
    send(openFor(profile, ip));
    send({ type: 'keepalive' });
    const ka = setInterval(() => send({ type: 'keepalive' }), 5000);
    setTimeout(() => { if (profile !== 'old') send({ type: 'route-refresh', afi: 1, safi: 1, subtype: 0 }); }, (seconds * 1000) / 2);
    setTimeout(() => {
      clearInterval(ka);
      // A header with message type 9: the peer answers NOTIFICATION 1/3 (Bad Message Type).
      const bad = encodeMessage({ type: 'keepalive' }, DEFAULT_CONTEXT);
      bad[18] = 9;
      sock.write(bad);
      setTimeout(() => {
        console.log(JSON.stringify({ ip, profile, messages }));
        sock.destroy();
        server.close();
        if (--open === 0) process.exit(0);
      }, 1000);
    }, seconds * 1000);
  });
  server.listen(179, ip);
}
console.error('listening');
