import { connect, createServer, type Server, type Socket } from 'node:net';

/**
 * A TCP proxy in front of a service for fault injection: pass through, add latency per chunk,
 * black-hole (accept and swallow bytes, never answer: packets dropped, not refused), or refuse
 * (close every connection at once).
 */
export type ProxyMode = { kind: 'pass' } | { kind: 'delay'; ms: number } | { kind: 'blackhole' } | { kind: 'refuse' };

export class FaultProxy {
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  /** Open connections, oldest first: [client, upstream]. */
  private readonly pairs = new Set<[Socket, Socket]>();
  private closing = false;
  mode: ProxyMode = { kind: 'pass' };
  port = 0;

  constructor(
    private readonly targetHost: string,
    private readonly targetPort: number,
  ) {}

  async listen(port = 0): Promise<number> {
    this.server = createServer((client) => this.onClient(client));
    await new Promise<void>((resolve, reject) => {
      this.server?.once('error', reject);
      this.server?.listen(port, '127.0.0.1', () => resolve());
    });
    const address = this.server.address();
    this.port = typeof address === 'object' && address ? address.port : 0;
    return this.port;
  }

  set(mode: ProxyMode): void {
    this.mode = mode;
    if (mode.kind === 'refuse') for (const s of this.sockets) s.destroy();
  }

  /** Drops every open connection (e.g. to make clients reconnect through a new mode). */
  resetConnections(): void {
    for (const s of this.sockets) s.destroy();
  }

  /** Drops the oldest open connection only (both sides); false when none is open. */
  dropOldest(): boolean {
    const first = this.pairs.values().next();
    if (first.done) return false;
    for (const s of first.value) s.destroy();
    return true;
  }

  /** Stops listening and drops every connection, including clients that reconnect meanwhile. */
  async close(): Promise<void> {
    this.closing = true;
    const closed = new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
    this.resetConnections();
    await closed;
  }

  private onClient(client: Socket): void {
    if (this.closing || this.mode.kind === 'refuse') {
      client.destroy();
      return;
    }
    const upstream = connect(this.targetPort, this.targetHost);
    this.track(client);
    this.track(upstream);
    const pair: [Socket, Socket] = [client, upstream];
    this.pairs.add(pair);
    client.on('close', () => this.pairs.delete(pair));
    const pipe = (from: Socket, to: Socket) => {
      from.on('data', (chunk) => {
        const mode = this.mode;
        if (mode.kind === 'blackhole') return;
        if (mode.kind === 'refuse') {
          from.destroy();
          to.destroy();
          return;
        }
        if (mode.kind === 'delay') {
          from.pause();
          setTimeout(() => {
            if (!to.destroyed) to.write(chunk);
            from.resume();
          }, mode.ms);
          return;
        }
        if (!to.write(chunk)) {
          from.pause();
          to.once('drain', () => from.resume());
        }
      });
      from.on('close', () => to.destroy());
      from.on('error', () => to.destroy());
    };
    pipe(client, upstream);
    pipe(upstream, client);
  }

  private track(socket: Socket): void {
    this.sockets.add(socket);
    socket.on('close', () => this.sockets.delete(socket));
  }
}
