import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../shared/config/load.js';
import { capturedLogger, startInflux, startMariaDb, startRedis, type TestService } from '../../test/harness/index.js';
import { createApiKey, createGateway, createOrg } from '../admin.js';
import { buildCloud, type Cloud, type CloudOptions } from '../app.js';
import { type CloudConfig, cloudConfig } from '../config.js';
import { DEFAULT_ORG } from '../stores/types.js';
import { uid } from './fixtures.js';

interface Tap {
  teardown(fn: () => unknown): void;
}

export interface Servers {
  redis: TestService;
  mysql: TestService;
  influx: TestService;
}

/** Private Redis, MariaDB and InfluxDB for one test file (test/harness). */
export async function startServers(t: Tap): Promise<Servers> {
  const [redis, mysql, influx] = await Promise.all([startRedis(t), startMariaDb(t), startInflux(t)]);
  return { redis, mysql, influx };
}

/** Config of a cloud on those servers (or embedded with `servers` undefined), one Influx db and Redis prefix per `ns`. */
export function testConfig(t: Tap, servers: Servers | undefined, ns: string, overrides: Record<string, unknown> = {}): CloudConfig {
  const dataDir = mkdtempSync(join(tmpdir(), 'sousvide-cloud-'));
  t.teardown(() => rmSync(dataDir, { recursive: true, force: true }));
  return loadConfig(cloudConfig, {
    overrides: {
      dataDir,
      port: 0,
      host: '127.0.0.1',
      'log.level': 'warn',
      'ingest.sinkTimeoutMs': 1500,
      'ingest.retryAfterS': 3,
      'auth.cacheTtlMs': 0,
      'notify.allowPrivateTargets': true, // the tests' receivers listen on 127.0.0.1
      ...(servers
        ? {
            'influx.url': servers.influx.url,
            'influx.db': `t_${ns.replace(/\W/g, '_')}`,
            'influx.timeoutMs': 1500,
            'redis.url': servers.redis.url,
            'redis.keyPrefix': `${ns}:`,
            'redis.commandTimeoutMs': 1000,
            'mysql.url': servers.mysql.url,
            'mysql.queryTimeoutMs': 1500,
          }
        : {}),
      ...overrides,
    },
  });
}

export interface RunningCloud {
  cloud: Cloud;
  base: string;
  logs: string[];
  config: CloudConfig;
}

/** A started cloud; its log lines are captured (tests check that no secret is logged). */
export async function startCloud(t: Tap, config: CloudConfig, options: CloudOptions = {}): Promise<RunningCloud> {
  const { log, lines: logs } = capturedLogger('cloud-test', 'debug');
  const cloud = buildCloud(config, log, options);
  const { port } = await cloud.start();
  t.teardown(() => cloud.stop());
  return { cloud, base: `http://127.0.0.1:${port}`, logs, config };
}

/** A gateway token and keys of every role on a started cloud, in one org (default: the default org). */
export async function credentials(c: RunningCloud, orgId = DEFAULT_ORG) {
  const meta = c.cloud.stores.meta;
  const gw = await createGateway(meta, uid('gw').toLowerCase(), orgId, Date.now());
  const key = async (role: string, owner: string) => (await createApiKey(meta, { role, owner, orgId }, Date.now())).key;
  return {
    orgId,
    gateway: gw,
    admin: await key('admin', 'alice'),
    operator: await key('operator', 'oscar'),
    viewer: await key('viewer', 'victor'),
  };
}

/** A new org with its own credentials (credentials()). */
export async function tenant(c: RunningCloud, name = uid('org').toLowerCase()) {
  const org = await createOrg(c.cloud.stores.meta, name, Date.now());
  return credentials(c, org.id);
}

export async function api(base: string, method: string, path: string, key?: string, body?: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: {
      ...(key ? { authorization: `Bearer ${key}` } : {}),
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      ...headers,
    },
    body: body === undefined ? undefined : typeof body === 'string' || body instanceof Uint8Array ? body : JSON.stringify(body),
  });
  // A stream (GET /v1/stream) never ends: answer its status and headers, and close it.
  if (res.headers.get('content-type')?.startsWith('text/event-stream')) {
    await res.body?.cancel();
    return { status: res.status, headers: res.headers, body: null };
  }
  const text = await res.text();
  let json: unknown = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {
    json = text;
  }
  // biome-ignore lint/suspicious/noExplicitAny: test helper returns loosely typed JSON
  return { status: res.status, headers: res.headers, body: json as any };
}
