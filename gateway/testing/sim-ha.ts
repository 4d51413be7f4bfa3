import mqtt, { type MqttClient } from 'mqtt';
import { formatIssues } from '../../shared/zod-issues.js';
import { type Component, DISCOVERY_SCHEMAS, parseDiscoveryTopic } from '../ha/schema.js';

export interface SimEntity {
  component: string;
  nodeId: string | null;
  objectId: string;
  config: Record<string, unknown>;
  /** Issues found by the platform's schema (empty: valid). */
  invalid: string[];
}

/**
 * A simulated Home Assistant MQTT integration for tests: subscribes to the discovery prefix,
 * validates each config against the platform's schema, subscribes to the topics the config
 * names (state, availability), renders `{{ value_json.x }}` templates as HA would, and sends
 * commands on the command topics the config names.
 */
export class SimHa {
  /** Last payload per topic ('' after a removal). */
  readonly topics = new Map<string, string>();
  /** Messages received per topic. */
  readonly received = new Map<string, number>();
  readonly entities = new Map<string, SimEntity>();
  /** Every config received (not only the last per entity), with the issues of the invalid ones. */
  readonly configsSeen: { topic: string; invalid: string[] }[] = [];
  private constructor(
    readonly client: MqttClient,
    readonly prefix: string,
  ) {}

  static async connect(url: string, auth: { username: string; password: string }, prefix = 'homeassistant'): Promise<SimHa> {
    const client = await mqtt.connectAsync(url, { ...auth, clientId: 'sim-home-assistant', reconnectPeriod: 300, protocolVersion: 4 });
    const ha = new SimHa(client, prefix);
    client.on('message', (topic, payload) => ha.onMessage(topic, payload.toString()));
    await client.subscribeAsync(`${prefix}/#`, { qos: 1 });
    return ha;
  }

  private onMessage(topic: string, payload: string): void {
    this.topics.set(topic, payload);
    this.received.set(topic, (this.received.get(topic) ?? 0) + 1);
    const d = parseDiscoveryTopic(this.prefix, topic);
    if (!d) return;
    const key = `${d.component}/${d.nodeId}/${d.objectId}`;
    if (payload === '') {
      this.entities.delete(key);
      return;
    }
    const config = JSON.parse(payload) as Record<string, unknown>;
    const schema = DISCOVERY_SCHEMAS[d.component as Component];
    const r = schema?.safeParse(config);
    const invalid = !schema ? [`${d.component}: not a platform this test knows`] : r?.success ? [] : formatIssues(r?.error as never);
    this.entities.set(key, { ...d, config, invalid });
    this.configsSeen.push({ topic, invalid });
    const reads = Object.entries(config)
      .filter(([k, v]) => k.endsWith('_topic') && !k.endsWith('command_topic') && typeof v === 'string')
      .map(([, v]) => v as string);
    for (const a of (config.availability as { topic: string }[] | undefined) ?? []) reads.push(a.topic);
    this.client.subscribe([...new Set(reads)], { qos: 1 });
  }

  /** HA's birth message: what HA publishes when it starts (its birth topic is its own option, not under the discovery prefix). */
  async birth(topic = 'homeassistant/status'): Promise<void> {
    await this.client.publishAsync(topic, 'online', { qos: 1 });
  }

  /** Entities of one discovery node (one kit). */
  node(nodeId: string): SimEntity[] {
    return [...this.entities.values()].filter((e) => e.nodeId === nodeId);
  }

  entity(component: string, nodeId: string, objectId: string): SimEntity | undefined {
    return this.entities.get(`${component}/${nodeId}/${objectId}`);
  }

  /** HA's view of one attribute: the payload on `topicKey`, through `templateKey`, as a string ('None' for null). */
  read(e: SimEntity, topicKey = 'state_topic', templateKey = 'value_template'): string | undefined {
    const payload = this.topics.get(e.config[topicKey] as string);
    if (payload === undefined || payload === '') return undefined;
    const template = e.config[templateKey] as string | undefined;
    if (!template) return payload;
    const m = /^\{\{ value_json\.([a-z_]+) \}\}$/.exec(template);
    if (!m) throw new Error(`template ${template} is beyond this simulation`);
    const v = (JSON.parse(payload) as Record<string, unknown>)[m[1] as string];
    return v === null || v === undefined ? 'None' : String(v);
  }

  /** available per HA's rule for `availability_mode: all`: every availability topic says online. */
  available(e: SimEntity): boolean {
    const list = (e.config.availability as { topic: string }[] | undefined) ?? [];
    const all = e.config.availability_mode === 'all';
    const states = list.map((a) => this.topics.get(a.topic) === 'online');
    return all ? states.every(Boolean) : states.some(Boolean);
  }

  /** What HA does when the user sets a value: publish to the command topic the config names. */
  async command(e: SimEntity, topicKey: string, payload: string): Promise<void> {
    const topic = e.config[topicKey];
    if (typeof topic !== 'string') throw new Error(`${e.objectId} has no ${topicKey}`);
    await this.client.publishAsync(topic, payload, { qos: 1 });
  }

  /** Resolves with check()'s first truthy value; rejects naming `what` after the timeout. */
  async until<T>(what: string, check: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs = 20_000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const v = await check();
      if (v) return v;
      if (Date.now() > deadline) throw new Error(`simulated HA: timed out after ${timeoutMs} ms waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  async close(): Promise<void> {
    await this.client.endAsync(true);
  }
}
