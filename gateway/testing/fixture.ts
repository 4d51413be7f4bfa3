import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Sqlite, { type Database } from 'better-sqlite3';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { loadConfig } from '../../shared/config/load.js';
import { createLogger, type Logger } from '../../shared/log.js';
import { buildGateway, type Gateway, type GatewayOptions } from '../app.js';
import { gatewayConfig } from '../config.js';
import { provisionCert, provisionSecret } from '../devices/provision.js';
import { issueOperatorToken, tokenFilePath } from '../http/operator-token.js';
import { STORE_FILE } from '../store/open.js';

/** A real gateway in this process (temp data dir, free ports) for tests, with kit helpers. */
export interface GatewayFixture {
  gateway: Gateway;
  dataDir: string;
  mqttPort: number;
  httpPort: number;
  /** The TLS-terminator listener's port, when the test turned `mqtt.proxyPort` on. */
  proxyPort: number | undefined;
  ca: Buffer;
  addKit(id: string): Promise<string>;
  addCertKit(id: string): { cert: Buffer; key: Buffer };
  connect(opts: IClientOptions): Promise<MqttClient>;
  /** A read-only view of the gateway's SQLite file. */
  db(): Database;
  metrics(): Promise<string>;
  stop(): Promise<void>;
}

export async function startGateway(
  t: { teardown(fn: () => Promise<void> | void): void },
  overrides: Record<string, unknown> = {},
  options: GatewayOptions = {},
  /** The gateway's logger (tests that read the logs, e.g. for secrets); default: warnings to stdout. */
  log?: Logger,
): Promise<GatewayFixture> {
  const dataDir = mkdtempSync(join(tmpdir(), 'sv-gw-'));
  const config = loadConfig(gatewayConfig, {
    overrides: { dataDir, 'mqtt.port': 0, 'mqtt.host': '127.0.0.1', 'http.port': 0, 'log.level': 'warn', ...overrides },
  });
  const gateway = buildGateway(config, log ?? createLogger({ name: 'gateway-test', level: 'warn', pretty: false }), options);
  const { mqttPort, httpPort, proxyPort } = await gateway.start();
  const ca = readFileSync(gateway.pki.caFile);
  let reader: Database | undefined;
  let stopped = false;
  // Every kit a test connected is ended at teardown, so a test that fails half-way (with kits
  // that reconnect) cannot keep the test process alive until the runner's timeout.
  const clients = new Set<MqttClient>();
  const fixture: GatewayFixture = {
    gateway,
    dataDir,
    mqttPort,
    httpPort,
    proxyPort,
    ca,
    async addKit(id) {
      return (await provisionSecret(config, id)).secret;
    },
    addCertKit(id) {
      const r = provisionCert(config, id);
      return { cert: readFileSync(r.certFile), key: readFileSync(r.keyFile) };
    },
    async connect(opts) {
      const client = await connectKit(mqttPort, ca, opts);
      clients.add(client);
      return client;
    },
    db() {
      reader ??= new Sqlite(join(dataDir, STORE_FILE), { readonly: true });
      return reader;
    },
    async metrics() {
      return (await fetch(`http://127.0.0.1:${httpPort}/metrics`)).text();
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      for (const c of clients) c.end(true);
      reader?.close();
      await gateway.stop();
    },
  };
  t.teardown(() => fixture.stop());
  return fixture;
}

/** Connects an mqtt.js client over TLS; rejects with the broker's refusal. */
export function connectKit(port: number, ca: Buffer, opts: IClientOptions): Promise<MqttClient> {
  return new Promise((resolve, reject) => {
    const client = mqtt.connect(`mqtts://127.0.0.1:${port}`, {
      ca,
      servername: 'localhost',
      protocolVersion: 4,
      reconnectPeriod: 0,
      connectTimeout: 10_000,
      ...opts,
    });
    const onError = (err: Error) => {
      client.end(true);
      reject(err);
    };
    const onClose = () => reject(new Error('closed before CONNACK'));
    // Only the first CONNECT is this helper's business: later errors and closes are the caller's
    // (a kit with reconnectPeriod set must go on reconnecting after its node dies).
    client.once('connect', () => {
      client.off('error', onError);
      client.off('close', onClose);
      resolve(client);
    });
    client.once('error', onError);
    client.once('close', onClose);
  });
}

/** Resolves when the client's connection closes (e.g. after a refused publish). */
export function closed(client: MqttClient): Promise<void> {
  return new Promise((resolve) => (client.connected ? client.once('close', () => resolve()) : resolve()));
}

export function counter(metrics: string, name: string, reason?: string): number {
  const re =
    reason === undefined
      ? new RegExp(`^${name}(?:\\{[^}]*\\})? (\\d+(?:\\.\\d+)?)$`, 'gm')
      : new RegExp(`^${name}\\{reason="${reason}"\\} (\\d+)$`, 'm');
  if (reason !== undefined) return Number(re.exec(metrics)?.[1] ?? 0);
  let total = 0;
  for (const m of metrics.matchAll(re)) total += Number(m[1]);
  return total;
}

export const telemetry = (o: Record<string, unknown> = {}) =>
  JSON.stringify({ v: 1, boot: 1, seq: 0, ts: Date.now(), tempC: 55.5, sensor: 'ok', heater: true, ...o });

/**
 * A kit with a secret, connected, and the local API with a fresh operator token: what a test of
 * a /v1 route on a real gateway starts with. The kit disconnects at teardown.
 */
export async function kitWithApi(t: { teardown(fn: () => Promise<void> | void): void }, gw: GatewayFixture, kitId: string) {
  const secret = await gw.addKit(kitId);
  const token = issueOperatorToken(tokenFilePath(gw.dataDir));
  const kit = await gw.connect({ clientId: kitId, username: kitId, password: secret });
  t.teardown(() => {
    kit.end(true);
  });
  const api = (method: string, path: string, body?: unknown) =>
    fetch(`http://127.0.0.1:${gw.httpPort}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
  return { kit, token, api };
}
