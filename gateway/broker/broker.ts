import { readFileSync } from 'node:fs';
import { Aedes, type Client } from 'aedes';
import type { Logger } from '../../shared/log.js';
import type { GatewayConfig } from '../config.js';
import type { Authenticator } from '../devices/authenticator.js';
import type { Stats } from '../stats.js';
import type { Pki } from '../tls/pki.js';
import { brokerHooks } from './hooks.js';
import { AuthThrottle, TokenBucket } from './limits.js';
import { Listeners } from './listeners.js';
import type { IngestPort, SecurityRecorder } from './ports.js';
import { isLoopbackHost } from './proxy-header.js';
import { installFastPuback } from './puback-write.js';
import { isCounted, markCounted, protocolErrorReason } from './refusal.js';
import { watchRemoteTakeovers } from './remote-takeover.js';
import { sendCommand } from './send-command.js';
import { skipUplinkRouting } from './uplink-routing.js';

export interface BrokerDeps {
  config: GatewayConfig;
  pki: Pki;
  auth: Authenticator;
  ingest: IngestPort;
  security: SecurityRecorder;
  stats: Stats;
  log: Logger;
  /**
   * For one of several broker nodes (gateway/cluster/): the shared emitter (mqemitter-redis) that
   * routes commands and takeovers between nodes, and the node count, which divides the limits
   * that are per gateway (connections, and per source address: the listener spreads
   * connections evenly over the nodes).
   */
  cluster?: { mq: unknown; nodes: number };
  /** The limits' clock (default the monotonic clock); a test's accelerated time. */
  monoNow?: () => number;
}

/**
 * The embedded MQTT broker: Aedes on a TLS listener, optionally a plain listener on loopback.
 * Aedes v1 speaks MQTT 3.1.1; MQTT 5 kits are served through the adapter in mqtt5/ (see
 * docs/adr/007-embedded-broker.md). With `mqtt.nodes` > 1 this runs in each broker node process
 * (gateway/cluster/).
 */
export class GatewayBroker {
  readonly aedes: Aedes;
  private readonly listeners: Listeners;
  private readonly sweeper: NodeJS.Timeout;
  mqttPort = 0;
  plainPort: number | undefined;
  /** The listener behind a TLS terminator (mqtt.proxyPort), when on. */
  proxyPort: number | undefined;

  constructor(private readonly d: BrokerDeps) {
    const c = d.config;
    const share = (n: number) => n / (d.cluster?.nodes ?? 1);
    const throttle = new AuthThrottle(
      {
        maxFailures: Math.max(1, Math.ceil(share(c.auth.maxFailures))),
        windowMs: c.auth.failureWindowMs,
        banMs: c.auth.banMs,
        baseDelayMs: c.auth.failureDelayMs,
        maxDelayMs: c.auth.maxFailureDelayMs,
      },
      d.monoNow,
    );
    const publishLimit = new TokenBucket(c.mqtt.publishRatePerDevice, c.mqtt.publishBurstPerDevice, d.monoNow);
    const connRate = new TokenBucket(share(c.mqtt.connRatePerAddr), Math.max(1, Math.ceil(share(c.mqtt.connBurstPerAddr))), d.monoNow);
    const hooks = brokerHooks({
      auth: d.auth,
      throttle,
      publishLimit,
      ingest: d.ingest,
      stats: d.stats,
      security: d.security,
      log: d.log,
      isConnected: (id) => this.client(id) !== undefined,
    });
    if (d.cluster) {
      watchRemoteTakeovers(
        d.cluster.mq,
        () => this.aedes,
        (id) => {
          d.stats.inc('client_replaced');
          d.log.warn({ deviceId: id }, 'a new connection on another broker node replaces this one (same client id)');
        },
      );
    }
    this.aedes = new Aedes({
      ...hooks,
      connectTimeout: c.mqtt.connectTimeoutMs,
      maxClientsIdLength: 32,
      maxTopicLevels: 4,
      ...(d.cluster ? { mq: d.cluster.mq } : {}),
    } as ConstructorParameters<typeof Aedes>[0]);
    skipUplinkRouting(this.aedes);
    installFastPuback();
    // Every error that closes a connection and was not counted by its own reason (auth, ACL, limits,
    // packet size, store) is a protocol error: malformed packet, protocol violation, no CONNECT in time.
    const countClose = (client: Client, err: Error) => {
      if (isCounted(err) || isCounted(client.conn) || (err as NodeJS.ErrnoException).code !== undefined) return; // code: socket/TLS level
      markCounted(client.conn);
      d.stats.incLabel('protocol_error', protocolErrorReason(err));
    };
    this.aedes.on('clientError', (client, err) => {
      countClose(client, err);
      d.log.debug({ deviceId: client.id, err: err.message }, 'client error');
    });
    this.aedes.on('connectionError', (client, err) => {
      countClose(client, err);
      d.log.debug({ err: err.message }, 'connection error');
    });
    this.listeners = new Listeners({
      handle: (socket) => this.aedes.handle(socket),
      stats: d.stats,
      connRate,
      throttle,
      maxConnections: Math.ceil(share(c.mqtt.maxConnections)),
      maxPacketBytes: c.mqtt.maxPacketBytes,
      handshakeTimeoutMs: c.mqtt.connectTimeoutMs,
      onRefused: (r) => {
        d.stats.incLabel(r.counter, r.reason);
        d.security.record(r.counter, r.clientId, r.remote, r.detail);
        if (r.counter === 'auth_failed') throttle.fail(r.remote ?? 'unknown');
      },
      takePublish: (id) => publishLimit.take(id),
    });
    this.sweeper = setInterval(() => {
      throttle.sweep();
      connRate.sweep();
      publishLimit.sweep();
    }, 60_000);
    this.sweeper.unref();
  }

  get connections(): number {
    return this.listeners.connections;
  }

  get connectedClients(): number {
    return this.aedes.connectedClients;
  }

  async start(): Promise<void> {
    const c = this.d.config;
    await this.aedes.listen();
    this.mqttPort = await this.listeners.listenTls({
      port: c.mqtt.port,
      host: c.mqtt.host,
      key: readFileSync(c.mqtt.tlsKey ?? this.d.pki.serverKeyFile),
      cert: readFileSync(c.mqtt.tlsCert ?? this.d.pki.serverCertFile),
      deviceCa: readFileSync(this.d.pki.deviceCaFile),
    });
    if (c.mqtt.plainPort !== undefined) {
      this.plainPort = await this.listeners.listenPlain({ port: c.mqtt.plainPort, host: c.mqtt.plainHost });
      this.d.log.warn({ port: this.plainPort, host: c.mqtt.plainHost }, 'plain-TCP MQTT listener enabled (no TLS)');
    }
    if (c.mqtt.proxyPort !== undefined) {
      this.proxyPort = await this.listeners.listenProxied({ port: c.mqtt.proxyPort, host: c.mqtt.proxyHost });
      this.d.log.info({ port: this.proxyPort, host: c.mqtt.proxyHost }, 'MQTT listener for a TLS terminator (PROXY protocol v2)');
      // Whoever reaches this port names the address the limits and bans key on.
      if (!isLoopbackHost(c.mqtt.proxyHost))
        this.d.log.warn(
          { host: c.mqtt.proxyHost },
          'mqtt.proxyHost is not a loopback address: anything that reaches the TLS-terminator port can claim any kit address; firewall it to the terminator',
        );
    }
  }

  client(id: string): Client | undefined {
    return (this.aedes as unknown as { clients: Record<string, Client> }).clients[id];
  }

  sendCommand(deviceId: string, payload: string): void {
    sendCommand(this.aedes, deviceId, payload);
  }

  /** Disconnects a device at once (revoked or rotated credentials). */
  disconnect(id: string): boolean {
    const c = this.client(id);
    if (!c) return false;
    c.close();
    return true;
  }

  async stop(): Promise<void> {
    clearInterval(this.sweeper);
    // Stop accepting, then end every client: a listener's close completes only once its last
    // connection has ended, so awaiting it before Aedes closes the clients waited for every
    // connected kit to leave on its own (a stop with kits connected hung until SIGKILL).
    const listening = this.listeners.close();
    await new Promise<void>((resolve) => this.aedes.close(() => resolve()));
    await listening;
  }
}
