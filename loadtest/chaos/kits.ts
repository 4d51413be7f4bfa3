import { LeanClient } from '../lean-client.js';

/**
 * The chaos load: kits that behave like the firmware under faults. Each kit publishes telemetry
 * at a fixed rate into its own buffer and sends from it (QoS 1, a small in-flight window, paced
 * under the gateway's per-device publish limit); a message leaves the buffer only on its PUBACK
 * (PROTOCOL: PUBACK after commit), and every PUBACK is recorded as an acknowledged
 * `(device, boot, seq)` for the loss audit. A lost connection puts the in-flight messages back
 * (resent, same payload: the gateway dedupes) and reconnects with exponential backoff and full
 * jitter (PROTOCOL: 1 s → 60 s; shorter in the CI versions). Kits may subscribe to their command
 * topic and answer commands with acks, as the firmware does.
 */
export type KitClock = { kind: 'ntp' } | { kind: 'none' } | { kind: 'offset'; ms: number };

export interface KitSpec {
  id: string;
  secret: string;
  clock?: KitClock;
  /** Subscribe to `sv/<id>/cmd` and ack commands. */
  commands?: boolean;
  /** Source address (127.x.y.z): kits on a LAN each have their own. */
  localAddress?: string;
}

export interface FleetOptions {
  host: string;
  port: number;
  ca: Buffer;
  kits: KitSpec[];
  ratePerKit: number;
  boot?: number;
  /** Reconnect backoff (PROTOCOL: 1 s → 60 s, full jitter). */
  backoffBaseMs?: number;
  backoffMaxMs?: number;
  /** Unacknowledged publishes per kit at once. */
  window?: number;
  /** Publishes per second per kit, at most (the gateway closes the connection above 20/s). */
  maxPublishPerS?: number;
  /** Buffer size per kit; the oldest unacknowledged message is dropped above it (never acknowledged: not audited). */
  bufferCap?: number;
  /** Initial connections opened at once. */
  connectParallelism?: number;
  /** Bath temperature the kits report (below a cook's target, the control presses the heater on). */
  tempC?: number;
}

export interface FleetTotals {
  kits: number;
  connected: number;
  published: number;
  resent: number;
  acked: number;
  connects: number;
  connectFailures: number;
  disconnects: number;
  bufferDropped: number;
  buffered: number;
  commands: number;
}

export interface ReceivedCommand {
  kit: string;
  id: string;
  op: string;
  at: number;
}

interface Pending {
  seq: number;
  boot: number;
  payload: string;
  /** Connection generation it was last sent on (−1: not sent on the current one). */
  sentOn: number;
}

class ChaosKit {
  client: LeanClient | undefined;
  connected = false;
  generation = 0;
  boot: number;
  seq = 0;
  heater = false;
  readonly buffer: Pending[] = [];
  inFlight = 0;
  readonly acked = new Map<number, number[]>();
  attempt = 0;
  reconnectTimer: NodeJS.Timeout | undefined;
  paceTimer: NodeJS.Timeout | undefined;
  tokens: number;
  tokensAt = Date.now();
  lastTraffic = 0;

  constructor(
    readonly spec: KitSpec,
    boot: number,
    burst: number,
  ) {
    this.boot = boot;
    this.tokens = burst;
  }
}

export class KitFleet {
  readonly totals: FleetTotals;
  readonly commands: ReceivedCommand[] = [];
  private readonly kits: ChaosKit[];
  private readonly byId = new Map<string, ChaosKit>();
  private running = false;
  private generating = false;
  private tickers: NodeJS.Timeout[] = [];
  private readonly o: Required<Omit<FleetOptions, 'kits'>> & { kits: KitSpec[] };

  constructor(opts: FleetOptions) {
    this.o = {
      boot: 1,
      backoffBaseMs: 1000,
      backoffMaxMs: 60_000,
      window: 10,
      maxPublishPerS: 10,
      bufferCap: 2000,
      connectParallelism: 50,
      tempC: 40,
      ...opts,
    };
    this.kits = opts.kits.map((s) => new ChaosKit(s, this.o.boot, this.o.maxPublishPerS));
    for (const k of this.kits) this.byId.set(k.spec.id, k);
    this.totals = {
      kits: this.kits.length,
      connected: 0,
      published: 0,
      resent: 0,
      acked: 0,
      connects: 0,
      connectFailures: 0,
      disconnects: 0,
      bufferDropped: 0,
      buffered: 0,
      commands: 0,
    };
  }

  /** Connects every kit (bounded parallelism; failures retry with backoff) and starts publishing. */
  async start(): Promise<void> {
    this.running = true;
    let next = 0;
    const worker = async () => {
      while (next < this.kits.length) await this.connect(this.kits[next++] as ChaosKit);
    };
    await Promise.all(Array.from({ length: Math.min(this.o.connectParallelism, this.kits.length) }, worker));
    this.generating = true;
    const periodMs = 1000 / this.o.ratePerKit;
    for (const k of this.kits) {
      const first = setTimeout(() => {
        this.tick(k);
        this.tickers.push(setInterval(() => this.tick(k), periodMs));
      }, Math.random() * periodMs);
      this.tickers.push(first);
    }
  }

  get connected(): number {
    return this.totals.connected;
  }

  /** Messages still waiting in the kits' buffers (not acknowledged yet). */
  get buffered(): number {
    let n = 0;
    for (const k of this.kits) n += k.buffer.length;
    return n;
  }

  /** Stops producing new readings; the buffers keep draining while connected. */
  stopGenerating(): void {
    this.generating = false;
    for (const t of this.tickers) clearInterval(t);
    this.tickers = [];
  }

  /** Stops generating, waits (up to `flushMs`) for the buffers to be acknowledged, then disconnects. */
  async stop(flushMs = 30_000): Promise<void> {
    this.stopGenerating();
    const deadline = Date.now() + flushMs;
    while (this.buffered > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    this.running = false;
    for (const k of this.kits) {
      clearTimeout(k.reconnectTimer);
      clearTimeout(k.paceTimer);
      k.client?.destroy();
      k.client = undefined;
    }
    this.totals.buffered = this.buffered;
  }

  /** A kit reboot: boot + 1, seq from 0 (its unacknowledged buffer is lost, as in RAM). */
  reboot(id: string): void {
    const k = this.byId.get(id);
    if (!k) return;
    this.totals.bufferDropped += k.buffer.length;
    k.buffer.length = 0;
    k.inFlight = 0;
    k.boot++;
    k.seq = 0;
    const client = k.client;
    if (client) {
      client.destroy(); // a destroyed lean client reports no close: count it here
      this.onClose(k, client);
    }
  }

  /** Every kit connects from `address` from its next connection on (undefined: the default, 127.0.0.1). */
  setSourceAddress(address: string | undefined): void {
    for (const k of this.kits) k.spec.localAddress = address;
  }

  setClock(id: string, clock: KitClock): void {
    const k = this.byId.get(id);
    if (k) k.spec.clock = clock;
  }

  /** Every acknowledged (device, boot, seq), per device and boot. */
  acked(): { id: string; boot: number; seqs: number[] }[] {
    const out: { id: string; boot: number; seqs: number[] }[] = [];
    for (const k of this.kits) for (const [boot, seqs] of k.acked) out.push({ id: k.spec.id, boot, seqs });
    return out;
  }

  private tick(k: ChaosKit): void {
    if (!this.generating) return;
    const clock = k.spec.clock ?? { kind: 'ntp' };
    const ts = clock.kind === 'none' ? null : Date.now() + (clock.kind === 'offset' ? clock.ms : 0);
    const tempC = this.o.tempC + (k.seq % 8) / 16;
    const payload = `{"v":1,"boot":${k.boot},"seq":${k.seq},"ts":${ts},"tempC":${tempC},"sensor":"ok","heater":${k.heater}}`;
    k.buffer.push({ seq: k.seq, boot: k.boot, payload, sentOn: -1 });
    k.seq++;
    if (k.buffer.length > this.o.bufferCap) {
      const i = k.buffer.findIndex((p) => p.sentOn !== k.generation);
      if (i >= 0) {
        k.buffer.splice(i, 1);
        this.totals.bufferDropped++;
      }
    }
    this.pump(k);
  }

  private pump(k: ChaosKit): void {
    const client = k.client;
    if (!k.connected || !client) return;
    const now = Date.now();
    k.tokens = Math.min(this.o.maxPublishPerS, k.tokens + ((now - k.tokensAt) / 1000) * this.o.maxPublishPerS);
    k.tokensAt = now;
    for (const p of k.buffer) {
      if (k.inFlight >= this.o.window) return;
      if (p.sentOn === k.generation) continue;
      if (k.tokens < 1) {
        if (!k.paceTimer) {
          k.paceTimer = setTimeout(
            () => {
              k.paceTimer = undefined;
              this.pump(k);
            },
            Math.ceil(1000 / this.o.maxPublishPerS),
          );
        }
        return;
      }
      k.tokens--;
      if (p.sentOn === -1) this.totals.published++;
      else this.totals.resent++;
      p.sentOn = k.generation;
      k.inFlight++;
      const gen = k.generation;
      client.publish(`sv/${k.spec.id}/telemetry`, p.payload, 1, (err) => {
        if (gen !== k.generation) return; // a callback of an earlier connection
        k.inFlight--;
        if (err) return; // connection lost: it is resent after the reconnect
        this.onAck(k, p);
        this.pump(k);
      });
    }
  }

  private onAck(k: ChaosKit, p: Pending): void {
    k.lastTraffic = Date.now();
    let seqs = k.acked.get(p.boot);
    if (!seqs) {
      seqs = [];
      k.acked.set(p.boot, seqs);
    }
    seqs.push(p.seq);
    this.totals.acked++;
    const i = k.buffer.indexOf(p);
    if (i >= 0) k.buffer.splice(i, 1);
  }

  private async connect(k: ChaosKit): Promise<void> {
    if (!this.running) return;
    const id = k.spec.id;
    const status = (state: string) => `{"v":1,"state":"${state}","boot":${k.boot},"fw":"chaos-1","profile":"toggle"}`;
    const client = new LeanClient({
      host: this.o.host,
      port: this.o.port,
      ca: this.o.ca,
      clientId: id,
      username: id,
      password: k.spec.secret,
      keepaliveS: 30,
      localAddress: k.spec.localAddress,
      will: { topic: `sv/${id}/status`, payload: status('offline'), qos: 1, retain: true },
      onMessage: (_topic, payload) => this.onCommand(k, payload),
      onClose: () => this.onClose(k, client),
    });
    k.client = client;
    try {
      await client.connect(30_000);
    } catch {
      this.totals.connectFailures++;
      if (k.client === client) k.client = undefined;
      this.scheduleReconnect(k);
      return;
    }
    if (!this.running) {
      client.destroy();
      return;
    }
    this.totals.connects++;
    this.totals.connected++;
    k.connected = true;
    k.attempt = 0;
    k.generation++;
    k.inFlight = 0;
    client.publish(`sv/${id}/status`, status('online'), 1, () => {}, true);
    if (k.spec.commands) client.subscribe(`sv/${id}/cmd`, () => {});
    this.pump(k);
  }

  private onClose(k: ChaosKit, client: LeanClient): void {
    if (k.client !== client || !k.connected) return;
    k.connected = false;
    k.client = undefined;
    k.generation++; // every in-flight message goes again on the next connection
    k.inFlight = 0;
    this.totals.connected--;
    this.totals.disconnects++;
    this.scheduleReconnect(k);
  }

  private scheduleReconnect(k: ChaosKit): void {
    if (!this.running) return;
    const cap = Math.min(this.o.backoffMaxMs, this.o.backoffBaseMs * 2 ** k.attempt);
    k.attempt++;
    clearTimeout(k.reconnectTimer);
    k.reconnectTimer = setTimeout(() => void this.connect(k), Math.random() * cap);
  }

  private onCommand(k: ChaosKit, payload: Buffer): void {
    let cmd: { id?: string; op?: string };
    try {
      cmd = JSON.parse(payload.toString()) as { id?: string; op?: string };
    } catch {
      return;
    }
    if (typeof cmd.id !== 'string') return;
    if (!this.commands.some((c) => c.id === cmd.id && c.kit === k.spec.id)) {
      this.commands.push({ kit: k.spec.id, id: cmd.id, op: String(cmd.op), at: Date.now() });
      this.totals.commands++;
      if (cmd.op === 'press') k.heater = !k.heater;
      if (cmd.op === 'safe') k.heater = false;
    }
    k.client?.publish(`sv/${k.spec.id}/ack`, `{"v":1,"id":"${cmd.id}","ok":true,"heater":${k.heater}}`, 1, () => {});
  }
}
