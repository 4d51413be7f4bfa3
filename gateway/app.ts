import type { Database } from 'better-sqlite3';
import type { FastifyInstance } from 'fastify';
import { dashboardRoutes } from '../shared/http/dashboard-static.js';
import { FailedAuthLimiter } from '../shared/http/failed-auth-limit.js';
import type { Logger } from '../shared/log.js';
import { topics } from '../shared/topics.js';
import { GatewayBroker } from './broker/broker.js';
import type { BrokerFront } from './broker/ports.js';
import { SecurityLog } from './broker/security-log.js';
import { BrokerNodes } from './cluster/nodes.js';
import { checkGatewayConfig, type GatewayConfig } from './config.js';
import { Authenticator } from './devices/authenticator.js';
import { DeviceDirectory } from './devices/directory.js';
import { mqttUrl } from './devices/provision.js';
import { localApi } from './http/api.js';
import { notificationsApi } from './http/notifications-api.js';
import { operatorAuth } from './http/operator-auth.js';
import { tokenFilePath } from './http/operator-token.js';
import { refusalsApi } from './http/refusals-api.js';
import { buildHttp } from './http/server.js';
import { IngestPipeline } from './ingest/pipeline.js';
import { GatewayMetrics } from './metrics.js';
import { Notifier } from './notify/notifier.js';
import { RefusalLog } from './refusal-log.js';
import { buildRelay, type Relay } from './relay/index.js';
import { CommandSender } from './runtime/command-sender.js';
import { ControlLoop } from './runtime/control-loop.js';
import { applyDesired } from './runtime/downlink.js';
import { RecordSink } from './runtime/record-sink.js';
import { startSnapshot } from './snapshot.js';
import { Stats } from './stats.js';
import { lockDataDir, writeGatewayInfo } from './store/lock.js';
import { openStore } from './store/open.js';
import { StoreWriter } from './store/writer.js';
import { startSystemdNotify } from './systemd.js';
import { ensurePki, type Pki, pkiPaths } from './tls/pki.js';

/**
 * Builds the whole gateway with no side effects until `start()`.
 * Start order: store (writer thread, migrations) → device directory → TLS material → broker →
 * HTTP; `stop()` goes in reverse (DESIGN.md).
 */
export interface Gateway {
  start(): Promise<{ httpPort: number; mqttPort: number; plainPort: number | undefined }>;
  stop(): Promise<void>;
  readonly stats: Stats;
  readonly ingest: IngestPipeline;
  /** Available after start(). */
  readonly broker: BrokerFront;
  readonly http: FastifyInstance;
  readonly pki: Pki;
  /** Available after start(). */
  readonly control: ControlLoop;
  /** The relay to the cloud (issue 6); undefined when running offline. Set `relay.onDesired` to apply the downlink. */
  readonly relay: Relay | undefined;
}

export interface GatewayOptions {
  /** The control clock (tests run cooks in accelerated time); default Date.now. */
  now?: () => number;
}

export function buildGateway(config: GatewayConfig, log: Logger, options: GatewayOptions = {}): Gateway {
  checkGatewayConfig(config);
  const now = options.now ?? Date.now;
  const stats = new Stats();
  const store = new StoreWriter(config.dataDir);
  let reader: Database | undefined;
  let directory: DeviceDirectory | undefined;
  let broker: BrokerFront | undefined;
  let stopSnapshot: (() => void) | undefined;
  let stopSystemd: (() => void) | undefined;
  let retention: NodeJS.Timeout | undefined;
  let lock: { release(): void } | undefined;
  const relayOn = () => config.cloud.url !== undefined;
  let metrics: GatewayMetrics | undefined;
  let loop: ControlLoop | undefined;
  let sender: CommandSender | undefined;
  const onPubackLatency = (ms: number) => metrics?.pubackLatency.observe(ms / 1000);
  const refusals = new RefusalLog(log.child({ part: 'refusals' }));
  const ingest = new IngestPipeline(store, stats, relayOn, onPubackLatency, refusals);
  metrics = new GatewayMetrics(stats, {
    connections: () => broker?.connections ?? 0,
    clients: () => broker?.connectedClients ?? 0,
    storeQueue: () => store.queued,
  });
  store.onCommit = (items, ms) => {
    metrics?.commitItems.observe(items);
    metrics?.commitLatency.observe(ms / 1000);
  };
  const notifier = new Notifier({ config, store, log: log.child({ part: 'notify' }), registry: metrics.registry, now });
  const pki = pkiPaths(config.dataDir); // paths only; the files are made in start()
  const http = buildHttp(log, metrics, () => ({ name: config.name, clients: broker?.connectedClients ?? 0 }));
  const operator = operatorAuth(
    tokenFilePath(config.dataDir, config.http.tokenFile),
    new FailedAuthLimiter(config.http.authFailuresPerMin),
  );
  // Relay (issue 6): built with the app (metrics, GET /v1/relay), started after the broker, stopped first.
  const relay = buildRelay(config, store, {
    registry: metrics.registry,
    http,
    log,
    auth: operator,
  });

  return {
    stats,
    ingest,
    http,
    pki,
    relay,
    get broker() {
      if (!broker) throw new Error('gateway not started');
      return broker;
    },
    get control() {
      if (!loop) throw new Error('gateway not started');
      return loop;
    },
    async start() {
      // One gateway per data dir, decided before anything touches the store.
      lock = lockDataDir(config.dataDir);
      await store.open();
      notifier.start();
      reader = openStore(config.dataDir, { readonly: true });
      const auth = { current: undefined as Authenticator | undefined };
      directory = new DeviceDirectory(reader, (changed) => {
        for (const id of changed) {
          auth.current?.forget(id);
          if (broker?.disconnect(id)) log.info({ deviceId: id }, 'credentials changed: device disconnected');
        }
      });
      directory.start();
      auth.current = new Authenticator(directory);
      const hosts = config.mqtt.publicHost ? [config.mqtt.publicHost] : [];
      const { created } = ensurePki(config.dataDir, hosts);
      if (created) log.info({ caFile: pki.caFile }, 'created the gateway CA and server certificate; kits must trust this CA file');
      const security = new SecurityLog(store, stats, config.store.securityEventsPerMin, refusals);
      broker =
        config.mqtt.nodes > 1
          ? new BrokerNodes({ config, ingest, security, stats, log, registry: (metrics as GatewayMetrics).registry, onPubackLatency })
          : new GatewayBroker({ config, pki, auth: auth.current, ingest, security, stats, log });
      await broker.start();
      relay?.start();
      // Control: fully local; decisions go out as commands on the kit's cmd topic.
      const sink = new RecordSink(store, relayOn, (err) => log.error({ err }, 'could not record an event or audit entry'), notifier.plan);
      const aedes = broker.aedes;
      sender = new CommandSender(
        (deviceId, payload) =>
          aedes.publish(
            { cmd: 'publish', topic: topics.cmd(deviceId), payload: Buffer.from(payload), qos: 1, retain: false, dup: false },
            () => {},
          ),
        sink,
        (deviceId, _id, why) => {
          log.warn({ deviceId, why }, 'command failed');
          loop?.onCommandFailed(deviceId);
        },
        {
          ackTimeoutMs: config.control.ackTimeoutMs,
          retries: config.control.retries,
          ttlMs: config.control.commandTtlMs,
          maxC: config.control.maxC,
        },
        now,
        (deviceId, cmd, ack) => loop?.onAck(deviceId, cmd, ack),
      );
      loop = new ControlLoop(sender, sink, log, now, stats);
      const resumed = loop.resumeFrom(reader);
      if (resumed > 0) log.info({ resumed }, 'cooks resume with the first new reading of each kit');
      const control = loop;
      ingest.on('live', (id, m, rxTs) => control.onReading(id, m, rxTs));
      ingest.on('status', (id, m) => control.onStatus(id, m.state === 'online'));
      ingest.on('ack', (id, m) => sender?.onAck(id, m));
      control.start();
      if (relay) relay.onDesired = applyDesired(control, log); // downlink: cloud cooks → commands
      localApi(http, {
        loop: control,
        reader: () => reader as Database,
        deviceIds: () => {
          directory?.poll(); // a kit provisioned a moment ago by the CLI is known at once
          return directory?.ids() ?? [];
        },
        auth: operator,
      });
      refusalsApi(http, { reader: () => reader as Database, store, ingest, auth: operator });
      notificationsApi(http, { reader: () => reader as Database, channels: () => notifier.configured, auth: operator });
      dashboardRoutes(http, { kind: 'gateway', name: () => config.name });
      await http.listen({ port: config.http.port, host: config.http.host });
      const a = http.server.address();
      const httpPort = typeof a === 'object' && a ? a.port : config.http.port;
      writeGatewayInfo(config.dataDir, { mqttUrl: mqttUrl(config, broker.mqttPort) });
      if (config.log.snapshot) stopSnapshot = startSnapshot(stats, log);
      stopSystemd = startSystemdNotify(log);
      retention = setInterval(() => {
        const cutoff = Date.now() - config.store.retentionHours * 3600_000;
        store.retention(cutoff, config.store.maxHistoryRows).catch((err: Error) => log.error({ err }, 'retention failed'));
      }, 10 * 60_000);
      retention.unref();
      log.info(
        { mqttPort: broker.mqttPort, plainPort: broker.plainPort, httpPort, caFile: pki.caFile, devices: directory.size },
        'gateway started',
      );
      return { httpPort, mqttPort: broker.mqttPort, plainPort: broker.plainPort };
    },
    async stop() {
      await relay?.stop();
      clearInterval(retention);
      // Control hears nothing more: the broker's close below ends every kit's connection, and
      // their Last Wills must not drive a loop that is stopped (nor write after the store closed).
      ingest.removeAllListeners();
      loop?.stop();
      sender?.stop();
      stopSystemd?.();
      stopSnapshot?.();
      await http.close();
      await broker?.stop();
      directory?.stop();
      await notifier.stop();
      await store.close();
      reader?.close();
      metrics?.stop();
      const held = lock !== undefined;
      lock?.release();
      lock = undefined;
      if (held) log.info('gateway stopped');
    },
  };
}
