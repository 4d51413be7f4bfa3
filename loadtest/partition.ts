/**
 * One load-generator partition (a child process): connects its slice of kits with bounded
 * parallelism, then publishes telemetry open-loop (a fixed rate per kit, whatever the acks) and
 * reports progress every second and a final summary to the parent over IPC.
 */
import { readFileSync } from 'node:fs';
import { Histogram } from './histogram.js';
import { LeanClient } from './lean-client.js';
import { MqttJsClient } from './mqttjs-client.js';

/** lean: mqtt-packet on raw sockets (Node); mqttjs: MQTT.js (the cross-check); native: kitgen.c (ADR 021). */
export type ClientModel = 'lean' | 'mqttjs' | 'native';

export interface PartitionSpec {
  index: number;
  host: string;
  port: number;
  caFile?: string;
  kits: { id: string; secret?: string }[];
  ratePerKit: number;
  durationS: number;
  connectParallelism: number;
  qos: 0 | 1;
  boot: number;
  /** Kits that subscribe to their cmd topic and time telemetry → command (kits with a cook). */
  commandKits?: string[];
  /** Client model: the lean mqtt-packet client (default), MQTT.js (the cross-check) or native (run by run-partitions). */
  client?: ClientModel;
  /** Closed loop: a kit publishes only while fewer than this many are unacknowledged (0 = open loop). */
  maxInFlight?: number;
  /** Command kits report an over-temperature bath from this many ms into the load on (default 10 s; tests shorten it). */
  hotAfterMs?: number;
  /** Native generator only: wake-up tick while publishing, ms (default 2; 0 = on every event). */
  nativeTickMs?: number;
}

export interface PartitionCounters {
  connected: number;
  connectFailed: number;
  published: number;
  acked: number;
  failed: number;
  commands: number;
  /** Closed loop: publishes held back because the kit's in-flight window was full. */
  held: number;
}

export type PartitionMessage =
  | { type: 'progress'; index: number; counters: PartitionCounters }
  | {
      type: 'final';
      index: number;
      counters: PartitionCounters;
      puback: { counts: number[]; max: number };
      connect: { counts: number[]; max: number };
      command: { counts: number[]; max: number };
      errors: Record<string, number>;
      cpuMs: number;
      /** CPU used while publishing (connection set-up excluded), ms. */
      steadyCpuMs: number;
    };

const classify = (err: Error): string => {
  const m = err.message;
  if (/EMFILE|ENFILE/.test(m)) return 'client:EMFILE';
  if (/connect timeout/.test(m)) return 'client:connect_timeout';
  if (/CONNACK refused/.test(m)) return 'gateway:connack_refused';
  if (/ECONNREFUSED/.test(m)) return 'gateway:refused';
  if (/ECONNRESET|closed|lost/.test(m)) return 'gateway:reset';
  return `other:${m.slice(0, 40)}`;
};

export async function runPartition(spec: PartitionSpec, send: (m: PartitionMessage) => void): Promise<void> {
  if (spec.client === 'native') throw new Error('a native partition runs as kitgen (loadtest/native), not in Node');
  const ca = spec.caFile ? readFileSync(spec.caFile) : undefined;
  const counters: PartitionCounters = { connected: 0, connectFailed: 0, published: 0, acked: 0, failed: 0, commands: 0, held: 0 };
  const commandHist = new Histogram();
  const watched = new Set(spec.commandKits ?? []);
  const lastPublish = new Map<string, number>();
  const seenCommands = new Set<string>();
  const puback = new Histogram();
  const connectHist = new Histogram();
  const errors: Record<string, number> = {};
  const countError = (err: Error) => {
    const c = classify(err);
    errors[c] = (errors[c] ?? 0) + 1;
  };
  const cpu0 = process.cpuUsage();
  const progress = setInterval(() => send({ type: 'progress', index: spec.index, counters: { ...counters } }), 1000);

  const clients: (LeanClient | MqttJsClient)[] = [];
  let next = 0;
  const connectOne = async (): Promise<void> => {
    while (next < spec.kits.length) {
      const kit = spec.kits[next++] as { id: string; secret?: string };
      const Model = spec.client === 'mqttjs' ? MqttJsClient : LeanClient;
      const client = new Model({
        host: spec.host,
        port: spec.port,
        ca,
        clientId: kit.id,
        username: kit.secret ? kit.id : undefined,
        password: kit.secret,
        // telemetry → command: from the kit's last reading to the command it caused
        onMessage: watched.has(kit.id)
          ? (_topic, payload) => {
              // Only a command's first delivery counts: retries (same id) follow the ack timer, not a reading.
              const id = /"id":"([^"]+)"/.exec(payload.toString())?.[1] ?? '';
              if (seenCommands.has(id)) return;
              seenCommands.add(id);
              const at = lastPublish.get(kit.id);
              counters.commands++;
              if (at !== undefined) commandHist.record(performance.now() - at);
            }
          : undefined,
      });
      const t0 = performance.now();
      try {
        await client.connect();
        connectHist.record(performance.now() - t0);
        counters.connected++;
        clients.push(client);
        if (watched.has(kit.id)) client.subscribe(`sv/${kit.id}/cmd`, (err) => err && countError(err));
      } catch (err) {
        counters.connectFailed++;
        countError(err as Error);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, spec.connectParallelism) }, connectOne));

  // Open loop: each kit publishes every 1/rate seconds at its own phase, acked or not.
  const periodMs = 1000 / spec.ratePerKit;
  const startedAt = performance.now();
  const endAt = startedAt + spec.durationS * 1000;
  const steadyCpu0 = process.cpuUsage();
  const timers: NodeJS.Timeout[] = [];
  await new Promise<void>((resolve) => {
    clients.forEach((client, k) => {
      let seq = 0;
      const topic = `sv/${client.clientId}/telemetry`;
      const tick = () => {
        if (performance.now() >= endAt) return;
        // Closed loop: hold back while the kit has its window of unacknowledged messages out.
        if (spec.maxInFlight && client.inFlight >= spec.maxInFlight) {
          counters.held++;
          return;
        }
        // A kit with a cook (target 70 °C) reports an over-temperature bath from its trigger time on
        // (spread over the run, 10 s in and later): the watchdog must answer the reading with a
        // `safe` command, which the kit times (telemetry → command under load).
        const hot = watched.has(client.clientId) && performance.now() >= startedAt + (spec.hotAfterMs ?? 10_000) + (k % 200) * 50;
        const tempC = hot ? 76 : 55 + (k % 10) / 16;
        const payload = `{"v":1,"boot":${spec.boot},"seq":${seq++},"ts":${Date.now()},"tempC":${tempC.toFixed(4)},"sensor":"ok","heater":true}`;
        const t0 = performance.now();
        if (watched.has(client.clientId)) lastPublish.set(client.clientId, t0);
        counters.published++;
        client.publish(topic, payload, spec.qos, (err) => {
          if (err) {
            counters.failed++;
            countError(err);
          } else {
            counters.acked++;
            if (spec.qos === 1) puback.record(performance.now() - t0);
          }
        });
      };
      const start = setTimeout(() => {
        tick();
        timers.push(setInterval(tick, periodMs));
      }, Math.random() * periodMs);
      timers.push(start);
    });
    setTimeout(resolve, spec.durationS * 1000 + 200);
  });
  for (const t of timers) clearInterval(t);
  const steadyCpu = process.cpuUsage(steadyCpu0);
  // Grace for the last acks, then count what is still unacknowledged as failed.
  const graceEnd = performance.now() + 5000;
  while (clients.some((c) => c.inFlight > 0) && performance.now() < graceEnd) await new Promise((r) => setTimeout(r, 50));
  for (const c of clients) {
    counters.failed += c.inFlight;
    if (c.inFlight > 0) errors['gateway:no_puback'] = (errors['gateway:no_puback'] ?? 0) + c.inFlight;
    c.destroy();
  }
  clearInterval(progress);
  const cpu = process.cpuUsage(cpu0);
  send({
    type: 'final',
    index: spec.index,
    counters,
    puback: puback.toJSON(),
    command: commandHist.toJSON(),
    connect: connectHist.toJSON(),
    errors,
    cpuMs: (cpu.user + cpu.system) / 1000,
    steadyCpuMs: (steadyCpu.user + steadyCpu.system) / 1000,
  });
}
