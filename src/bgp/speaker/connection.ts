// One TCP connection of a BGP session: the socket (with its MD5 key and TTL security set before
// the first SYN), a Framer that cuts the byte stream into messages, and writes.
//
// An outgoing socket needs its options before connect(), when Node has not made the file
// descriptor yet: the connect goes to a placeholder host name whose `lookup` hook binds the
// handle (creating the fd), sets the options, then answers with the real address (node-libs.md §5;
// Node 20's internal `_handle.bind`, hence the exact Node pin in package.json).

import { Socket, isIP } from 'node:net';
import { Framer, type Frame } from '../codec/index.js';
import { setMd5Key, setTtlSecurity } from './sockopt.js';

interface TcpHandle { fd: number; bind(address: string, port: number): number; bind6(address: string, port: number, flags: number): number }

export interface ConnectOptions {
  readonly address: string;
  readonly port: number;
  readonly localAddress?: string;
  readonly password?: string;
  readonly ttlSecurity?: number;
}

const familyOf = (address: string): 4 | 6 => (isIP(address) === 6 ? 6 : 4);
export const plainAddress = (a: string | undefined): string => (a ?? '').replace(/^::ffff:(?=\d+\.)/, '');

/** Starts a TCP connect with the options applied to the socket before its SYN. */
export function connectTcp(o: ConnectOptions): Socket {
  const s = new Socket();
  const family = familyOf(o.address);
  s.connect({
    host: 'tortie-bgp-peer.invalid', port: o.port, family, autoSelectFamily: false,
    lookup: (_host, opts, cb) => {
      try {
        const h = (s as unknown as { _handle: TcpHandle })._handle;
        const local = o.localAddress ?? (family === 4 ? '0.0.0.0' : '::');
        const err = family === 4 ? h.bind(local, 0) : h.bind6(local, 0, 0);
        if (err) throw Object.assign(new Error(`Cannot bind to ${local} (error ${err})`), { code: 'EADDRNOTAVAIL' });
        if (o.password) setMd5Key(h.fd, family, o.address, o.password);
        if (o.ttlSecurity) setTtlSecurity(h.fd, family, o.ttlSecurity);
      } catch (e) {
        (cb as (e: Error) => void)(e as Error);
        return;
      }
      if ((opts as { all?: boolean }).all) (cb as unknown as (e: null, a: Array<{ address: string; family: number }>) => void)(null, [{ address: o.address, family }]);
      else cb(null, o.address, family);
    },
  });
  return s;
}

/** Applies TTL security to an accepted socket (the listener cannot know which peer will call). */
export function secureAccepted(s: Socket, ttlSecurity: number | undefined): void {
  if (!ttlSecurity) return;
  const h = (s as unknown as { _handle?: TcpHandle })._handle;
  if (h) setTtlSecurity(h.fd, familyOf(plainAddress(s.localAddress)), ttlSecurity);
}

export class Connection {
  private readonly framer = new Framer();
  private closed = false;

  constructor(
    readonly socket: Socket,
    readonly outbound: boolean,
    private readonly onFrame: (f: Frame) => void,
    private readonly onClose: (why: string) => void,
  ) {
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => {
      if (this.closed) return;
      for (const f of this.framer.push(chunk)) {
        if (this.closed) return;
        this.onFrame(f);
      }
    });
    socket.on('error', (e) => this.gone(e.message));
    socket.on('close', () => this.gone('The connection was closed by the peer'));
    socket.on('end', () => this.gone('The peer closed the connection'));
  }

  get localAddress(): string { return plainAddress(this.socket.localAddress); }
  get remoteAddress(): string { return plainAddress(this.socket.remoteAddress); }
  get isClosed(): boolean { return this.closed; }

  setMaxLength(n: number): void { this.framer.setMaxLength(n); }

  send(bytes: Uint8Array): void {
    if (!this.closed) this.socket.write(bytes);
  }

  /** Closes after what was written is sent (a NOTIFICATION, say); no callbacks after this. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.socket.end();
    const t = setTimeout(() => this.socket.destroy(), 2000);
    t.unref();
    this.socket.once('close', () => clearTimeout(t));
  }

  /** Drops the connection at once, sending nothing more (our own graceful restart). */
  abort(): void {
    this.closed = true;
    this.socket.destroy();
  }

  private gone(why: string): void {
    if (this.closed) return;
    this.closed = true;
    this.socket.destroy();
    this.onClose(why);
  }
}
