// A hand-driven BGP peer for tests: it opens a session with buildOpen and the codec, then sends
// whatever bytes a test wants (hostile ones included) and collects what the speaker answers.
// Private to this room (tests only).

import { Socket } from 'node:net';
import {
  buildOpen, decodeMessage, DEFAULT_CONTEXT, encodeMessage, Framer,
  type AfiSafi, type CodecContext, type GracefulRestartCapability, type Message, type NotificationMessage,
} from '../codec/index.js';

export interface RawPeerOptions {
  readonly host: string;
  readonly port: number;
  readonly localAddress: string;
  readonly as: number;
  readonly routerId: string;
  /** 0: no keepalives and no hold timer on either side (a session that stays up while the test sleeps). */
  readonly holdTime?: number;
  readonly gracefulRestart?: GracefulRestartCapability;
  /** Default IPv4 unicast only. */
  readonly families?: readonly AfiSafi[];
}

export class RawPeer {
  readonly received: Message[] = [];
  /** Every whole message as it came off the wire (header included), for byte-exact checks. */
  readonly frames: Uint8Array[] = [];
  closed = false;
  private readonly socket: Socket;
  private readonly framer = new Framer(65535);
  private waiters: Array<() => void> = [];
  ctx: CodecContext = { ...DEFAULT_CONTEXT, fourOctetAs: true };

  constructor(private readonly o: RawPeerOptions) {
    this.socket = new Socket();
    this.socket.on('data', (b: Buffer) => {
      for (const f of this.framer.push(b)) {
        if (!f.ok) continue;
        this.frames.push(f.bytes);
        const r = decodeMessage(f.bytes, this.ctx);
        if (r.ok) this.received.push(r.message);
      }
      this.wake();
    });
    this.socket.on('close', () => { this.closed = true; this.wake(); });
    this.socket.on('error', () => {});
  }

  /** Connects, exchanges OPEN and KEEPALIVE; resolves when the speaker's KEEPALIVE arrived, fails when it did not. */
  async establish(ms?: number): Promise<void> {
    if (!(await this.tryEstablish(ms))) throw new Error(`No session with ${this.o.host}:${this.o.port} from ${this.o.localAddress}${this.closed ? ': the speaker closed the connection' : ''}`);
  }

  /** As establish, but false when the speaker refuses (closes the connection, or stays silent for `ms`). */
  async tryEstablish(ms = 20_000): Promise<boolean> {
    const connected = await new Promise<boolean>((resolve) => {
      this.socket.once('error', () => resolve(false));
      this.socket.connect({ host: this.o.host, port: this.o.port, localAddress: this.o.localAddress }, () => resolve(true));
    });
    if (!connected) return false;
    this.send(buildOpen({
      as: this.o.as, bgpId: this.o.routerId, holdTime: this.o.holdTime ?? 90, families: this.o.families ?? [{ afi: 1, safi: 1 }], enhancedRouteRefresh: true,
      ...(this.o.gracefulRestart ? { gracefulRestart: this.o.gracefulRestart } : {}),
    }));
    if (!(await this.until((m) => m.type === 'open', ms))) return false;
    this.send({ type: 'keepalive' });
    return (await this.until((m) => m.type === 'keepalive', ms)) !== undefined && !this.closed;
  }

  send(m: Message): void { this.raw(encodeMessage(m, this.ctx)); }
  raw(b: Uint8Array): void { if (!this.closed) this.socket.write(b); }

  /** Waits until a received message matches (or the connection closes, or `ms` pass: generous, for a busy machine). */
  async until(match: (m: Message) => boolean, ms = 20_000): Promise<Message | undefined> {
    const end = performance.now() + ms;
    for (;;) {
      const m = this.received.find(match);
      if (m) return m;
      if (this.closed || performance.now() > end) return undefined;
      await new Promise<void>((r) => { this.waiters.push(r); setTimeout(r, 50); });
    }
  }

  notification(ms = 20_000): Promise<NotificationMessage | undefined> {
    return this.until((m) => m.type === 'notification', ms) as Promise<NotificationMessage | undefined>;
  }

  async waitClosed(ms = 20_000): Promise<boolean> {
    const end = performance.now() + ms;
    while (!this.closed && performance.now() < end) await new Promise((r) => setTimeout(r, 20));
    return this.closed;
  }

  close(): void { this.socket.destroy(); }

  private wake(): void { const w = this.waiters; this.waiters = []; for (const f of w) f(); }
}
