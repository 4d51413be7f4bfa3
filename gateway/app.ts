import type { FastifyInstance } from 'fastify';
import { dashboardRoutes } from '../shared/http/dashboard-static.js';
import { FailedAuthLimiter } from '../shared/http/failed-auth-limit.js';
import type { Logger } from '../shared/log.js';
import type { StreamHub } from '../shared/stream/hub.js';
import { registerStreamMetrics } from '../shared/stream/metrics.js';
import { monotonicNow } from '../shared/time/monotonic.js';
import { SteadyClock } from '../shared/time/steady-clock.js';
import { GatewayAlarms } from './alarms/gateway-alarms.js';
import { GatewayBroker } from './broker/broker.js';
import type { BrokerFront } from './broker/ports.js';
import { SecurityLog } from './broker/security-log.js';
import { BrokerNodes } from './cluster/nodes.js';
import { checkGatewayConfig, type GatewayConfig } from './config.js';
import { maxTargetC } from './control/index.js';
import { applyDesired } from './control-driver/apply-desired.js';
import type { ControlLoop } from './control-driver/control-loop.js';
import { ControlPart, controlConfigOf } from './control-driver/control-part.js';
import { Authenticator } from './devices/authenticator.js';
import { DeviceDirectory } from './devices/directory.js';
import { mqttUrl } from './devices/provision.js';
import { HaBridge } from './ha/bridge.js';
import { alarmsApi } from './http/alarms-api.js';
import { localApi } from './http/api.js';
import { cooksApi } from './http/cooks-api.js';
import { historyApi } from './http/history-api.js';
import { notificationsApi } from './http/notifications-api.js';
import { operatorAuth } from './http/operator-auth.js';
import { tokenFilePath, tokenFileState } from './http/operator-token.js';
import { presetsApi } from './http/presets-api.js';
import { refusalsApi } from './http/refusals-api.js';
import { buildHttp } from './http/server.js';
import { IngestPipeline } from './ingest/pipeline.js';
import { GatewayMetrics } from './metrics.js';
import { Notifier } from './notify/notifier.js';
import { type Part, Parts, running } from './parts/part.js';
import { RefusalLog } from './refusal-log.js';
import { buildRelay, type Relay } from './relay/index.js';
import { plainCloudWarning } from './relay/options.js';
import { startSnapshot } from './snapshot.js';
import { Stats } from './stats.js';
import { StoreHealth } from './store/health.js';
import { logStoreHealth } from './store/health-log.js';
import { lockDataDir, writeGatewayInfo } from './store/lock.js';
import { PresetStore } from './store/presets.js';
import { StoreReader } from './store/reader.js';
import { StoreWriter } from './store/writer.js';
import { GatewayStream } from './stream/stream-part.js';
import { startSystemdNotify } from './systemd.js';
import { ensurePki, type Pki, pkiPaths } from './tls/pki.js';

/**
 * The gateway: an ordered list of parts, each built here with its dependencies and nothing
 * started (ADR 025). `start()` starts them in list order, `stop()` stops them in reverse. A new
 * part goes into the list after the parts it uses.
 */
export interface Gateway {
  start(): Promise<{ httpPort: number; mqttPort: number; plainPort: number | undefined; proxyPort: number | undefined }>;
  stop(): Promise<void>;
  readonly stats: Stats;
  readonly ingest: IngestPipeline;
  readonly broker: BrokerFront;
  readonly http: FastifyInstance;
  readonly pki: Pki;
  readonly control: ControlLoop;
  /** The relay to the cloud; undefined when running offline. It applies the downlink to `control`. */
  readonly relay: Relay | undefined;
  /** Alarm steps from outside control (acknowledgements); emits `change`. */
  readonly alarms: GatewayAlarms;
  /** GET /v1/stream's fan-out (ADR 034). */
  readonly stream: StreamHub;
}

export interface GatewayOptions {
  /**
   * The clock (tests run cooks in accelerated time); default Date.now. Control then keeps time by
   * the monotonic clock from it (shared/time/steady-clock.ts); a test's clock is both, so it never steps.
   */
  now?: () => number;
  /** A test's monotonic clock, to step `now` against it (default: `now` when given, else the system's). */
  monoNow?: () => number;
  /** How long the local HTTP server waits for a whole request (default REQUEST_TIMEOUT_MS; tests shorten it). */
  httpRequestTimeoutMs?: number;
}

export function buildGateway(config: GatewayConfig, log: Logger, options: GatewayOptions = {}): Gateway {
  checkGatewayConfig(config);
  const now = options.now ?? Date.now;
  // Steady time for control and the relay: a wall clock that steps moves neither (ADR 048).
  const clock = options.now ? new SteadyClock(options.now, options.monoNow ?? options.now) : new SteadyClock();
  const relayOn = () => config.cloud.url !== undefined;
  const tokenFile = tokenFilePath(config.dataDir, config.http.tokenFile);
  const stats = new Stats();
  const store = new StoreWriter(config.dataDir, 2, 5000, config.store.commitIntervalMs);
  const reader = new StoreReader(config.dataDir);
  const pki = pkiPaths(config.dataDir); // paths only; the files are made by the 'tls' part

  const metrics: GatewayMetrics = new GatewayMetrics(stats, {
    connections: () => broker.connections,
    clients: () => broker.connectedClients,
    storeQueue: () => store.queued,
  });
  const storeHealth = new StoreHealth();
  store.onCommit = (items, ms, error) => {
    metrics.commitItems.observe(items);
    metrics.commitLatency.observe(ms / 1000);
    const line = storeHealth.commit(items, error, monotonicNow());
    if (line) logStoreHealth(log, config.dataDir, line);
  };
  const onPubackLatency = (ms: number) => metrics.pubackLatency.observe(ms / 1000);
  const refusals = new RefusalLog(log.child({ part: 'refusals' }));
  // Notifications (gateway/notify/): planned in the commit of the event that causes them, sent by its worker.
  const notifier = new Notifier({ config, store, log: log.child({ part: 'notify' }), registry: metrics.registry, now });
  const ingest = new IngestPipeline(store, stats, relayOn, onPubackLatency, refusals);

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
  const security = new SecurityLog(store, stats, config.store.securityEventsPerMin, refusals);
  const broker: BrokerFront =
    config.mqtt.nodes > 1
      ? new BrokerNodes({ config, ingest, security, stats, log, registry: metrics.registry, onPubackLatency })
      : new GatewayBroker({ config, pki, auth, ingest, security, stats, log, monoNow: options.monoNow });

  // Live updates (GET /v1/stream, ADR 034): fed after commits, never in the way of ingest or control.
  const stream = new GatewayStream({ options: config.stream, ingest, gatewayName: config.name, now });
  registerStreamMetrics(metrics.registry, stream.hub);
  const control = new ControlPart({
    config,
    store,
    reader,
    ingest,
    send: (deviceId, payload) => broker.sendCommand(deviceId, payload),
    relayOn,
    log,
    clock,
    stats,
    notify: notifier.plan,
    alarmStep: (e) => alarms.afterEvent(e),
    recorded: stream.recorded,
  });

  // Alarms (ADR 035): raised and cleared with control's events; acknowledged here or in the cloud.
  const alarms = new GatewayAlarms({ store, reader: () => reader.db, relayOn, onAcknowledged: notifier.acknowledge, log });
  alarms.on('change', stream.alarmChanged);
  const http = buildHttp(
    log,
    metrics,
    () => {
      const failing = storeHealth.failing(monotonicNow());
      return { name: config.name, clients: broker.connectedClients, store: failing ? { failing: true, ...failing } : { failing: false } };
    },
    options.httpRequestTimeoutMs === undefined ? {} : { requestTimeoutMs: options.httpRequestTimeoutMs },
  );
  // Every /v1 route: the operator token, with failed attempts limited per address.
  const operator = operatorAuth(tokenFile, new FailedAuthLimiter(config.http.authFailuresPerMin));
  // Built with the app (metrics, GET /v1/relay); the downlink applies cloud cooks through control.
  const relay = buildRelay(config, store, {
    registry: metrics.registry,
    http,
    log,
    auth: operator,
    onDesired: applyDesired(control.loop, log),
    onAlarms: (list) => alarms.fromCloud(list),
    clock,
  });
  localApi(http, {
    loop: control.loop,
    reader: () => reader.db,
    deviceIds: () => {
      directory.poll(); // a kit provisioned a moment ago by the CLI is known at once
      return directory.ids();
    },
    watchdog: controlConfigOf(config.control).watchdog,
    auth: operator,
  });
  refusalsApi(http, { reader: () => reader.db, store, ingest, auth: operator, relayOn });
  notificationsApi(http, { reader: () => reader.db, channels: () => notifier.configured, auth: operator });
  // The history routes answer for every device the registry has, revoked ones included (their rows stay).
  const knows = (id: string) => {
    directory.poll();
    return directory.get(id) !== undefined;
  };
  cooksApi(http, { reader: () => reader.db, auth: operator, now, knows });
  historyApi(http, { reader: () => reader.db, auth: operator, now, knows });
  alarmsApi(http, { reader: () => reader.db, alarms, auth: operator, now });
  stream.route(http, operator);
  presetsApi(http, {
    loop: control.loop,
    presets: new PresetStore(config.dataDir),
    deviceIds: () => directory.ids(),
    watchdog: controlConfigOf(config.control).watchdog,
    auth: operator,
    now,
  });
  // Home Assistant (gateway/ha/): optional; after control, whose cooks it starts and stops.
  const ha =
    config.ha.mqttUrl === undefined
      ? undefined
      : new HaBridge({
          config: { ...config.ha, mqttUrl: config.ha.mqttUrl },
          gatewayName: config.name,
          maxTargetC: maxTargetC(controlConfigOf(config.control).watchdog),
          control: () => control.loop,
          deviceIds: () => directory.ids(),
          registry: metrics.registry,
          log,
        });
  dashboardRoutes(http, { kind: 'gateway', name: () => config.name, routeOptions: { schema: { hide: true } } });
  let httpPort = config.http.port;
  let lock: { release(): void } | undefined;

  const parts = new Parts(
    [
      // One gateway per data dir, decided before anything touches the store (ADR 032).
      {
        name: 'lock',
        start: () => {
          lock = lockDataDir(config.dataDir);
        },
        stop: () => {
          lock?.release();
          lock = undefined;
        },
      },
      { name: 'metrics', start: () => {}, stop: () => metrics.stop() },
      {
        name: 'store', // the writer thread; migrations
        start: async () => {
          await store.open();
          const refused = config.store.writerNice === 0 ? null : await store.setNice(config.store.writerNice);
          if (refused !== null) {
            log.info(
              { nice: config.store.writerNice, err: refused },
              'store writer thread left at normal priority (store.writerNice needs CAP_SYS_NICE or LimitNICE=)',
            );
          }
        },
        stop: () => store.close(),
      },
      notifier, // delivers what the store holds; stops before the store closes
      reader,
      { name: 'devices', start: () => directory.start(), stop: () => directory.stop() },
      {
        name: 'tls',
        start: () => {
          const { created, reissued } = ensurePki(config.dataDir, config.mqtt.publicHost ? [config.mqtt.publicHost] : []);
          if (config.mqtt.tlsCert !== undefined) return; // the operator's own server certificate is served
          if (created) log.info({ caFile: pki.caFile }, 'created the gateway CA and server certificate; kits must trust this CA file');
          else if (reissued.length > 0) {
            log.info({ hosts: reissued }, 'issued the server certificate again for mqtt.publicHost, by the same CA: kits need nothing new');
          }
        },
        stop: () => {},
      },
      { name: 'broker', start: () => broker.start(), stop: () => broker.stop() },
      control,
      stream,
      ...(ha ? [ha] : []),
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
      {
        // What the CLI tells kits (device add): this gateway's real MQTT URL.
        name: 'announce',
        start: () => writeGatewayInfo(config.dataDir, { mqttUrl: mqttUrl(config, broker.mqttPort) }),
        stop: () => {},
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
    alarms,
    control: control.loop,
    stream: stream.hub,
    async start() {
      await parts.start();
      const plain = plainCloudWarning(config.cloud.url);
      if (plain) log.warn({ cloudUrl: plain.origin }, plain.message);
      const token = tokenFileState(tokenFile);
      if (token === 'malformed') {
        log.warn(
          { tokenFile },
          'http.tokenFile does not hold a SHA-256 digest: the local API refuses every token; run `sousvide gateway token` to issue one',
        );
      } else if (token === 'none') {
        log.info({ tokenFile }, 'no operator token issued yet: the local API is closed until `sousvide gateway token`');
      }
      log.info(
        {
          mqttPort: broker.mqttPort,
          plainPort: broker.plainPort,
          proxyPort: broker.proxyPort,
          httpPort,
          caFile: pki.caFile,
          devices: directory.size,
        },
        'gateway started',
      );
      return { httpPort, mqttPort: broker.mqttPort, plainPort: broker.plainPort, proxyPort: broker.proxyPort };
    },
    async stop() {
      const held = lock !== undefined;
      await parts.stop();
      if (held) log.info('gateway stopped');
    },
  };
}
