import { connect, createServer, type Server, type Socket } from 'node:net';

/**
 * The load balancer in front of two cloud instances (docs/design.md: the cloud is stateless and runs
 * behind one): a TCP round robin that, when a backend refuses the connection, tries the next one.
 * The gateway's relay takes one cloud URL (`cloud.url`) and points at this, as it would at any
 * load balancer in production; it sees a killed instance only as a reset connection or a
 * failed request, and its retry lands on the other instance.
 */
export class RoundRobinBalancer {
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  private next = 0;
  port = 0;
  /** Connections handed to each backend (index as in `backends`). */
  readonly served: number[];
  /** Connections open to each backend now. */
  readonly active: number[];

  constructor(private readonly backends: () => number[]) {
    this.served = backends().map(() => 0);
    this.active = backends().map(() => 0);
  }

  async listen(): Promise<number> {
    this.server = createServer((client) => this.onClient(client));
    await new Promise<void>((resolve, reject) => {
      this.server?.once('error', reject);
      this.server?.listen(0, '127.0.0.1', () => resolve());
    });
    const a = this.server.address();
    this.port = typeof a === 'object' && a ? a.port : 0;
    return this.port;
  }

  async close(): Promise<void> {
    const closed = new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
    for (const s of this.sockets) s.destroy();
    await closed;
  }

  private onClient(client: Socket): void {
    this.track(client);
    client.on('error', () => client.destroy());
    client.pause();
    const ports = this.backends();
    const first = this.next++ % ports.length;
    const attempt = (tries: number) => {
      if (tries >= ports.length || client.destroyed) {
        client.destroy();
        return;
      }
      const index = (first + tries) % ports.length;
      const upstream = connect(ports[index] as number, '127.0.0.1');
      const refused = () => attempt(tries + 1);
      upstream.once('error', refused);
      upstream.once('connect', () => {
        upstream.off('error', refused);
        this.served[index] = (this.served[index] ?? 0) + 1;
        this.active[index] = (this.active[index] ?? 0) + 1;
        upstream.once('close', () => {
          this.active[index] = (this.active[index] ?? 1) - 1;
        });
        this.track(upstream);
        client.pipe(upstream);
        upstream.pipe(client);
        client.resume();
        const end = () => {
          client.destroy();
          upstream.destroy();
        };
        for (const s of [client, upstream]) {
          s.on('error', end);
          s.on('close', end);
        }
      });
    };
    attempt(0);
  }

  private track(s: Socket): void {
    this.sockets.add(s);
    s.on('close', () => this.sockets.delete(s));
  }
}
