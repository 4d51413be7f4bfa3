import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createApiKey, createGateway } from '../../cloud/admin.js';
import { cloudConfig } from '../../cloud/config.js';
import { closeStores, createStores } from '../../cloud/stores/index.js';
import { DEFAULT_ORG } from '../../cloud/stores/types.js';
import { loadConfig } from '../../shared/config/load.js';
import { freePort } from '../../shared/net/free-port.js';
import { FaultProxy, startInflux, startMariaDb, startRedis, type TestService } from '../../test/harness/index.js';
import { prepareHostedGateway } from '../targets/hosted-gateway.js';
import { RoundRobinBalancer } from './balancer.js';
import { cloudProcess, gatewayProcess, type ServiceProcess } from './processes.js';

/** Private Redis, MariaDB and InfluxDB (test/harness), each behind its fault proxy. */
export interface Stores {
  redis: TestService;
  mysql: TestService;
  influx: TestService;
}

export async function startStores(): Promise<Stores> {
  const [redis, mysql, influx] = await Promise.all([startRedis(), startMariaDb(), startInflux()]);
  return { redis, mysql, influx };
}

export async function closeStoreServers(s: Stores): Promise<void> {
  await Promise.all([s.redis.close(), s.mysql.close(), s.influx.close()]);
}

export interface TopologySpec {
  /** Unique per run: names the InfluxDB database, the Redis prefix, the gateway and the kit ids. */
  runId: string;
  workDir: string;
  kits: number;
  clouds: 1 | 2;
  gatewayArgs: string[];
  cloudArgs: string[];
  /** Kits connect from their own 127.x.y.z address (a LAN) instead of all from 127.0.0.1. */
  distinctSources: boolean;
}

/**
 * One chaos run's system: the stores (shared between runs when given), one or two cloud
 * processes (two behind a round-robin balancer), a fault proxy on the gateway → cloud link, and
 * the gateway as its own process with `kits` provisioned kits.
 *
 *   kits ─MQTT/TLS─ gateway ─HTTP─ [link proxy] ─ [balancer] ─ cloud(s) ─ proxies ─ InfluxDB/Redis/MariaDB
 */
export class Topology {
  clouds: ServiceProcess[] = [];
  balancer: RoundRobinBalancer | undefined;
  link!: FaultProxy;
  gateway!: ServiceProcess;
  gatewayId = '';
  viewerKey = '';
  operatorToken = '';
  influxDb = '';
  mqttPort = 0;
  ca!: Buffer;
  kits: { id: string; secret: string; localAddress?: string }[] = [];
  dataDir = '';

  private constructor(
    readonly spec: TopologySpec,
    readonly stores: Stores,
  ) {}

  /** A topology that fails to start stops what it had started (its cloud processes would otherwise outlive the run). */
  static async start(spec: TopologySpec, stores: Stores, log: (line: string) => void): Promise<Topology> {
    const topo = new Topology(spec, stores);
    try {
      await topo.build(log);
    } catch (err) {
      await topo.close();
      throw err;
    }
    return topo;
  }

  private async build(log: (line: string) => void): Promise<void> {
    const { spec, stores } = this;
    mkdirSync(spec.workDir, { recursive: true });
    const slug = spec.runId.toLowerCase().replace(/[^a-z0-9]/g, '');
    this.influxDb = `chaos_${slug}`;
    this.gatewayId = `gw-${slug}`.slice(0, 32);
    const cloudDir = join(spec.workDir, 'cloud');
    const config = loadConfig(cloudConfig, {
      overrides: {
        dataDir: cloudDir,
        'influx.url': stores.influx.url,
        'influx.db': this.influxDb,
        'redis.url': stores.redis.url,
        'redis.keyPrefix': `${slug}:`,
        'mysql.url': stores.mysql.url,
      },
    });
    // Credentials first (this also migrates the schema, so the clouds start on a current one).
    const admin = createStores(config);
    let cloudToken = '';
    try {
      await admin.meta.open();
      await admin.meta.migrate();
      this.viewerKey = (await createApiKey(admin.meta, { role: 'viewer', owner: 'chaos', orgId: DEFAULT_ORG }, Date.now())).key;
      const gw = await createGateway(admin.meta, this.gatewayId, DEFAULT_ORG, Date.now());
      cloudToken = gw.token;
    } finally {
      await closeStores(admin);
    }
    for (let i = 0; i < spec.clouds; i++) {
      this.clouds.push(
        cloudProcess(`cloud-${i}`, {
          dataDir: join(cloudDir, String(i)),
          influxUrl: stores.influx.url,
          influxDb: this.influxDb,
          redisUrl: stores.redis.url,
          redisPrefix: `${slug}:`,
          mysqlUrl: stores.mysql.url,
          extraArgs: spec.cloudArgs,
          logFile: join(spec.workDir, `cloud-${i}.log`),
        }),
      );
    }
    log(`starting ${spec.clouds} cloud process(es) …`);
    await Promise.all(this.clouds.map((c) => c.start()));
    let target = this.clouds[0]?.port as number;
    if (spec.clouds > 1) {
      this.balancer = new RoundRobinBalancer(() => this.clouds.map((c) => c.port));
      target = await this.balancer.listen();
    }
    this.link = new FaultProxy('127.0.0.1', target);
    await this.link.listen();

    log(`provisioning ${spec.kits} kits …`);
    const prefix = `k${slug.slice(-10)}`;
    const hosted = await prepareHostedGateway(spec.workDir, spec.kits, prefix);
    this.dataDir = hosted.dataDir;
    this.operatorToken = hosted.token;
    this.ca = readFileSync(hosted.pki.caFile);
    this.kits = hosted.kits.map((k, i) => ({
      ...k,
      ...(spec.distinctSources ? { localAddress: `127.${10 + Math.floor(i / 62500)}.${Math.floor(i / 250) % 250}.${(i % 250) + 2}` } : {}),
    }));
    this.mqttPort = await freePort();
    this.gateway = gatewayProcess({
      dataDir: hosted.dataDir,
      mqttPort: this.mqttPort,
      cloudUrl: `http://127.0.0.1:${this.link.port}`,
      cloudToken,
      extraArgs: ['--name', this.gatewayId, '--mqtt-max-connections', String(spec.kits + 1000), ...spec.gatewayArgs],
      logFile: join(spec.workDir, 'gateway.log'),
    });
    log('starting the gateway …');
    await this.gateway.start();
  }

  /** The gateway's own metrics (Prometheus text), or undefined while it does not answer. */
  async gatewayMetrics(): Promise<string | undefined> {
    return fetch(`${this.gateway.base}/metrics`, { signal: AbortSignal.timeout(2000) }).then(
      (r) => (r.ok ? r.text() : undefined),
      () => undefined,
    );
  }

  /** The relay's own status (`GET /v1/relay`, operator token): link, last success time, backlog. */
  async relayStatus(): Promise<{ link: string; lastSuccessTs: number | null } | undefined> {
    return fetch(`${this.gateway.base}/v1/relay`, {
      headers: { authorization: `Bearer ${this.operatorToken}` },
      signal: AbortSignal.timeout(2000),
    }).then(
      (r) => (r.ok ? (r.json() as Promise<{ link: string; lastSuccessTs: number | null }>) : undefined),
      () => undefined,
    );
  }

  async cloudMetrics(i = 0): Promise<string | undefined> {
    const c = this.clouds[i];
    if (!c) return undefined;
    return fetch(`${c.base}/metrics`, { headers: { authorization: `Bearer ${this.viewerKey}` }, signal: AbortSignal.timeout(2000) }).then(
      (r) => (r.ok ? r.text() : undefined),
      () => undefined,
    );
  }

  /** `/readyz` status of a cloud instance (0 when it does not answer). */
  async cloudReady(i = 0): Promise<number> {
    const c = this.clouds[i];
    if (!c) return 0;
    // Asked even when the process is known dead: what counts is what a monitor would see.
    return fetch(`${c.base}/readyz`, { signal: AbortSignal.timeout(3000) }).then(
      (r) => r.status,
      () => 0,
    );
  }

  async close(): Promise<void> {
    await this.gateway?.stop().catch(() => {});
    await Promise.all(this.clouds.map((c) => c.stop().catch(() => {})));
    await this.link?.close();
    await this.balancer?.close();
  }
}
