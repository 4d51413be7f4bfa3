import cluster, { type Worker } from 'node:cluster';
import { fileURLToPath } from 'node:url';
import { Aedes } from 'aedes';
import type { Registry } from 'prom-client';
import type { Logger } from '../../shared/log.js';
import type { BrokerFront, Release, SecurityRecorder } from '../broker/ports.js';
import { sendCommand } from '../broker/send-command.js';
import type { GatewayConfig } from '../config.js';
import type { IngestPipeline } from '../ingest/pipeline.js';
import type { Stats } from '../stats.js';
import type { NodeMessage, PrimaryMessage } from './messages.js';
import { type NodeView, registerNodeMetrics } from './node-metrics.js';
import { applyCounterDeltas } from './node-report.js';
import { openRedisEmitter, type SharedEmitter } from './redis-emitter.js';
import { unpackUplinks } from './uplink-columns.js';

export interface BrokerNodesDeps {
  config: GatewayConfig;
  ingest: IngestPipeline;
  security: SecurityRecorder;
  stats: Stats;
  log: Logger;
  registry: Registry;
  onPubackLatency: (ms: number) => void;
}

interface Node extends NodeView {
  worker: Worker | undefined;
}

/** One node process's commit results waiting to be sent (per process: a restarted node starts afresh). */
interface Link {
  worker: Worker;
  ok: number[];
  fail: [number, string][];
  flushing: boolean;
}

const RESTART_DELAY_MS = 1000;
const STOP_TIMEOUT_MS = 10_000;
const NO_PAYLOAD = Buffer.alloc(0);

/**
 * The MQTT side of a gateway with `mqtt.nodes` > 1 (ADR 024): that many broker node processes
 * (node.ts) share the MQTT port through Node's cluster module, which hands each new connection
 * to the next node in turn. This process keeps what must be single: the store writer,
 * deduplication, control and the relay. Nodes send it their parsed uplinks and get the commits
 * back (PUBACK after commit still holds); the gateway's own commands go out through a headless
 * Aedes on the same Redis emitter, which delivers them on the node that holds the kit.
 * A node that dies is restarted; its kits reconnect (to any node) and resend what was not
 * acknowledged.
 */
export class BrokerNodes implements BrokerFront {
  private headless: Aedes | undefined;
  private mq: SharedEmitter | undefined;
  private readonly nodes: Node[];
  private stopping = false;
  mqttPort = 0;
  plainPort: number | undefined;
  proxyPort: number | undefined;

  constructor(private readonly d: BrokerNodesDeps) {
    this.nodes = Array.from({ length: d.config.mqtt.nodes }, (_, index) => ({
      index,
      up: false,
      restarts: 0,
      report: undefined,
      lag: { p99: 0, max: 0 },
      worker: undefined,
    }));
    registerNodeMetrics(d.registry, () => this.nodes);
  }

  get aedes(): Aedes {
    if (!this.headless) throw new Error('broker nodes not started');
    return this.headless;
  }

  sendCommand(deviceId: string, payload: string): void {
    sendCommand(this.aedes, deviceId, payload);
  }

  get connections(): number {
    return this.nodes.reduce((sum, n) => sum + (n.up ? (n.report?.connections ?? 0) : 0), 0);
  }

  get connectedClients(): number {
    return this.nodes.reduce((sum, n) => sum + (n.up ? (n.report?.clients ?? 0) : 0), 0);
  }

  async start(): Promise<void> {
    const url = this.d.config.mqtt.clusterRedisUrl;
    if (url === undefined) throw new Error('mqtt.clusterRedisUrl: required when mqtt.nodes > 1');
    this.mq = openRedisEmitter(url, {
      down: (err) => this.d.log.error({ err: err.message }, 'cluster Redis unreachable: commands to kits wait, uplinks go on'),
      up: () => this.d.log.info('cluster Redis reachable again'),
    });
    this.headless = new Aedes({ mq: this.mq } as unknown as ConstructorParameters<typeof Aedes>[0]);
    await this.headless.listen();
    cluster.setupPrimary({ ...nodeEntry(), serialization: 'advanced' });
    await Promise.all(this.nodes.map((n) => this.spawn(n)));
  }

  disconnect(id: string): boolean {
    // Each node also watches the devices table and disconnects on its own; this is the fast path.
    for (const n of this.nodes) this.send(n, { t: 'disconnect', deviceId: id });
    return false;
  }

  async stop(): Promise<void> {
    this.stopping = true;
    await Promise.all(
      this.nodes.map(async (n) => {
        const w = n.worker;
        if (!w || w.isDead()) return;
        const exited = new Promise<void>((resolve) => w.once('exit', () => resolve()));
        this.send(n, { t: 'stop' });
        const timer = setTimeout(() => w.process.kill('SIGKILL'), STOP_TIMEOUT_MS);
        await exited;
        clearTimeout(timer);
      }),
    );
    await new Promise<void>((resolve) => (this.headless ? this.headless.close(() => resolve()) : resolve()));
  }

  private spawn(n: Node): Promise<void> {
    const worker = cluster.fork({ SV_GATEWAY_NODE: String(n.index) });
    n.worker = worker;
    const link: Link = { worker, ok: [], fail: [], flushing: false };
    return new Promise<void>((resolve, reject) => {
      worker.on('message', (m: NodeMessage) => {
        if (m.t === 'hello') this.send(n, { t: 'init', config: this.d.config, index: n.index, nodes: this.nodes.length });
        else if (m.t === 'ready') {
          n.up = true;
          this.mqttPort = m.mqttPort;
          this.plainPort = m.plainPort;
          this.proxyPort = m.proxyPort;
          resolve();
        } else if (m.t === 'failed') reject(new Error(`broker node ${n.index} failed to start: ${m.error}`));
        else this.onMessage(n, link, m);
      });
      worker.once('exit', (code, signal) => {
        const wasUp = n.up;
        n.up = false;
        if (n.worker === worker) n.worker = undefined;
        if (this.stopping) return;
        if (!wasUp) return reject(new Error(`broker node ${n.index} exited during start-up (${signal ?? code})`));
        this.d.log.error({ node: n.index, code, signal }, 'broker node exited; restarting it (its kits reconnect)');
        n.restarts++;
        setTimeout(() => {
          if (this.stopping) return;
          this.spawn(n).catch((err: Error) => this.d.log.error({ err: err.message, node: n.index }, 'broker node restart failed'));
        }, RESTART_DELAY_MS).unref();
      });
    });
  }

  private onMessage(n: Node, link: Link, m: NodeMessage): void {
    switch (m.t) {
      case 'up':
        for (const [ref, deviceId, suffix, topic, qos, payload, parsed] of unpackUplinks(m.batch)) {
          const release: Release = ref === 0 ? noop : (err) => this.settle(link, ref, err);
          this.d.ingest.handleParsed(deviceId, suffix, topic, payload ?? NO_PAYLOAD, qos, parsed, release);
        }
        return;
      case 'report':
        applyCounterDeltas(this.d.stats, m.counters);
        for (const ms of m.pubackMs) this.d.onPubackLatency(ms);
        n.report = m;
        n.lag = { p99: Math.max(n.lag.p99, m.loopLagP99), max: Math.max(n.lag.max, m.loopLagMax) };
        return;
      case 'sec':
        this.d.security.record(m.kind, m.deviceId, m.remote, m.detail);
        return;
    }
  }

  /** Queues a commit result for the node; all results of one event-loop turn leave as one message. */
  private settle(link: Link, ref: number, err?: Error | null): void {
    if (!link.worker.isConnected()) return; // that node process is gone; its kits resend after reconnecting
    if (err) link.fail.push([ref, err.message]);
    else link.ok.push(ref);
    if (link.flushing) return;
    link.flushing = true;
    setImmediate(() => {
      link.flushing = false;
      const done: PrimaryMessage = { t: 'done', ok: link.ok, fail: link.fail };
      link.ok = [];
      link.fail = [];
      if (link.worker.isConnected()) link.worker.send(done, ignoreGone);
    });
  }

  private send(n: Node, m: PrimaryMessage): void {
    const w = n.worker;
    if (w?.isConnected()) w.send(m, ignoreGone);
  }
}

function noop(): void {}

/**
 * A node that died a moment ago can still look connected; the send then fails with EPIPE. Nothing
 * is lost by dropping it: its kits were not acknowledged and resend after reconnecting, and the
 * 'exit' handler restarts the node.
 */
function ignoreGone(): void {}

/** The node process's entry: the compiled file, or the TypeScript source under tsx (tests). */
function nodeEntry(): { exec: string; execArgv: string[] } {
  const fromSource = import.meta.url.endsWith('.ts');
  const exec = fileURLToPath(new URL(`./node-main.${fromSource ? 'ts' : 'js'}`, import.meta.url));
  const execArgv = [...process.execArgv];
  if (fromSource && !execArgv.some((a) => a.includes('tsx'))) execArgv.push('--import', 'tsx');
  return { exec, execArgv };
}
