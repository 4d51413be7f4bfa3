import type { FastifyInstance } from 'fastify';
import { dashboardRoutes } from '../shared/http/dashboard-static.js';
import type { Logger } from '../shared/log.js';
import { GatewayBroker } from './broker/broker.js';
import type { BrokerFront } from './broker/ports.js';
import { SecurityLog } from './broker/security-log.js';
import { BrokerNodes } from './cluster/nodes.js';
import { checkGatewayConfig, type GatewayConfig } from './config.js';
import { Authenticator } from './devices/authenticator.js';
import { DeviceDirectory } from './devices/directory.js';
import { localApi } from './http/api.js';
import { tokenFilePath } from './http/operator-token.js';
import { buildHttp } from './http/server.js';
import { IngestPipeline } from './ingest/pipeline.js';
import { GatewayMetrics } from './metrics.js';
import { type Part, Parts, running } from './parts/part.js';
import { buildRelay, type Relay } from './relay/index.js';
import { applyDesired } from './runtime/apply-desired.js';
import type { ControlLoop } from './runtime/control-loop.js';
import { ControlPart } from './runtime/control-part.js';
import { startSnapshot } from './snapshot.js';
import { Stats } from './stats.js';
import { StoreReader } from './store/reader.js';
import { StoreWriter } from './store/writer.js';
import { startSystemdNotify } from './systemd.js';
import { ensurePki, type Pki, pkiPaths } from './tls/pki.js';

/**
 * The gateway: an ordered list of parts, each built here with its dependencies and nothing
 * started (ADR 025). `start()` starts them in list order, `stop()` stops them in reverse. A new
 * part goes into the list after the parts it uses.
 */
export interface Gateway {
  start(): Promise<{ httpPort: number; mqttPort: number; plainPort: number | undefined }>;
  stop(): Promise<void>;
  readonly stats: Stats;
  readonly ingest: IngestPipeline;
  readonly broker: BrokerFront;
  readonly http: FastifyInstance;
  readonly pki: Pki;
  readonly control: ControlLoop;
  /** The relay to the cloud; undefined when running offline. It applies the downlink to `control`. */
  readonly relay: Relay | undefined;
}

export interface GatewayOptions {
  /** The control clock (tests run cooks in accelerated time); default Date.now. */
  now?: () => number;
}

export function buildGateway(config: GatewayConfig, log: Logger, options: GatewayOptions = {}): Gateway {
  checkGatewayConfig(config);
  const now = options.now ?? Date.now;
  const relayOn = () => config.cloud.url !== undefined;
  const tokenFile = tokenFilePath(config.dataDir, config.http.tokenFile);
  const stats = new Stats();
  const store = new StoreWriter(config.dataDir);
  const reader = new StoreReader(config.dataDir);
  const pki = pkiPaths(config.dataDir); // paths only; the files are made by the 'tls' part

  const metrics: GatewayMetrics = new GatewayMetrics(stats, {
    connections: () => broker.connections,
    clients: () => broker.connectedClients,
    storeQueue: () => store.queued,
  });
  store.onCommit = (items, ms) => {
    metrics.commitItems.observe(items);
    metrics.commitLatency.observe(ms / 1000);
  };
  const onPubackLatency = (ms: number) => metrics.pubackLatency.observe(ms / 1000);
  const ingest = new IngestPipeline(store, stats, relayOn, onPubackLatency);

  const directory: DeviceDirectory = new DeviceDirectory(
    () => reader.db,
    (changed) => {
      for (const id of changed) {
        auth.forget(id);
        if (broker.disconnect(id)) log.info({ deviceId: id }, 'credentials changed: device disconnected');
      }
    },
  );
  const auth = new Authenticator(directory);
  const security = new SecurityLog(store, stats, config.store.securityEventsPerMin);
  const broker: BrokerFront =
    config.mqtt.nodes > 1
      ? new BrokerNodes({ config, ingest, security, stats, log, registry: metrics.registry, onPubackLatency })
      : new GatewayBroker({ config, pki, auth, ingest, security, stats, log });

  const control = new ControlPart({
    config,
    store,
    reader,
    ingest,
    send: (deviceId, payload) => broker.sendCommand(deviceId, payload),
    relayOn,
    log,
    now,
  });

  const http = buildHttp(log, metrics, () => ({ name: config.name, clients: broker.connectedClients }));
  // Built with the app (metrics, GET /v1/relay); the downlink applies cloud cooks through control.
  const relay = buildRelay(config, store, { registry: metrics.registry, http, log, tokenFile, onDesired: applyDesired(control.loop, log) });
  localApi(http, {
    loop: control.loop,
    store: reader,
    deviceIds: () => {
      directory.poll(); // a kit provisioned a moment ago by the CLI is known at once
      return directory.ids();
    },
    tokenFile,
  });
  dashboardRoutes(http, { kind: 'gateway', name: () => config.name });
  let httpPort = config.http.port;

  const parts = new Parts(
    [
      { name: 'metrics', start: () => {}, stop: () => metrics.stop() },
      { name: 'store', start: () => store.open(), stop: () => store.close() }, // the writer thread; migrations
      reader,
      { name: 'devices', start: () => directory.start(), stop: () => directory.stop() },
      {
        name: 'tls',
        start: () => {
          const { created } = ensurePki(config.dataDir, config.mqtt.publicHost ? [config.mqtt.publicHost] : []);
          if (created) log.info({ caFile: pki.caFile }, 'created the gateway CA and server certificate; kits must trust this CA file');
        },
        stop: () => {},
      },
      { name: 'broker', start: () => broker.start(), stop: () => broker.stop() },
      control,
      ...(relay ? [relay] : []),
      {
        name: 'http',
        start: async () => {
          await http.listen({ port: config.http.port, host: config.http.host });
          const a = http.server.address();
          httpPort = typeof a === 'object' && a ? a.port : config.http.port;
        },
        stop: () => http.close(),
      },
      ...(config.log.snapshot ? [running('snapshot', () => startSnapshot(stats, log))] : []),
      running('systemd', () => startSystemdNotify(log)),
      running('retention', () => {
        const timer = setInterval(() => {
          const cutoff = Date.now() - config.store.retentionHours * 3600_000;
          store.retention(cutoff, config.store.maxHistoryRows).catch((err: Error) => log.error({ err }, 'retention failed'));
        }, 10 * 60_000);
        timer.unref();
        return () => clearInterval(timer);
      }),
    ] satisfies Part[],
    log,
  );

  return {
    stats,
    ingest,
    http,
    pki,
    relay,
    broker,
    control: control.loop,
    async start() {
      await parts.start();
      log.info(
        { mqttPort: broker.mqttPort, plainPort: broker.plainPort, httpPort, caFile: pki.caFile, devices: directory.size },
        'gateway started',
      );
      return { httpPort, mqttPort: broker.mqttPort, plainPort: broker.plainPort };
    },
    async stop() {
      await parts.stop();
      log.info('gateway stopped');
    },
  };
}
