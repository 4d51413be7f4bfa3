import { isIP } from 'node:net';
import { z } from 'zod';
import { defineConfig, type loadConfig } from '../shared/config/load.js';
import { pemFileProblems } from '../shared/config/pem-files.js';
import { opt } from '../shared/config/spec.js';
import { urlWith } from '../shared/config/url.js';
import { orgStreamLimit, streamConfig } from '../shared/stream/config.js';

const Port = z.number().int().min(0).max(65535);

/** An IPv4 or IPv6 address with an optional prefix length: 10.0.0.0/8, 192.168.1.7, fd00::/8. */
const Cidr = z.string().refine((v) => {
  const [ip, bits, extra] = v.split('/');
  const family = isIP(ip ?? '');
  if (family === 0 || extra !== undefined) return false;
  if (bits === undefined) return true;
  return /^\d{1,3}$/.test(bits) && Number(bits) <= (family === 4 ? 32 : 128);
}, 'must be an IP address or CIDR (e.g. 10.0.0.0/8 or fd00::/8)');

/** A cap on one kind of object per org (the `org` section); `live`: what is counted. */
function orgCap(defaultCap: number, unit: string, live: string) {
  return opt(z.number().int().min(1).max(100_000), {
    kind: 'int',
    unit,
    default: defaultCap,
    help: `How many ${live} one org may have; creating one more through the API answers 409 (SV_ERR_ORG_LIMIT). The CLI is not limited.`,
  });
}

/** Cloud config (docs/config.md is generated from this). With no store URLs the embedded SQLite back-end is used. */
export const cloudConfig = defineConfig('cloud', 'SV_CLOUD_', {
  dataDir: opt(z.string().min(1), {
    kind: 'string',
    unit: 'path',
    default: './data/cloud',
    help: 'Directory for the embedded store and keys.',
  }),
  port: opt(Port, { kind: 'int', unit: 'port', default: 8443, help: 'HTTP(S) listener port (0 = any free port).' }),
  host: opt(z.string(), { kind: 'string', default: '0.0.0.0', help: 'Address the HTTP(S) listener binds to.' }),
  tls: {
    certFile: opt(z.string().min(1).optional(), {
      kind: 'string',
      unit: 'path',
      help: 'PEM certificate for HTTPS; unset = plain HTTP (terminate TLS at the load balancer).',
    }),
    keyFile: opt(z.string().min(1).optional(), { kind: 'string', unit: 'path', help: 'PEM private key for HTTPS.' }),
  },
  http: {
    bodyLimitBytes: opt(
      z
        .number()
        .int()
        .min(1024)
        .max(512 * 1024 * 1024),
      {
        kind: 'int',
        unit: 'bytes',
        default: 8 * 1024 * 1024,
        help: 'Largest request body, measured after gzip decoding.',
      },
    ),
    requestTimeoutMs: opt(z.number().int().min(0), {
      kind: 'int',
      unit: 'ms',
      default: 30_000,
      help: 'Socket-level request timeout (0 = none).',
    }),
    publicUrl: opt(urlWith('http', 'https').optional(), {
      kind: 'string',
      unit: 'url',
      help: 'Where users reach the cloud (the origin of invitation links); unset = http://localhost:<port>.',
    }),
    trustProxy: opt(z.array(Cidr).max(64), {
      kind: 'list',
      unit: 'CIDRs',
      default: [],
      help: 'Proxies (load balancers) whose X-Forwarded-For is believed, as CIDRs (e.g. 10.0.0.0/8); empty = off: the client address is the peer.',
    }),
  },
  ingest: {
    sinkTimeoutMs: opt(z.number().int().min(10).max(600_000), {
      kind: 'int',
      unit: 'ms',
      default: 2_000,
      help: 'A sink that has not committed within this time fails the batch with 503.',
    }),
    retryAfterS: opt(z.number().int().min(1).max(3600), {
      kind: 'int',
      unit: 's',
      default: 5,
      help: 'Retry-After sent with a 503 when a sink failed or was too slow.',
    }),
    heartbeatTtlS: opt(z.number().int().min(1).max(86_400), {
      kind: 'int',
      unit: 's',
      default: 90,
      help: 'A device or gateway not heard from for this long is no longer online.',
    }),
    maxInFlightPerGateway: opt(z.number().int().min(1).max(1000), {
      kind: 'int',
      unit: 'requests',
      default: 8,
      help: 'Ingest requests one gateway may have open at once on this instance (its relay sends up to relay.maxInFlight); past it, 429 + Retry-After: 1.',
    }),
    maxInFlightPerOrg: opt(z.number().int().min(1).max(1000), {
      kind: 'int',
      unit: 'requests',
      default: 8,
      help: "Ingest requests all of one org's gateways may have open at once on this instance; keep it below mysql.poolSize so that other orgs always find a connection. Past it, 429 + Retry-After: 1.",
    }),
    lastSeenEveryS: opt(z.number().int().min(0).max(3600), {
      kind: 'int',
      unit: 's',
      default: 30,
      help: "A device's last-seen time is written to MySQL at most this often per device (the latest state in Redis has the exact time); 0 = every batch.",
    }),
  },
  rateLimit: {
    gatewayPerMin: opt(z.number().int().min(1), {
      kind: 'int',
      unit: 'requests/min',
      default: 6_000,
      help: 'Ingest requests per minute per gateway (shared through Redis when configured, else per instance).',
    }),
    keyPerMin: opt(z.number().int().min(1), {
      kind: 'int',
      unit: 'requests/min',
      default: 600,
      help: 'API requests per minute per API key (shared through Redis when configured, else per instance).',
    }),
    anonPerMin: opt(z.number().int().min(1), {
      kind: 'int',
      unit: 'requests/min',
      default: 120,
      help: 'Requests per minute per client address without a credential (shared through Redis when configured).',
    }),
  },
  auth: {
    cacheTtlMs: opt(z.number().int().min(0).max(300_000), {
      kind: 'int',
      unit: 'ms',
      default: 5_000,
      help: 'How long a verified token or key is cached; a revocation takes effect within this time.',
    }),
    sessionTtlMs: opt(
      z
        .number()
        .int()
        .min(60_000)
        .max(30 * 86_400_000),
      {
        kind: 'int',
        unit: 'ms',
        default: 8 * 3_600_000,
        help: 'A dashboard session ends this long after login (server-side; the cookie expires with it).',
      },
    ),
    sessionSecret: opt(z.string().min(32).optional(), {
      kind: 'string',
      secret: true,
      help: 'Signs the session cookie (at least 32 characters; the same on every instance). Unset = random per process: sessions end at restart.',
    }),
    failuresPerAddress: opt(z.number().int().min(1), {
      kind: 'int',
      default: 120,
      help: 'Failed authentications per client address within auth.failureWindowMs; past it wrong credentials get 429 (a correct one is still accepted).',
    }),
    failuresPerAccount: opt(z.number().int().min(1), {
      kind: 'int',
      default: 10,
      help: 'Failed logins per account within auth.failureWindowMs; past it the account is locked until the window slides past them.',
    }),
    failureWindowMs: opt(z.number().int().min(1_000).max(86_400_000), {
      kind: 'int',
      unit: 'ms',
      default: 60_000,
      help: 'The sliding window failed authentications are counted in (shared through Redis when configured).',
    }),
  },
  influx: {
    url: opt(urlWith('http', 'https').optional(), {
      kind: 'string',
      unit: 'url',
      help: 'InfluxDB base URL (v1 HTTP API: /write, /query); unset = embedded store.',
    }),
    db: opt(z.string().regex(/^[A-Za-z0-9_]+$/, 'letters, digits and _ only'), {
      kind: 'string',
      default: 'sousvide',
      help: 'InfluxDB database (1.x) or DBRP-mapped bucket (2.x/3.x).',
    }),
    token: opt(z.string().optional(), { kind: 'string', secret: true, help: 'InfluxDB token (2.x/3.x v1-compatibility auth).' }),
    timeoutMs: opt(z.number().int().min(10), { kind: 'int', unit: 'ms', default: 5_000, help: 'HTTP timeout of one InfluxDB request.' }),
    createDb: opt(z.boolean(), {
      kind: 'bool',
      default: true,
      help: 'Run CREATE DATABASE at start (1.x; turn off where the bucket is provisioned).',
    }),
  },
  redis: {
    url: opt(urlWith('redis', 'rediss').optional(), {
      kind: 'string',
      unit: 'url',
      secret: true,
      help: 'Redis URL (redis://host:port/db).',
    }),
    commandTimeoutMs: opt(z.number().int().min(10), { kind: 'int', unit: 'ms', default: 2_000, help: 'Timeout of one Redis command.' }),
    keyPrefix: opt(z.string().regex(/^[A-Za-z0-9:_-]*$/), { kind: 'string', default: 'sv:', help: 'Prefix of every Redis key.' }),
  },
  mysql: {
    url: opt(urlWith('mysql').optional(), {
      kind: 'string',
      unit: 'url',
      secret: true,
      help: 'MySQL/MariaDB URL (mysql://user:pass@host:port/db).',
    }),
    poolSize: opt(z.number().int().min(1).max(500), { kind: 'int', unit: 'connections', default: 10, help: 'MySQL connection pool size.' }),
    connectTimeoutMs: opt(z.number().int().min(10), { kind: 'int', unit: 'ms', default: 5_000, help: 'MySQL connect timeout.' }),
    queryTimeoutMs: opt(z.number().int().min(10), {
      kind: 'int',
      unit: 'ms',
      default: 10_000,
      help: 'A MySQL query not answered within this time fails and its connection is dropped.',
    }),
  },
  // What one org may create through the API (cloud/routes/org-limits.ts): the live objects of each
  // kind are counted before one more is made. The CLI (the service operator) is not limited.
  org: {
    maxGateways: orgCap(100, 'gateways', 'gateways (not revoked)'),
    maxApiKeys: orgCap(200, 'keys', 'API keys (not revoked)'),
    maxUsers: orgCap(200, 'users', 'users (not disabled; an invited user counts from the invitation)'),
    maxChannels: orgCap(20, 'channels', 'notification channels (not removed)'),
    maxPresets: orgCap(200, 'presets', 'cook presets (not deleted)'),
  },
  // Notifications per org (cloud/notify/, docs/notifications.md): channels are set through the API.
  notify: {
    gatewayOfflineMin: opt(z.number().int().min(1).max(1440), {
      kind: 'int',
      unit: 'min',
      default: 10,
      help: "A gateway that sent no batch (its relay's heartbeat included) for this long notifies its org once: gateway offline.",
    }),
    repeatMin: opt(z.number().min(1).max(1440), {
      kind: 'number',
      unit: 'min',
      default: 10,
      help: "An unacknowledged critical alarm notifies its org's channels again this often until it is acknowledged or cleared.",
    }),
    maxEventAgeMin: opt(z.number().min(1).max(1440), {
      kind: 'number',
      unit: 'min',
      default: 10,
      help: "A relayed event that the gateway sent longer than this after it happened notifies no more (a relay backlog after an outage): the gateway told the cook on the LAN at the time. Measured on the gateway's clock (X-Sousvide-Sent-At less the event's time), whatever the cloud's clock says. Counted in notify_skipped_total{reason=\"late\"}.",
    }),
    allowPrivateTargets: opt(z.boolean(), {
      kind: 'bool',
      default: false,
      help: "Let orgs' channels point at loopback, private and link-local addresses (a cloud on a LAN); off = refused, so that no org can make the cloud call into its own network.",
    }),
    emailFrom: opt(z.email().optional(), {
      kind: 'string',
      help: "Sender address of the e-mails; default sousvide@<this machine's host name>.",
    }),
    smtpCaFile: opt(z.string().min(1).optional(), {
      kind: 'string',
      unit: 'path',
      help: "CA certificate (PEM) that private SMTP servers' certificates are verified with; unset = the system's CAs.",
    }),
    secretsKey: opt(z.string().min(32).optional(), {
      kind: 'string',
      secret: true,
      help: "Encrypts the orgs' notification channel configs (webhook secrets, ntfy and SMTP passwords) at rest in the meta store (AES-256-GCM; at least 32 characters; the same on every instance). Unset = stored as given (a warning at start when the store holds channels).",
    }),
    previousSecretsKeys: opt(z.array(z.string().min(32)).max(8), {
      kind: 'list',
      secret: true,
      default: [],
      help: 'Keys notify.secretsKey replaced, while it is rotated (ADR 077): configs that do not open with notify.secretsKey are tried with each (up to 8, at least 32 characters each; not notify.secretsKey itself; only with notify.secretsKey set), and are sealed again with notify.secretsKey at start. In the environment, comma-separated, each trimmed: a key that holds a comma or spaces at its ends goes in the config file. Remove a key once every instance runs with notify.secretsKey and none opens only with a previous key (the start-up log; sousvide cloud notify keys).',
    }),
  },
  /** GET /v1/stream: live updates as server-sent events (ADR 034). */
  stream: {
    ...streamConfig,
    ...orgStreamLimit,
    recheckMs: opt(z.number().int().min(100), {
      kind: 'int',
      unit: 'ms',
      default: 30_000,
      help: 'How often an open stream checks that its API key is not revoked and its user not removed; one that is ends.',
    }),
  },
  log: {
    level: opt(z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']), {
      kind: 'string',
      default: 'info',
      help: 'Log level.',
    }),
  },
});
export type CloudConfig = ReturnType<typeof loadConfig<typeof cloudConfig.spec>>;

/**
 * Rules across keys, which the per-key schema cannot say, and the files the config names; each
 * line names the key, as loadConfig's do. `sousvide cloud` hands them to the loader, so a start
 * reports them with the refused values in one pass; buildCloud checks them again.
 */
export function cloudConfigProblems(config: CloudConfig): string[] {
  return [
    ...notifyKeyProblems(config.notify),
    ...pemFileProblems(
      [{ key: 'notify.smtpCaFile', path: config.notify.smtpCaFile, kind: 'ca' }],
      [
        {
          cert: { key: 'tls.certFile', path: config.tls.certFile, kind: 'certificate' },
          privateKey: { key: 'tls.keyFile', path: config.tls.keyFile, kind: 'private key' },
        },
      ],
    ),
  ];
}

/** The notification keys that must go together; never quotes a key's value. */
export function notifyKeyProblems(notify: Pick<CloudConfig['notify'], 'secretsKey' | 'previousSecretsKeys'>): string[] {
  const previous = notify.previousSecretsKeys;
  if (previous.length === 0) return [];
  if (notify.secretsKey === undefined) {
    return ['notify.previousSecretsKeys: set without notify.secretsKey (previous keys only open configs; notify.secretsKey seals them)'];
  }
  const problems: string[] = [];
  previous.forEach((key, i) => {
    if (key === notify.secretsKey)
      problems.push(`notify.previousSecretsKeys.${i}: is notify.secretsKey itself (list only the keys it replaced)`);
    else if (previous.indexOf(key) < i)
      problems.push(`notify.previousSecretsKeys.${i}: repeats notify.previousSecretsKeys.${previous.indexOf(key)}`);
  });
  return problems;
}
