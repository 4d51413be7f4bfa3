import type { Database } from 'better-sqlite3';
import type { FastifyInstance } from 'fastify';
import type { Logger } from '../shared/log.js';
import { GatewayBroker } from './broker/broker.js';
import type { GatewayConfig } from './config.js';
import { Authenticator } from './devices/authenticator.js';
import { DeviceDirectory } from './devices/directory.js';
import { buildHttp } from './http/server.js';
import { IngestPipeline } from './ingest/pipeline.js';
import { GatewayMetrics } from './metrics.js';
import { startSnapshot } from './snapshot.js';
import { Stats } from './stats.js';
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
  readonly broker: GatewayBroker;
  readonly http: FastifyInstance;
  readonly pki: Pki;
}

export function buildGateway(config: GatewayConfig, log: Logger): Gateway {
  const stats = new Stats();
  const store = new StoreWriter(config.dataDir);
  let reader: Database | undefined;
  let directory: DeviceDirectory | undefined;
  let broker: GatewayBroker | undefined;
  let stopSnapshot: (() => void) | undefined;
  let stopSystemd: (() => void) | undefined;
  let retention: NodeJS.Timeout | undefined;
  const relayOn = () => config.cloud.url !== undefined;
  let metrics: GatewayMetrics | undefined;
  const ingest = new IngestPipeline(store, stats, relayOn, (ms) => metrics?.pubackLatency.observe(ms / 1000));
  metrics = new GatewayMetrics(stats, {
    connections: () => broker?.connections ?? 0,
    clients: () => broker?.connectedClients ?? 0,
    storeQueue: () => store.queued,
  });
  store.onCommit = (items, ms) => {
    metrics?.commitItems.observe(items);
    metrics?.commitLatency.observe(ms / 1000);
  };
  const pki = pkiPaths(config.dataDir); // paths only; the files are made in start()
  const http = buildHttp(log, metrics, () => ({ name: config.name, clients: broker?.connectedClients ?? 0 }));

  return {
    stats,
    ingest,
    http,
    pki,
    get broker() {
      if (!broker) throw new Error('gateway not started');
      return broker;
    },
    async start() {
      await store.open();
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
      broker = new GatewayBroker({ config, pki, auth: auth.current, ingest, store, stats, log });
      await broker.start();
      await http.listen({ port: config.http.port, host: config.http.host });
      const a = http.server.address();
      const httpPort = typeof a === 'object' && a ? a.port : config.http.port;
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
      clearInterval(retention);
      stopSystemd?.();
      stopSnapshot?.();
      await http.close();
      await broker?.stop();
      directory?.stop();
      await store.close();
      reader?.close();
      metrics?.stop();
      log.info('gateway stopped');
    },
  };
}
