import { isIP } from 'node:net';
import { z } from 'zod';
import { configInvalid, defineConfig, type loadConfig } from '../shared/config/load.js';
import { pemFileProblems } from '../shared/config/pem-files.js';
import { opt } from '../shared/config/spec.js';
import { urlWith, urlWithoutCredentials } from '../shared/config/url.js';
import { MAX_BATCH_RECORDS } from '../shared/relay/batch.js';
import { streamConfig } from '../shared/stream/config.js';
import { tokenFileProblem } from './http/operator-token.js';

const Port = z.number().int().min(0).max(65535);
const Path = z.string().min(1);
const Url = urlWith('http', 'https');
/** A DNS name (letters, digits, hyphens; dot-separated labels) or an IPv4/IPv6 address: what a certificate can name. */
const HostOrIp = z
  .string()
  .min(1)
  .max(253)
  .refine((h) => isIP(h) !== 0 || /^(?!-)[a-z0-9-]{1,63}(?<!-)(\.(?!-)[a-z0-9-]{1,63}(?<!-))*$/i.test(h), {
    message: 'must be a host name (letters, digits, hyphens, dots) or an IP address',
  });

/** A topic Home Assistant's side names (ha.discoveryPrefix, ha.birthTopic): levels without wildcards. */
const haTopic = () =>
  z
    .string()
    .min(1)
    .max(64)
    .regex(/^[^#+/\s]+(\/[^#+/\s]+)*$/, 'must be topic levels without wildcards, spaces or a leading/trailing "/"');

/** Gateway config (docs/config.md is generated from this; `npm run gen:docs`). */
export const gatewayConfig = defineConfig('gateway', 'SV_GATEWAY_', {
  dataDir: opt(Path, {
    kind: 'string',
    unit: 'path',
    default: './data/gateway',
    help: 'Directory for the SQLite store, certificates and keys.',
  }),
  name: opt(z.string().min(1).max(64), { kind: 'string', default: 'gateway', help: 'Human name of this gateway (logs, cloud).' }),
  mqtt: {
    port: opt(Port, { kind: 'int', unit: 'port', default: 8883, help: 'MQTT over TLS listener port (0 = any free port).' }),
    host: opt(z.string(), { kind: 'string', default: '0.0.0.0', help: 'Address the TLS listener binds to.' }),
    tlsCert: opt(Path.optional(), {
      kind: 'string',
      unit: 'path',
      help: 'Server certificate (PEM). Unset: a CA and server certificate are created in the data dir on first run.',
    }),
    tlsKey: opt(Path.optional(), { kind: 'string', unit: 'path', help: 'Server private key (PEM), with mqtt.tls-cert.' }),
    plainPort: opt(Port.optional(), {
      kind: 'int',
      unit: 'port',
      help: 'Plain-TCP MQTT listener port; unset = off (PROTOCOL: TLS by default).',
    }),
    plainHost: opt(z.string(), { kind: 'string', default: '127.0.0.1', help: 'Address the plain-TCP listener binds to when enabled.' }),
    proxyPort: opt(Port.optional(), {
      kind: 'int',
      unit: 'port',
      help: 'Listener for a TLS terminator in front of the gateway (HAProxy with send-proxy-v2): plain MQTT, each connection opened by a PROXY protocol v2 header naming the kit; unset = off.',
    }),
    proxyHost: opt(z.string(), {
      kind: 'string',
      default: '127.0.0.1',
      help: 'Address the TLS-terminator listener binds to; only the terminator may reach it.',
    }),
    publicHost: opt(HostOrIp.optional(), {
      kind: 'string',
      help: "Host name kits use to reach this gateway (in the server certificate and mqttUrl); default: this machine's host name.",
    }),
    maxPacketBytes: opt(
      z
        .number()
        .int()
        .min(256)
        .max(1 << 20),
      { kind: 'int', unit: 'bytes', default: 4096, help: 'Largest MQTT packet a device may send; larger closes the connection.' },
    ),
    connectTimeoutMs: opt(z.number().int().min(100).max(120_000), {
      kind: 'int',
      unit: 'ms',
      default: 10_000,
      help: 'Time a new connection has to finish the TLS handshake, and then to send its CONNECT; slower ones are closed (slowloris).',
    }),
    maxConnections: opt(z.number().int().min(1), {
      kind: 'int',
      default: 20000,
      help: 'Most simultaneous MQTT connections; more are refused.',
    }),
    connRatePerAddr: opt(z.number().min(0), {
      kind: 'number',
      unit: 'per s',
      default: 20,
      help: 'New connections per second from one source address (0 = unlimited).',
    }),
    connBurstPerAddr: opt(z.number().int().min(1), {
      kind: 'int',
      default: 100,
      help: 'Burst of new connections allowed from one address.',
    }),
    publishRatePerDevice: opt(z.number().min(0), {
      kind: 'number',
      unit: 'per s',
      default: 20,
      help: 'Publishes per second per device (0 = unlimited); above it the connection is closed.',
    }),
    publishBurstPerDevice: opt(z.number().int().min(1), {
      kind: 'int',
      default: 100,
      help: 'Burst of publishes allowed per device (e.g. a buffer flushed after a reconnect).',
    }),
    nodes: opt(z.number().int().min(1).max(32), {
      kind: 'int',
      default: 1,
      help: 'Broker processes sharing the MQTT port (more than one core for the broker; needs mqtt.clusterRedisUrl). 1 = the broker runs in the gateway process.',
    }),
    clusterRedisUrl: opt(urlWith('redis', 'rediss').optional(), {
      kind: 'string',
      unit: 'url',
      secret: true,
      help: 'Redis the broker nodes route through (mqemitter-redis) when mqtt.nodes > 1, e.g. redis://127.0.0.1:6379/0.',
    }),
    nodeBatchMs: opt(z.number().int().min(0).max(100), {
      kind: 'int',
      unit: 'ms',
      default: 4,
      help: 'With mqtt.nodes > 1: under load, a broker node hands its uplinks to the gateway process at most this often, as one message (fewer messages between the processes; adds at most this to PUBACK latency under load, nothing when idle; 0 = once per event-loop turn).',
    }),
  },
  auth: {
    maxFailures: opt(z.number().int().min(1), {
      kind: 'int',
      default: 5,
      help: 'Failed authentications from one address before a temporary ban.',
    }),
    failureWindowMs: opt(z.number().int().min(1000), {
      kind: 'int',
      unit: 'ms',
      default: 60_000,
      help: 'Window in which failures are counted.',
    }),
    banMs: opt(z.number().int().min(0), { kind: 'int', unit: 'ms', default: 300_000, help: 'How long a banned address is refused.' }),
    failureDelayMs: opt(z.number().int().min(0), {
      kind: 'int',
      unit: 'ms',
      default: 250,
      help: 'Delay before answering a failed authentication; doubles per failure (at most auth.maxFailureDelayMs).',
    }),
    maxFailureDelayMs: opt(z.number().int().min(0), { kind: 'int', unit: 'ms', default: 5000, help: 'Cap of that delay.' }),
  },
  control: {
    ackTimeoutMs: opt(z.number().int().min(100), {
      kind: 'int',
      unit: 'ms',
      default: 5000,
      help: "How long to wait for a kit's Ack before retrying a command.",
    }),
    retries: opt(z.number().int().min(0).max(2), {
      kind: 'int',
      default: 2,
      help: 'Command retries after the first attempt (PROTOCOL: at most 2).',
    }),
    commandTtlMs: opt(z.number().int().min(100).max(600_000), {
      kind: 'int',
      unit: 'ms',
      default: 5000,
      help: 'Commands older than this are ignored by the kit.',
    }),
    maxC: opt(z.number().min(40).max(110), {
      kind: 'number',
      unit: '°C',
      default: 90,
      help: "Absolute over-temperature limit: the gateway's watchdog latches the heater off above it, cook or no cook; kits get it to enforce on their own too; cooks may target at most this less 3 °C.",
    }),
  },
  store: {
    retentionHours: opt(z.number().min(1), {
      kind: 'number',
      unit: 'h',
      default: 168,
      help: 'Local telemetry history kept for control and the local dashboard.',
    }),
    maxHistoryRows: opt(z.number().int().min(1000), {
      kind: 'int',
      default: 5_000_000,
      help: 'Cap of local telemetry history rows (oldest dropped first; the outbox is separate).',
    }),
    commitIntervalMs: opt(z.number().int().min(0).max(1000), {
      kind: 'int',
      unit: 'ms',
      default: 25,
      help: 'Under load, group commits start at most this often: messages that arrive meanwhile share the next commit and its fsync (fewer fsyncs per message; adds at most this to PUBACK latency under load, nothing when idle; 0 = commit as soon as the previous one is on its way).',
    }),
    writerNice: opt(z.number().int().min(-20).max(19), {
      kind: 'int',
      default: -10,
      help: "Nice value of the store's writer thread alone (-20 to 19): every PUBACK waits for its commits, so on a busy machine it goes first. Below 0 needs CAP_SYS_NICE or systemd LimitNICE=; if refused, the gateway says so once and runs at its own priority. 0 = leave it.",
    }),
    securityEventsPerMin: opt(z.number().int().min(1), {
      kind: 'int',
      unit: 'per min',
      default: 120,
      help: 'Refusals recorded on disk per minute (all are counted; the rest are not written).',
    }),
  },
  http: {
    port: opt(Port, { kind: 'int', unit: 'port', default: 8080, help: 'Local HTTP API, /metrics and /healthz port.' }),
    host: opt(z.string(), { kind: 'string', default: '127.0.0.1', help: 'Address the local HTTP API binds to.' }),
    tokenFile: opt(z.string().min(1).optional(), {
      kind: 'string',
      unit: 'path',
      help: 'SHA-256 of the operator token for the local API; default <data-dir>/operator-token.sha256 (made by `sousvide gateway token`).',
    }),
    authFailuresPerMin: opt(z.number().int().min(1), {
      kind: 'int',
      unit: 'per min',
      default: 20,
      help: 'Failed operator-token attempts per client address in any 60 s before they get 429 (a correct token always passes).',
    }),
  },
  cloud: {
    url: opt(Url.optional(), { kind: 'string', unit: 'url', help: 'Cloud base URL (https://…); unset = run offline.' }),
    token: opt(z.string().min(16).optional(), {
      kind: 'string',
      secret: true,
      help: 'Gateway token issued by `sousvide cloud gateway add`.',
    }),
  },
  // Relay to the cloud (gateway/relay/, docs/sync.md): batches, backoff, disk quota.
  relay: {
    batchMaxRecords: opt(z.number().int().min(1).max(MAX_BATCH_RECORDS), {
      kind: 'int',
      default: 20_000,
      help: 'Most records per batch (the adaptive size grows up to this while the cloud keeps up).',
    }),
    batchMinRecords: opt(z.number().int().min(1).max(MAX_BATCH_RECORDS), {
      kind: 'int',
      default: 50,
      help: 'Smallest batch the adaptive size shrinks to when the cloud is slow or failing (at most relay.batchMaxRecords).',
    }),
    batchMaxBytes: opt(z.number().int().min(4096), {
      kind: 'int',
      unit: 'bytes',
      default: 4 * 1024 * 1024,
      help: 'Most record bytes per batch before gzip (keep under the cloud http.body-limit-bytes).',
    }),
    lingerMs: opt(z.number().int().min(0), {
      kind: 'int',
      unit: 'ms',
      default: 250,
      help: 'How long a partial batch waits for more records.',
    }),
    idleSyncMs: opt(z.number().int().min(100), {
      kind: 'int',
      unit: 'ms',
      default: 5000,
      help: 'With nothing to send, an empty batch goes this often: heartbeat, and the reply carries the desired state.',
    }),
    requestTimeoutMs: opt(z.number().int().min(100), { kind: 'int', unit: 'ms', default: 30_000, help: 'Timeout of one batch request.' }),
    targetLatencyMs: opt(z.number().int().min(10), {
      kind: 'int',
      unit: 'ms',
      default: 1500,
      help: 'A batch answered slower than this shrinks the next one; faster full batches grow it (keep under the cloud ingest.sink-timeout-ms).',
    }),
    maxInFlight: opt(z.number().int().min(1).max(8), {
      kind: 'int',
      default: 2,
      help: 'Batches on the wire at once while the link is up (1 while recovering from a failure); a failed batch is resent unchanged.',
    }),
    backoffBaseMs: opt(z.number().int().min(1), {
      kind: 'int',
      unit: 'ms',
      default: 500,
      help: 'First retry delay after a failed batch (at most relay.backoffMaxMs).',
    }),
    backoffMaxMs: opt(z.number().int().min(1), {
      kind: 'int',
      unit: 'ms',
      default: 60_000,
      help: 'Cap of the retry delay (exponential, decorrelated jitter; Retry-After is a floor).',
    }),
    quotaBytes: opt(z.number().int().min(65_536), {
      kind: 'int',
      unit: 'bytes',
      default: 1024 * 1024 * 1024,
      help: 'Outbox disk quota; over it, superseded kit statuses go first, then the oldest telemetry, then the latest statuses (counted, reported); never events, cooks, audit, alarms or the registry.',
    }),
    statsIntervalMs: opt(z.number().int().min(100), {
      kind: 'int',
      unit: 'ms',
      default: 2000,
      help: 'How often the backlog is measured and the quota checked (longer on a huge backlog).',
    }),
    dropReportMs: opt(z.number().int().min(1000), {
      kind: 'int',
      unit: 'ms',
      default: 600_000,
      help: 'During an outage, drop counts are queued as an event at most this often (always when the link returns).',
    }),
    tlsCaFile: opt(Path.optional(), {
      kind: 'string',
      unit: 'path',
      help: 'CA (PEM) to verify the cloud with, instead of the system CAs.',
    }),
    tlsCertFile: opt(Path.optional(), { kind: 'string', unit: 'path', help: 'Client certificate (PEM) for mTLS to the cloud.' }),
    tlsKeyFile: opt(Path.optional(), { kind: 'string', unit: 'path', help: 'Client key (PEM) for mTLS, with relay.tls-cert-file.' }),
  },
  // Home Assistant through MQTT discovery (gateway/ha/, docs/home-assistant.md); off unless ha.mqttUrl is set.
  ha: {
    mqttUrl: opt(urlWith('mqtt', 'mqtts', 'ws', 'wss').optional(), {
      kind: 'string',
      unit: 'url',
      secret: true,
      help: "Home Assistant's MQTT broker (e.g. its Mosquitto add-on), mqtt://[user:password@]host:1883 or mqtts://…; unset = off.",
    }),
    username: opt(z.string().min(1).optional(), { kind: 'string', help: 'User name on that broker (or in ha.mqtt-url).' }),
    password: opt(z.string().min(1).optional(), { kind: 'string', secret: true, help: 'Password on that broker (or in ha.mqtt-url).' }),
    discoveryPrefix: opt(haTopic(), {
      kind: 'string',
      default: 'homeassistant',
      help: "Home Assistant's MQTT discovery prefix (HA's default: homeassistant).",
    }),
    birthTopic: opt(haTopic(), {
      kind: 'string',
      default: 'homeassistant/status',
      help: "Topic of HA's birth message (`online` when HA starts; the gateway republishes then). HA's own option, not derived from the discovery prefix.",
    }),
  },
  // Notifications (gateway/notify/, docs/notifications.md): sent from the gateway, so they work on
  // the LAN with the internet down. Each channel is on when its URL is set.
  notify: {
    webhookUrl: opt(
      urlWithoutCredentials(
        'the receiver checks the signature made with notify.webhookSecret; a token may go in the path or query',
        'http',
        'https',
      ).optional(),
      {
        kind: 'string',
        unit: 'url',
        secret: true, // hook URLs often carry their own token in the path
        help: 'Webhook receiving each notification as a signed JSON POST (X-Sousvide-Signature), without user:password@; unset = off.',
      },
    ),
    webhookSecret: opt(z.string().min(16).optional(), {
      kind: 'string',
      secret: true,
      help: 'Key of the webhook HMAC-SHA256 signature (at least 16 characters); required with notify.webhook-url.',
    }),
    ntfyUrl: opt(Url.optional(), {
      kind: 'string',
      unit: 'url',
      secret: true,
      help: 'ntfy topic URL to publish to, e.g. https://ntfy.sh/my-kitchen (user:password@ for basic auth); unset = off.',
    }),
    smtpUrl: opt(urlWith('smtp', 'smtps').optional(), {
      kind: 'string',
      unit: 'url',
      secret: true,
      help: 'SMTP server for e-mail, smtp://user:pass@host:port (STARTTLS required) or smtps:// (TLS); unset = off.',
    }),
    smtpCaFile: opt(Path.optional(), {
      kind: 'string',
      unit: 'path',
      help: "CA (PEM) to verify the SMTP server's certificate with, instead of the system CAs.",
    }),
    emailTo: opt(z.array(z.email()).min(1).optional(), {
      kind: 'list',
      help: 'Recipients of the e-mails (comma-separated); required with notify.smtp-url.',
    }),
    emailFrom: opt(z.email().optional(), {
      kind: 'string',
      help: "Sender address of the e-mails; default sousvide@<this machine's host name>.",
    }),
    repeatMin: opt(z.number().min(1).max(1440), {
      kind: 'number',
      unit: 'min',
      default: 10,
      help: 'An unacknowledged critical alarm notifies again this often until it is cleared.',
    }),
  },
  /** GET /v1/stream: live updates as server-sent events (ADR 034). */
  stream: streamConfig,
  log: {
    level: opt(z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']), {
      kind: 'string',
      default: 'info',
      help: 'Log level.',
    }),
    snapshot: opt(z.boolean(), { kind: 'bool', default: false, help: 'Log the once-a-second pipeline snapshot (deltas and totals).' }),
  },
});
export type GatewayConfig = ReturnType<typeof loadConfig<typeof gatewayConfig.spec>>;

/** Throws SV_ERR_CONFIG_INVALID with every problem gatewayConfigProblems finds. */
export function checkGatewayConfig(config: GatewayConfig): void {
  const problems = gatewayConfigProblems(config);
  if (problems.length > 0) throw configInvalid('gateway', problems);
}

/**
 * Rules across keys, which the per-key schema cannot say, and the files the config names; each
 * line names the key, as loadConfig's do. `sousvide gateway` hands them to the loader, so a start
 * reports them with the refused values in one pass.
 */
export function gatewayConfigProblems(config: GatewayConfig): string[] {
  const problems: string[] = [];
  if (config.mqtt.nodes > 1 && config.mqtt.clusterRedisUrl === undefined) {
    problems.push('mqtt.clusterRedisUrl: required when mqtt.nodes > 1 (the broker nodes route through Redis)');
  }
  if (config.ha.mqttUrl === undefined && (config.ha.username !== undefined || config.ha.password !== undefined)) {
    problems.push('ha.mqttUrl: required when ha.username or ha.password is set');
  }
  if (config.ha.password !== undefined && config.ha.username === undefined) {
    problems.push('ha.username: required with ha.password (MQTT sends a password only with a user name)');
  }
  if (config.cloud.url !== undefined && config.cloud.token === undefined) {
    problems.push('cloud.token: required when cloud.url is set');
  }
  if (config.notify.webhookUrl !== undefined && config.notify.webhookSecret === undefined) {
    problems.push('notify.webhookSecret: required when notify.webhookUrl is set (the receiver verifies the signature with it)');
  }
  if (config.notify.smtpUrl !== undefined && config.notify.emailTo === undefined) {
    problems.push('notify.emailTo: required when notify.smtpUrl is set');
  }
  // A floor above its cap: the relay and the broker would run on a value nobody chose.
  for (const [low, lowKey, high, highKey, what] of [
    [config.relay.batchMinRecords, 'relay.batchMinRecords', config.relay.batchMaxRecords, 'relay.batchMaxRecords', 'the smallest batch'],
    [config.relay.backoffBaseMs, 'relay.backoffBaseMs', config.relay.backoffMaxMs, 'relay.backoffMaxMs', 'the first retry delay'],
    [config.auth.failureDelayMs, 'auth.failureDelayMs', config.auth.maxFailureDelayMs, 'auth.maxFailureDelayMs', 'the first delay'],
  ] as const) {
    if (low > high) problems.push(`${lowKey}: ${low} is above ${highKey} (${high}); ${what} cannot exceed its cap`);
  }
  // The default token file is in the data dir, which is made at start; a configured one must be reachable now.
  const tokenFile = config.http.tokenFile === undefined ? undefined : tokenFileProblem(config.http.tokenFile, config.dataDir);
  if (tokenFile !== undefined) problems.push(tokenFile);
  problems.push(...sharedPortProblems(config));
  problems.push(
    ...pemFileProblems(
      [
        { key: 'relay.tlsCaFile', path: config.relay.tlsCaFile, kind: 'ca' },
        { key: 'notify.smtpCaFile', path: config.notify.smtpCaFile, kind: 'ca' },
      ],
      [
        {
          cert: {
            key: 'mqtt.tlsCert',
            path: config.mqtt.tlsCert,
            kind: 'certificate',
            ...(config.mqtt.publicHost ? { mustName: { key: 'mqtt.publicHost', host: config.mqtt.publicHost } } : {}),
          },
          privateKey: { key: 'mqtt.tlsKey', path: config.mqtt.tlsKey, kind: 'private key' },
        },
        {
          cert: { key: 'relay.tlsCertFile', path: config.relay.tlsCertFile, kind: 'certificate' },
          privateKey: { key: 'relay.tlsKeyFile', path: config.relay.tlsKeyFile, kind: 'private key' },
        },
      ],
    ),
  );
  return problems;
}

/**
 * Two of the gateway's own listeners on one port would refuse each other at start, reported as
 * "in use by another program". A port of 0 is any free port; two different specific addresses
 * may share a port.
 */
function sharedPortProblems(config: GatewayConfig): string[] {
  const listeners = [
    { key: 'mqtt.port', port: config.mqtt.port, host: config.mqtt.host },
    { key: 'mqtt.plainPort', port: config.mqtt.plainPort, host: config.mqtt.plainHost },
    { key: 'mqtt.proxyPort', port: config.mqtt.proxyPort, host: config.mqtt.proxyHost },
    { key: 'http.port', port: config.http.port, host: config.http.host },
  ];
  const wildcard = (h: string) => h === '0.0.0.0' || h === '::' || h === '';
  const problems: string[] = [];
  // Every pair that clashes, each its own line: one about a refused key can then be left out alone.
  for (const [i, a] of listeners.entries()) {
    const clashes = listeners
      .slice(0, i)
      .filter(
        (b) => a.port !== undefined && a.port !== 0 && b.port === a.port && (a.host === b.host || wildcard(a.host) || wildcard(b.host)),
      );
    for (const clash of clashes) problems.push(`${a.key}: ${a.port} is also ${clash.key}; each listener needs its own port`);
  }
  return problems;
}
