import type { Socket } from 'node:net';
import mqtt, { type IConnectPacket, type IPublishPacket, type ISubscribePacket, type Packet } from 'mqtt-packet';
import { mayPublish, maySubscribe } from '../../../shared/topics.js';
import { isCounted, markCounted } from '../refusal.js';
import type { MqttVersionDeps, Refusal } from './adapter.js';
import { BrokerSide, type BrokerSideOwner } from './broker-side.js';
import { misplacedProperty } from './properties.js';
import { connackToV5, connectToV4, mergeSuback, plainPublish, RC, subackCode, TopicAliases } from './translate.js';

const V5 = { protocolVersion: 5 };
/** Client → server topic aliases accepted per connection (a kit uses three uplink topics). */
const TOPIC_ALIAS_MAX = 8;
/** How long a closing connection may take to flush its last packet before it is destroyed. */
const CLOSE_GRACE_MS = 2000;

/**
 * One MQTT 5 client: its v5 packets are parsed and fed to Aedes as MQTT 3.1.1 through a
 * BrokerSide; Aedes' answers are parsed and sent back as v5. The ACL is checked here first so
 * that a refusal gets its reason code (0x87) and the connection stays open (docs/protocol.md); hooks.ts
 * still checks everything Aedes receives.
 */
export class Mqtt5Session implements BrokerSideOwner {
  private readonly client = mqtt.parser(V5);
  private readonly aedes = mqtt.parser({ protocolVersion: 4 });
  private readonly side: BrokerSide;
  private state: 'connect' | 'authenticating' | 'connected' | 'closed' = 'connect';
  private clientId = '';
  /** The client's Maximum Packet Size: nothing bigger is sent to it. */
  private maxOut = Number.POSITIVE_INFINITY;
  private readonly aliases = new TopicAliases(TOPIC_ALIAS_MAX);
  /** Packets that arrived behind the CONNECT, held until Aedes answers it (reading is paused). */
  private readonly early: Packet[] = [];
  /** SUBSCRIBE id → which filters were refused here (Aedes got the others). */
  private readonly partialSubs = new Map<number, boolean[]>();
  /** UNSUBSCRIBE id → filter count (a v5 UNSUBACK has one reason code per filter). */
  private readonly unsubs = new Map<number, number>();
  /** QoS 2 publishes to the client dropped for its Maximum Packet Size, awaiting Aedes' PUBREL. */
  private readonly dropped = new Set<number>();
  /** PINGREQs sent to Aedes on the client's behalf, whose PINGRESP is not passed on. */
  private ownPings = 0;
  private brokerFull = false;
  private sideEnded = false;

  static serve(raw: Socket, handle: (conn: Socket) => void, d: MqttVersionDeps): Mqtt5Session {
    return new Mqtt5Session(raw, handle, d);
  }

  private constructor(
    private readonly raw: Socket,
    handle: (conn: Socket) => void,
    private readonly d: MqttVersionDeps,
  ) {
    this.side = new BrokerSide(raw, this);
    this.client.on('packet', (p: Packet) => this.fromClient(p));
    this.client.on('error', () => this.protocolError(RC.malformed));
    this.aedes.on('packet', (p: Packet) => this.fromAedes(p));
    this.aedes.on('error', () => this.close('destroy')); // Aedes wrote what mqtt-packet cannot read: not the client's fault
    raw.on('data', (chunk: Buffer) => {
      // The packet guard may have destroyed the socket for this very chunk: nothing from a closed connection is processed.
      if (this.state !== 'closed' && !raw.destroyed) this.client.parse(chunk);
    });
    raw.once('close', () => this.clientGone());
    handle(this.side as unknown as Socket); // Aedes takes any duplex stream
    raw.resume();
  }

  // --- client → Aedes ---------------------------------------------------------------------------

  private fromClient(p: Packet): void {
    if (this.state === 'closed') return;
    if (misplacedProperty(p) !== undefined) {
      this.protocolError(RC.malformed);
      return;
    }
    if (this.state === 'connect') this.onConnect(p);
    else if (this.state === 'authenticating') this.early.push(p);
    else if (this.state === 'connected') this.onPacket(p);
  }

  private onConnect(p: Packet): void {
    if (p.cmd !== 'connect') {
      this.protocolError(RC.protocolError); // the sniff saw a CONNECT; defensive
      return;
    }
    this.clientId = p.clientId;
    const max = p.properties?.maximumPacketSize;
    if (max !== undefined) this.maxOut = max;
    const v4 = connectToV4(p as IConnectPacket);
    if (!v4.ok) {
      this.refused({ counter: 'auth_failed', reason: v4.reason, detail: v4.reason });
      this.send({ cmd: 'connack', sessionPresent: false, reasonCode: v4.reasonCode });
      this.close('destroy');
      return;
    }
    this.state = 'authenticating';
    this.raw.pause();
    this.toAedes(v4.packet);
  }

  private onPacket(p: Packet): void {
    switch (p.cmd) {
      case 'publish':
        this.onPublish(p);
        break;
      case 'puback':
      case 'pubrec':
      case 'pubrel':
      case 'pubcomp':
        this.toAedes({ cmd: p.cmd, messageId: p.messageId as number });
        break;
      case 'subscribe':
        this.onSubscribe(p);
        break;
      case 'unsubscribe':
        if (p.unsubscriptions.length === 0) {
          this.protocolError(RC.protocolError); // [MQTT-3.10.3-2]
          break;
        }
        this.unsubs.set(p.messageId as number, p.unsubscriptions.length);
        this.toAedes({ cmd: 'unsubscribe', messageId: p.messageId as number, unsubscriptions: p.unsubscriptions });
        break;
      case 'pingreq':
        this.toAedes({ cmd: 'pingreq' });
        break;
      case 'disconnect':
        // MQTT 5 §3.14.2.1: any reason but 0x00 (e.g. 0x04 "with Will Message") keeps the Will;
        // Aedes publishes it when the connection ends without a DISCONNECT.
        if ((p.reasonCode ?? RC.success) === RC.success) this.toAedes({ cmd: 'disconnect' });
        else this.close('end');
        break;
      default:
        this.protocolError(RC.protocolError); // a second CONNECT, AUTH, or a packet only a server sends
    }
  }

  private onPublish(p: IPublishPacket): void {
    const r = this.aliases.resolve(p.topic, p.properties?.topicAlias);
    if ('reasonCode' in r) {
      this.protocolError(r.reasonCode);
    } else if (r.topic.includes('#') || r.topic.includes('+')) {
      this.protocolError(RC.topicNameInvalid);
    } else if (mayPublish(this.clientId, r.topic)) {
      this.toAedes(plainPublish(p, r.topic));
    } else if (this.d.takePublish && !this.d.takePublish(this.clientId)) {
      // Over the publish rate: as for a 3.1.1 kit over it, counted, recorded, connection closed.
      this.refused({ counter: 'rate_limited', reason: 'publish', detail: 'publish rate' });
      markCounted(this.raw);
      markCounted(this.side);
      this.send({ cmd: 'disconnect', reasonCode: RC.messageRateTooHigh });
      this.close('destroy');
    } else {
      // PROTOCOL: refused with 0x87 (MQTT 5), recorded; the connection stays open.
      this.refused({ counter: 'acl_denied', reason: 'publish', detail: `publish ${r.topic.slice(0, 200)}` });
      const messageId = p.messageId as number;
      if (p.qos === 1) this.send({ cmd: 'puback', messageId, reasonCode: RC.notAuthorized });
      if (p.qos === 2) this.send({ cmd: 'pubrec', messageId, reasonCode: RC.notAuthorized });
      this.keepAlive();
    }
  }

  private onSubscribe(p: ISubscribePacket): void {
    if (p.subscriptions.length === 0) {
      this.protocolError(RC.protocolError); // [MQTT-3.8.3-2]
      return;
    }
    const messageId = p.messageId as number;
    const refused = p.subscriptions.map((s) => !maySubscribe(this.clientId, s.topic));
    p.subscriptions.forEach((s, i) => {
      if (refused[i]) this.refused({ counter: 'acl_denied', reason: 'subscribe', detail: `subscribe ${s.topic.slice(0, 200)}` });
    });
    // No Local, Retain As Published, Retain Handling and subscription identifiers are dropped.
    const allowed = p.subscriptions.filter((_, i) => !refused[i]).map((s) => ({ topic: s.topic, qos: s.qos }));
    if (allowed.length === 0) {
      this.send({ cmd: 'suback', messageId, granted: refused.map(() => RC.notAuthorized) });
      this.keepAlive();
      return;
    }
    if (allowed.length < refused.length) this.partialSubs.set(messageId, refused);
    this.toAedes({ cmd: 'subscribe', messageId, subscriptions: allowed });
  }

  /**
   * A packet answered here is still a packet from the client for Aedes' keep-alive timer
   * (MQTT 5 §3.1.2.10): a PINGREQ stands in for it.
   */
  private keepAlive(): void {
    this.ownPings++;
    this.toAedes({ cmd: 'pingreq' });
  }

  private toAedes(p: Packet): void {
    if (this.sideEnded || this.side.destroyed) return;
    let bytes: Buffer;
    try {
      bytes = mqtt.generate(p);
    } catch {
      this.protocolError(RC.malformed); // parsed as v5 but not writable as 3.1.1
      return;
    }
    if (!this.side.push(bytes)) {
      this.brokerFull = true;
      this.raw.pause();
    }
  }

  // --- Aedes → client ---------------------------------------------------------------------------

  fromBroker(chunk: Buffer, done: () => void): void {
    this.aedes.parse(chunk);
    if (!this.raw.writableNeedDrain || this.raw.destroyed) {
      done();
      return;
    }
    const go = () => {
      this.raw.removeListener('drain', go);
      this.raw.removeListener('close', go);
      done();
    };
    this.raw.once('drain', go);
    this.raw.once('close', go);
  }

  private fromAedes(p: Packet): void {
    const messageId = p.messageId as number;
    switch (p.cmd) {
      case 'connack':
        this.onConnack(connackToV5(p, this.serverProperties()));
        break;
      case 'publish':
        this.deliver(p);
        break;
      case 'puback':
      case 'pubrec':
      case 'pubcomp':
        this.send({ cmd: p.cmd, messageId }); // reason code 0x00 (success)
        break;
      case 'pubrel':
        if (this.dropped.delete(messageId)) this.toAedes({ cmd: 'pubcomp', messageId });
        else this.send({ cmd: 'pubrel', messageId });
        break;
      case 'suback': {
        const refused = this.partialSubs.get(messageId);
        this.partialSubs.delete(messageId);
        const granted = p.granted as number[];
        this.send({ cmd: 'suback', messageId, granted: refused ? mergeSuback(granted, refused) : granted.map(subackCode) });
        break;
      }
      case 'unsuback':
        this.send({ cmd: 'unsuback', messageId, granted: new Array<number>(this.unsubs.get(messageId) ?? 1).fill(RC.success) });
        this.unsubs.delete(messageId);
        break;
      case 'pingresp':
        if (this.ownPings > 0) this.ownPings--;
        else this.send({ cmd: 'pingresp' });
        break;
      default:
      // Aedes sends nothing else to a client.
    }
  }

  private onConnack(reply: Packet & { cmd: 'connack' }): void {
    this.send(reply);
    if (reply.reasonCode !== RC.success) return; // Aedes closes the connection next
    this.state = 'connected';
    for (const q of this.early.splice(0)) if (this.state === 'connected') this.onPacket(q);
    this.resumeClient();
  }

  /** What a successful CONNACK announces. */
  private serverProperties() {
    return {
      topicAliasMaximum: TOPIC_ALIAS_MAX,
      maximumPacketSize: this.d.maxPacketBytes,
      wildcardSubscriptionAvailable: false, // the ACL allows a kit its own cmd topic only
      sharedSubscriptionAvailable: false,
      subscriptionIdentifiersAvailable: false,
    };
  }

  /** A PUBLISH to the client (a command), unless it exceeds the client's Maximum Packet Size. */
  private deliver(p: IPublishPacket): void {
    const bytes = mqtt.generate(plainPublish(p), V5);
    if (bytes.length <= this.maxOut) {
      this.write(bytes);
      return;
    }
    // MQTT 5 §3.1.2.11.4: discarded, and treated as sent (Aedes gets the acknowledgement).
    const messageId = p.messageId as number;
    if (p.qos === 1) this.toAedes({ cmd: 'puback', messageId });
    if (p.qos === 2) {
      this.dropped.add(messageId);
      this.toAedes({ cmd: 'pubrec', messageId });
    }
  }

  private send(p: Packet): void {
    let bytes: Buffer;
    try {
      bytes = mqtt.generate(p, V5);
    } catch {
      // A packet mqtt-packet cannot write (a bug of ours, or input the checks above missed):
      // end this session, never the gateway.
      if (p.cmd === 'disconnect') this.close('destroy');
      else this.protocolError(RC.unspecified);
      return;
    }
    this.write(bytes);
  }

  private write(bytes: Buffer): void {
    if (!this.raw.destroyed && this.raw.writable) this.raw.write(bytes);
  }

  // --- flow and endings -------------------------------------------------------------------------

  brokerReady(): void {
    this.brokerFull = false;
    this.resumeClient();
  }

  private resumeClient(): void {
    if (this.state === 'connected' && !this.brokerFull) this.raw.resume();
  }

  brokerClosed(): void {
    if (this.state === 'closed') return;
    this.state = 'closed';
    this.endClient();
  }

  /** The client's socket closed (peer, packet guard, or us): Aedes sees the connection end without DISCONNECT. */
  private clientGone(): void {
    this.state = 'closed';
    this.endSide('end');
  }

  private refused(r: Omit<Refusal, 'clientId' | 'remote'>): void {
    const full: Refusal = { ...r, clientId: this.clientId || null, remote: this.raw.remoteAddress ?? null };
    if (this.d.onRefused) this.d.onRefused(full);
    else this.d.stats.incLabel(full.counter, full.reason);
  }

  /** Malformed input or a protocol violation: DISCONNECT with the reason (once connected), close, count once. */
  private protocolError(reasonCode: number): void {
    if (this.state === 'closed') return;
    if (!isCounted(this.raw)) this.d.stats.incLabel('protocol_error', 'malformed');
    markCounted(this.raw);
    markCounted(this.side); // broker.ts and hooks.ts see the side as the client's connection
    if (this.state === 'connected') this.send({ cmd: 'disconnect', reasonCode });
    this.close('destroy');
  }

  /** Ends both sides. */
  private close(broker: 'end' | 'destroy'): void {
    this.state = 'closed';
    this.endSide(broker);
    this.endClient();
  }

  /**
   * `end`: Aedes reads what was already fed, then the end of the stream, like a peer that went
   * away without DISCONNECT: it ends the session and publishes the Will (MQTT 5 §3.1.2.5).
   * `destroy`: Aedes drops the connection at once, as after a parse error of its own (what was
   * not yet read is not processed).
   */
  private endSide(how: 'end' | 'destroy'): void {
    if (this.side.destroyed) return;
    if (how === 'destroy') this.side.destroy();
    else if (!this.sideEnded) {
      this.sideEnded = true;
      this.side.push(null);
    }
  }

  private endClient(): void {
    const raw = this.raw;
    if (raw.destroyed) return;
    const timer = setTimeout(() => raw.destroy(), CLOSE_GRACE_MS);
    timer.unref();
    raw.once('close', () => clearTimeout(timer));
    raw.end(() => raw.destroy());
  }
}
