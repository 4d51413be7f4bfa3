import { Counter, Gauge, type Registry } from 'prom-client';
import type { CookSpec } from '../../shared/cook.js';
import type { Logger } from '../../shared/log.js';
import { isDeviceId } from '../../shared/protocol/device-id.js';
import { TokenBucket } from '../broker/limits.js';
import type { CookChange } from '../control-driver/control-loop.js';
import type { Actor } from '../control-driver/record-sink.js';
import {
  bridgeAvailabilityTopic,
  commandSubscription,
  discoveryConfigs,
  type HaCommand,
  type HaKitView,
  type HaNaming,
  haNaming,
  holdsBath,
  kitAvailability,
  kitState,
  kitTopics,
  nodeId,
  parseCommand,
} from './discovery.js';
import { HaMqtt } from './mqtt-driver.js';
import { parseDiscoveryTopic } from './schema.js';

export interface HaBridgeConfig {
  mqttUrl: string;
  username?: string | undefined;
  password?: string | undefined;
  discoveryPrefix: string;
  /** HA's birth topic (its own option in HA, `homeassistant/status` whatever the discovery prefix). */
  birthTopic?: string | undefined;
}

/** HA's default birth topic (home-assistant/core, mqtt/const.py: DEFAULT_BIRTH_WILL_TOPIC). */
export const DEFAULT_BIRTH_TOPIC = 'homeassistant/status';

/** The control path the bridge drives: the same calls, and so the same audit, as the local API. */
export interface HaControl {
  view(deviceId: string): HaKitView | null;
  startCook(deviceId: string, spec: CookSpec, actor: Actor): CookChange;
  stopCook(deviceId: string, actor: Actor, reason?: string): CookChange;
}

export interface HaBridgeDeps {
  config: HaBridgeConfig;
  gatewayName: string;
  /** The highest target the gateway accepts (maxTargetC): HA offers targets up to it. */
  maxTargetC: number;
  /** The control loop (it exists once control has started, before this bridge starts). */
  control: () => HaControl;
  /** Active (provisioned, not revoked) kits. */
  deviceIds: () => string[];
  registry: Registry;
  log: Logger;
  now?: () => number;
  syncMs?: number;
  backoff?: { baseMs: number; maxMs: number };
  /** Commands per kit: a burst, then so many a second; more are dropped and counted. */
  commandRate?: { burst: number; perSecond: number };
}

/** A few a second per kit: more than any person at HA's thermostat card sends, far less than a runaway automation. */
export const DEFAULT_COMMAND_RATE = { burst: 5, perSecond: 5 };

export const HA_ACTOR: Actor = { type: 'user', id: 'home-assistant' };

/** The one command budget of every kit id this gateway does not have (not a kit id: `_` is not allowed in one). */
const UNKNOWN_KITS = '_unknown';

/**
 * Home Assistant through MQTT discovery: every active kit appears in HA by itself (retained
 * configs), its state follows the control view once a second, HA's commands go through the
 * control loop like the local API's, and a revoked kit's entities are removed (empty retained
 * configs). The user's broker being down never touches ingest or control: nothing waits on it,
 * nothing is queued for it, failures are counted and the connection retried with backoff.
 * A gateway part: `name`, `start()`, `stop()`.
 */
/** How long a target set while the bath is off is kept for Heat. */
export const SETPOINT_TTL_MS = 12 * 3600_000;

export class HaBridge {
  readonly name = 'home-assistant';
  private readonly n: HaNaming;
  private readonly mqtt: HaMqtt;
  /** topic → payload last published on this connection (a reconnect republishes everything). */
  private sent = new Map<string, string>();
  /** Kits whose discovery configs went out on this connection (configs are built only then). */
  private announced = new Set<string>();
  /** Kits with entities in HA → their retained topics (to clear when revoked). */
  private readonly published = new Map<string, string[]>();
  private timer: NodeJS.Timeout | undefined;
  private readonly now: () => number;
  /** Per kit: its command budget (the broker's token bucket), and the kits whose commands are being dropped (logged once a burst). */
  private readonly budget: TokenBucket;
  private readonly dropping = new Set<string>();
  /**
   * Targets HA set while a kit's bath was off, kept for its *Heat* (as HA's own thermostats keep a
   * setpoint changed while off). In memory: a gateway restart forgets them, and HA's next change
   * sets one again. One older than SETPOINT_TTL_MS is forgotten too (a Heat days later starts the
   * last cook's own target, not a dial nudged long ago).
   */
  private readonly setpoints = new Map<string, { targetC: number; atMs: number }>();
  /** A retained command was logged on this connection (one line per connection, not per message). */
  private retainedLogged = false;
  private readonly m: {
    connected: Gauge;
    failures: Counter<'reason'>;
    skipped: Counter;
    publishFailed: Counter;
    commands: Counter<'result'>;
  };

  constructor(private readonly d: HaBridgeDeps) {
    const rate = d.commandRate ?? DEFAULT_COMMAND_RATE;
    this.budget = new TokenBucket(rate.perSecond, rate.burst);
    this.now = d.now ?? Date.now;
    this.n = haNaming(d.config.discoveryPrefix, d.gatewayName, d.maxTargetC);
    const registers = [d.registry];
    const mqttUp = () => this.mqtt.connected;
    this.m = {
      connected: new Gauge({
        name: 'ha_mqtt_connected',
        help: "1 while connected to Home Assistant's MQTT broker",
        registers,
        collect() {
          this.set(mqttUp() ? 1 : 0);
        },
      }),
      failures: new Counter({
        name: 'ha_mqtt_connection_failures_total',
        help: "Failed or lost connections to Home Assistant's MQTT broker, by reason (retried with backoff)",
        labelNames: ['reason'],
        registers,
      }),
      skipped: new Counter({
        name: 'ha_sync_skipped_total',
        help: "State syncs skipped while Home Assistant's broker was unreachable (all is republished on reconnect)",
        registers,
      }),
      publishFailed: new Counter({
        name: 'ha_publish_failures_total',
        help: "Publishes Home Assistant's broker did not take (sent again on the next sync)",
        registers,
      }),
      commands: new Counter({
        name: 'ha_commands_total',
        help: 'Commands from Home Assistant, by result (ok, rejected by control, invalid, retained: ignored, rate_limited: dropped)',
        labelNames: ['result'],
        registers,
      }),
    };
    const bridgeTopic = bridgeAvailabilityTopic(this.n);
    this.mqtt = new HaMqtt({
      url: d.config.mqttUrl,
      ...(d.config.username !== undefined ? { username: d.config.username } : {}),
      ...(d.config.password !== undefined ? { password: d.config.password } : {}),
      clientId: `sousvide-${this.n.gateway}`,
      will: { topic: bridgeTopic, payload: 'offline' },
      subscriptions: [commandSubscription(this.n), `${this.n.prefix}/+/+/+/config`, this.birthTopic],
      backoff: d.backoff ?? { baseMs: 1000, maxMs: 60_000 },
      log: d.log,
      onConnect: () => {
        this.sent = new Map();
        this.retainedLogged = false;
        this.send(bridgeTopic, 'online', true, 1);
        this.republish();
      },
      onMessage: (topic, payload, retained) => this.onMessage(topic, payload, retained),
      onError: (reason) => this.m.failures.inc({ reason }),
    });
  }

  async start(): Promise<void> {
    this.mqtt.start();
    this.timer = setInterval(() => this.sync(), this.d.syncMs ?? 1000);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.mqtt.stop();
  }

  /** Everything again: configs, states, availability (after a reconnect or HA's restart). */
  private republish(): void {
    const bridge = bridgeAvailabilityTopic(this.n);
    this.sent = new Map([[bridge, this.sent.get(bridge) ?? 'online']]);
    this.announced = new Set();
    this.sync();
  }

  /** Publishes what changed since the last sync: new kits' configs, states, availability, removals. */
  sync(): void {
    if (!this.mqtt.connected) {
      this.m.skipped.inc();
      return;
    }
    let control: HaControl;
    try {
      control = this.d.control();
    } catch {
      return; // control not started yet
    }
    const ids = new Set(this.d.deviceIds());
    const now = this.now();
    for (const id of ids) {
      const t = kitTopics(this.n, id);
      if (!this.announced.has(id)) {
        const configs = discoveryConfigs(this.n, id);
        this.published.set(id, [...configs.map((c) => c.topic), t.state, t.availability]);
        this.announced.add(id);
        for (const c of configs) this.send(c.topic, JSON.stringify(c.config), true, 1, id);
      }
      const view = control.view(id);
      this.send(t.availability, kitAvailability(view), true, 1);
      // A cook started by other means (the local API, the cloud) replaces a setpoint kept for Heat.
      if (holdsBath(view)) this.setpoints.delete(id);
      this.send(t.state, JSON.stringify(kitState(view, now, this.setpoint(id, now))), true, 0);
    }
    for (const [id, topics] of this.published) {
      if (ids.has(id)) continue;
      // Configs first (HA removes the entities), then the retained state and availability. A
      // removal the broker does not take is swept on the next connect (see sweep()).
      for (const topic of topics) this.send(topic, '', true, 1);
      this.published.delete(id);
      this.announced.delete(id);
      this.budget.forget(id);
      this.setpoints.delete(id);
      this.dropping.delete(id);
      this.d.log.info({ deviceId: id }, 'home assistant: kit revoked, its entities are removed');
    }
  }

  /** `kitId`: a config of this kit; if the broker does not take it, the kit is announced again. */
  private send(topic: string, payload: string, retain: boolean, qos: 0 | 1, kitId?: string): void {
    if (this.sent.get(topic) === payload) return;
    const ok = this.mqtt.publish(topic, payload, retain, qos, (delivered) => {
      if (delivered) return;
      this.m.publishFailed.inc();
      if (this.sent.get(topic) === payload) this.sent.delete(topic);
      if (kitId !== undefined) this.announced.delete(kitId);
    });
    if (ok) this.sent.set(topic, payload);
  }

  /**
   * HA's birth message (mqtt docs, "Birth and last will messages"): `online` when HA (re)starts.
   * A separate option of HA's, not derived from the discovery prefix.
   */
  private get birthTopic(): string {
    return this.d.config.birthTopic ?? DEFAULT_BIRTH_TOPIC;
  }

  /** `retained`: the broker sent a stored message (on subscribing), not one published just now. */
  private onMessage(topic: string, payload: string, retained = false): void {
    if (topic === this.birthTopic) {
      if (payload === 'online') this.republish(); // as HA's docs advise, and zigbee2mqtt does
      return;
    }
    const d = parseDiscoveryTopic(this.n.prefix, topic);
    if (d) {
      this.sweep(d.nodeId, topic, payload);
      return;
    }
    const cmd = parseCommand(this.n, topic, payload);
    if (!cmd) return;
    if (retained) {
      // A command someone published with the retain flag (a flow, a tool, an automation) would be
      // replayed by the broker on every reconnect: ignored. Not cleared: the
      // gateway's login should not be allowed to write command topics (docs/home-assistant.md).
      this.m.commands.inc({ result: 'retained' });
      if (!this.retainedLogged) {
        this.retainedLogged = true;
        this.d.log.warn(
          { topic },
          'home assistant: retained command ignored (commands must not be retained; clear it with an empty retained message)',
        );
      }
      return;
    }
    // A stop is never dropped, however many target changes came before it. Commands for kits this
    // gateway does not have share one budget: made-up kit ids cannot make buckets, nor refill a real kit's.
    const stop = cmd.kind === 'mode' && cmd.mode === 'off';
    if (!stop && !this.takeToken(this.d.deviceIds().includes(cmd.kitId) ? cmd.kitId : UNKNOWN_KITS)) {
      this.m.commands.inc({ result: 'rate_limited' });
      return;
    }
    this.command(cmd);
  }

  /** The kit's command budget (a token bucket); false: over it, the command is dropped. */
  private takeToken(kitId: string): boolean {
    // Known kits only (and one for every unknown id): sync() forgets a revoked kit's.
    if (this.budget.take(kitId)) {
      this.dropping.delete(kitId);
      return true;
    }
    if (!this.dropping.has(kitId)) {
      this.dropping.add(kitId); // one line per burst, not per dropped command
      this.d.log.warn(
        {
          deviceId: kitId === UNKNOWN_KITS ? '(kits this gateway does not have)' : kitId,
          perSecond: (this.d.commandRate ?? DEFAULT_COMMAND_RATE).perSecond,
        },
        'home assistant: too many commands for this kit; dropping them (counted in ha_commands_total{result="rate_limited"})',
      );
    }
    return false;
  }

  /**
   * A retained config of this gateway's for a kit that is no longer active (revoked while the
   * gateway was down or disconnected from HA's broker): removed. Only a node id whose rest is a
   * kit id: kit ids have no `_`, so gateway "Home" never reads "Home Kitchen"'s
   * `sousvide_home_kitchen_<kit>` as a kit `kitchen_<kit>` of its own.
   */
  private sweep(node: string | null, topic: string, payload: string): void {
    const mine = `${nodeId(this.n, '')}`;
    if (payload === '' || node === null || !node.startsWith(mine)) return;
    const kitId = node.slice(mine.length);
    if (!isDeviceId(kitId)) return;
    if (this.published.has(kitId) || this.d.deviceIds().includes(kitId)) return;
    const t = kitTopics(this.n, kitId);
    this.send(topic, '', true, 1);
    this.send(t.state, '', true, 1);
    this.send(t.availability, '', true, 1);
  }

  private command(cmd: HaCommand): void {
    const r = this.apply(cmd);
    if (r === 'nothing to do' || r.ok) this.m.commands.inc({ result: 'ok' });
    else if ('invalid' in r) {
      this.m.commands.inc({ result: 'invalid' });
      this.d.log.warn({ deviceId: cmd.kitId, error: r.invalid }, 'home assistant: command refused');
    } else {
      this.m.commands.inc({ result: 'rejected' });
      this.d.log.warn({ deviceId: cmd.kitId, reason: r.reason }, 'home assistant: cook change rejected by control');
    }
    this.sync(); // HA sees the outcome at once (or its old state again after a rejection)
  }

  /** The target kept for a kit's Heat, unless older than SETPOINT_TTL_MS (then forgotten). */
  private setpoint(kitId: string, now: number): number | undefined {
    const s = this.setpoints.get(kitId);
    if (s === undefined) return undefined;
    if (now - s.atMs <= SETPOINT_TTL_MS) return s.targetC;
    this.setpoints.delete(kitId);
    return undefined;
  }

  private apply(cmd: HaCommand): CookChange | { ok: false; invalid: string } | 'nothing to do' {
    if (cmd.kind === 'invalid') return { ok: false, invalid: cmd.error };
    if (!this.d.deviceIds().includes(cmd.kitId)) return { ok: false, invalid: `kit: no active kit ${cmd.kitId}` };
    const control = this.d.control();
    const view = control.view(cmd.kitId);
    const running = view?.cook?.state === 'heating' || view?.cook?.state === 'holding';
    if (cmd.kind === 'target') {
      // A new target changes the running cook (its timer and profile stay); a done cook's held
      // bath gets a cook of its own at the new target.
      if (running && view?.cook)
        return control.startCook(cmd.kitId, { ...withoutOverride(view.cook.spec), targetC: cmd.targetC }, HA_ACTOR);
      if (holdsBath(view)) return control.startCook(cmd.kitId, { targetC: cmd.targetC }, HA_ACTOR);
      // The bath is off: the target is kept for *Heat*, and nothing heats (a nudge of the dial
      // must not switch on a cooker nobody is watching).
      this.setpoints.set(cmd.kitId, { targetC: cmd.targetC, atMs: this.now() });
      return 'nothing to do';
    }
    if (cmd.mode === 'off') return holdsBath(view) ? control.stopCook(cmd.kitId, HA_ACTOR, 'stopped from Home Assistant') : 'nothing to do';
    if (holdsBath(view)) return 'nothing to do';
    // Heat: the last cook's settings again, at the target set while off if there is one.
    const setpoint = this.setpoint(cmd.kitId, this.now());
    const last = view?.cook ? withoutOverride(view.cook.spec) : null;
    let spec: CookSpec;
    if (last !== null) spec = setpoint === undefined ? last : { ...last, targetC: setpoint };
    else if (setpoint !== undefined) spec = { targetC: setpoint };
    else return { ok: false, invalid: 'mode: heat needs a target temperature first' };
    const r = control.startCook(cmd.kitId, spec, HA_ACTOR);
    if (r.ok) this.setpoints.delete(cmd.kitId);
    return r;
  }
}

/**
 * Every spec the bridge sends to control, without `lowTempOverride`: HA has no way to ask for
 * the override, so an override given earlier (through the local API, for another target or
 * cook) never carries over to what HA starts. A cook that needs it is refused by control.
 */
function withoutOverride(spec: CookSpec): CookSpec {
  const { lowTempOverride: _, ...rest } = spec;
  return rest;
}
