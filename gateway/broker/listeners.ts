import { createServer as createTcpServer, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer, type TLSSocket } from 'node:tls';
import type { Stats } from '../stats.js';
import type { AuthThrottle, TokenBucket } from './limits.js';
import { acceptMqtt, type MqttVersionDeps } from './mqtt5/adapter.js';
import { PacketGuard } from './packet-guard.js';
import { readProxyHeader } from './proxy-header.js';
import { isCounted, markCounted } from './refusal.js';

export interface ListenerDeps {
  handle: (socket: Socket) => void;
  stats: Stats;
  connRate: TokenBucket;
  throttle: AuthThrottle;
  maxConnections: number;
  maxPacketBytes: number;
  /** Time a new connection has to finish the TLS handshake (mqtt.connectTimeoutMs). */
  handshakeTimeoutMs: number;
  /** Records a refusal the MQTT 5 adapter answered itself (as hooks.ts does for 3.1.1). */
  onRefused?: MqttVersionDeps['onRefused'];
  /** The per-device publish budget, for publishes the MQTT 5 adapter refuses itself. */
  takePublish?: MqttVersionDeps['takePublish'];
}

/**
 * The MQTT listeners. Refusals that need no MQTT (connection rate per address, banned address,
 * connection cap) happen on the raw TCP socket, before the TLS handshake costs anything.
 * Every accepted connection gets a packet-size guard.
 */
export class Listeners {
  private readonly servers: Server[] = [];
  private open = 0;

  constructor(private readonly d: ListenerDeps) {}

  get connections(): number {
    return this.open;
  }

  async listenTls(opts: { port: number; host: string; key: Buffer; cert: Buffer; deviceCa: Buffer }): Promise<number> {
    const server = createTlsServer({
      key: opts.key,
      cert: opts.cert,
      ca: opts.deviceCa,
      requestCert: true, // kits with a client certificate; others authenticate with a secret
      rejectUnauthorized: false, // an unverified certificate is refused by the authenticator, with a count
      minVersion: 'TLSv1.2',
      handshakeTimeout: this.d.handshakeTimeoutMs, // half-open TLS handshakes (slowloris) do not hold a slot for long
    });
    server.on('connection', (raw: Socket) => this.admit(raw));
    server.on('secureConnection', (socket: TLSSocket) => this.accept(socket));
    server.on('tlsClientError', (err: NodeJS.ErrnoException, socket: TLSSocket) => {
      // A reset is a peer gone mid-handshake, or a socket admit() already refused (and counted).
      if (err.code !== 'ECONNRESET') this.d.stats.incLabel('conn_refused', 'tls_handshake');
      socket.destroy(); // Node reports a failed or timed-out handshake but leaves the TCP connection (and its slot) open
    });
    return this.bind(server, opts.port, opts.host);
  }

  async listenPlain(opts: { port: number; host: string }): Promise<number> {
    const server = createTcpServer((socket) => {
      if (this.admit(socket)) this.accept(socket);
    });
    return this.bind(server, opts.port, opts.host);
  }

  /**
   * Plain MQTT behind a TLS terminator (HAProxy `send-proxy-v2`, docs/deploy-gateway.md): each
   * connection must open with a PROXY protocol v2 header, and the kit's address in it is the one
   * the limits, bans and the security log use. A connection without one is refused and counted
   * (`conn_refused_total{reason="proxy_header"}`); so is one that sends no header in time.
   */
  async listenProxied(opts: { port: number; host: string }): Promise<number> {
    const server = createTcpServer((socket) => this.readProxyHeader(socket));
    // Connections still waiting for their header are not yet admitted (no address to key on):
    // the server's own cap bounds them too.
    server.maxConnections = this.d.maxConnections;
    server.on('drop', () => this.d.stats.incLabel('conn_refused', 'max_connections'));
    return this.bind(server, opts.port, opts.host);
  }

  async close(): Promise<void> {
    await Promise.all(this.servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
  }

  private readProxyHeader(socket: Socket): void {
    let head: Buffer = Buffer.alloc(0);
    const refuse = () => {
      this.d.stats.incLabel('conn_refused', 'proxy_header');
      socket.destroy();
    };
    const timer = setTimeout(() => {
      socket.removeListener('data', onData);
      refuse();
    }, this.d.handshakeTimeoutMs);
    const onData = (chunk: Buffer) => {
      head = head.length === 0 ? chunk : Buffer.concat([head, chunk]);
      const h = readProxyHeader(head);
      if (h.kind === 'more') return;
      clearTimeout(timer);
      socket.removeListener('data', onData);
      if (h.kind === 'bad') return refuse();
      socket.pause();
      // The terminator's own address stays for a LOCAL header (its health check).
      if (h.source !== null) Object.defineProperty(socket, 'remoteAddress', { value: h.source, configurable: true });
      if (head.length > h.length) socket.unshift(head.subarray(h.length));
      if (!this.admit(socket)) return;
      this.accept(socket);
      socket.resume();
    };
    socket.on('data', onData);
    socket.once('close', () => clearTimeout(timer));
    socket.on('error', () => {}); // a reset before the header; accept() adds the same guard after it
  }

  /** Raw-socket admission; returns false (and destroys the socket) when a limit refuses it. */
  private admit(socket: Socket): boolean {
    const addr = socket.remoteAddress ?? 'unknown';
    let reason: string | undefined;
    if (this.open >= this.d.maxConnections) reason = 'max_connections';
    else if (this.d.throttle.isBanned(addr)) reason = 'banned';
    else if (!this.d.connRate.take(addr)) reason = 'conn_rate';
    if (reason) {
      this.d.stats.incLabel('conn_refused', reason);
      socket.destroy();
      return false;
    }
    this.open++;
    socket.once('close', () => this.open--);
    return true;
  }

  private accept(socket: Socket): void {
    socket.setNoDelay(true);
    const guard = new PacketGuard(this.d.maxPacketBytes);
    socket.on('data', (chunk: Buffer) => {
      const why = guard.check(chunk);
      if (why === null || isCounted(socket)) return;
      // Counted once here; Aedes' parser may still report the same bytes (broker.ts skips a counted socket).
      if (why.startsWith('malformed')) this.d.stats.incLabel('protocol_error', 'malformed');
      else this.d.stats.inc('packet_too_large');
      markCounted(socket);
      socket.destroy();
    });
    socket.on('error', () => {}); // resets are normal at the edge; Aedes reports client errors
    acceptMqtt(socket, this.d.handle, { ...this.d, connectTimeoutMs: this.d.handshakeTimeoutMs }); // MQTT 5 → the adapter; 3.1.1 → Aedes as before
  }

  private bind(server: Server, port: number, host: string): Promise<number> {
    this.servers.push(server);
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        const a = server.address();
        resolve(typeof a === 'object' && a ? a.port : port);
      });
    });
  }
}
