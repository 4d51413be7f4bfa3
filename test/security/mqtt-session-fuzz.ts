import mqttPacket, { type Packet } from 'mqtt-packet';
import { Prng } from '../../shared/thermal/prng.js';
import { varint } from './mqtt-fuzz.js';

/**
 * Broken packets inside an *authenticated* session, MQTT 3.1.1 (Aedes parses them) or MQTT 5
 * (the adapter in gateway/broker/mqtt5/ parses them first). mqtt-fuzz.ts covers what comes
 * before authentication. Every frame keeps its fixed header's type byte, so each is exactly one
 * packet of a type a client may send (or a frame whose body never completes), never a
 * DISCONNECT in disguise: a connection the gateway closes is always a refusal it must count.
 */
export type SessionExpect = 'closed' | 'too_large' | 'either';

/** Kinds for both versions; `bad-property` and `topic-alias` exist only in MQTT 5. */
export const SESSION_FUZZ_KINDS = [
  'bitflip-body',
  'random-body',
  'bad-property',
  'topic-alias',
  'length-short',
  'length-long',
  'huge-length',
] as const;
export type SessionFuzzKind = (typeof SESSION_FUZZ_KINDS)[number];
const V5_ONLY: readonly SessionFuzzKind[] = ['bad-property', 'topic-alias'];

export function sessionFuzzKinds(version: 4 | 5): SessionFuzzKind[] {
  return SESSION_FUZZ_KINDS.filter((k) => version === 5 || !V5_ONLY.includes(k));
}

export interface SessionFuzzFrame {
  index: number;
  kind: SessionFuzzKind;
  expect: SessionExpect;
  bytes: Buffer;
}

function bodyOffset(frame: Buffer): number {
  let i = 1;
  while (i < frame.length && ((frame[i] as number) & 0x80) !== 0) i++;
  return i + 1;
}

export class MqttSessionFuzzer {
  private readonly rng: Prng;
  private readonly kinds: SessionFuzzKind[];
  private index = 0;

  constructor(
    seed: number,
    private readonly opts: { deviceId: string; maxPacketBytes: number; protocolVersion: 4 | 5 },
  ) {
    this.rng = new Prng(seed);
    this.kinds = sessionFuzzKinds(opts.protocolVersion);
  }

  frames(n: number): SessionFuzzFrame[] {
    return Array.from({ length: n }, (_, i) =>
      this.make(i < this.kinds.length ? (this.kinds[i] as SessionFuzzKind) : this.pick(this.kinds)),
    );
  }

  private make(kind: SessionFuzzKind): SessionFuzzFrame {
    const [expect, bytes] = this.build(kind);
    return { index: this.index++, kind, expect, bytes };
  }

  private int(n: number): number {
    return Math.floor(this.rng.next() * n);
  }

  private pick<T>(xs: readonly T[]): T {
    return xs[this.int(xs.length)] as T;
  }

  private bytes(n: number): Buffer {
    const b = Buffer.alloc(n);
    for (let i = 0; i < n; i++) b[i] = this.int(256);
    return b;
  }

  /** A valid PUBLISH (ASCII payload), SUBSCRIBE or UNSUBSCRIBE, with properties in MQTT 5. */
  private valid(): Buffer {
    const v5 = this.opts.protocolVersion === 5;
    const id = this.opts.deviceId;
    const messageId = 1 + this.int(65535);
    const packets: (() => Packet)[] = [
      () => ({
        cmd: 'publish',
        topic: this.pick([`sv/${id}/telemetry`, `sv/${id}/status`, `sv/${id}/ack`, 'sv/other-kit/telemetry']),
        payload: Buffer.from(JSON.stringify({ v: 1, boot: 1, seq: this.int(1e6), ts: null, tempC: 55, sensor: 'ok', heater: true })),
        qos: this.pick([0, 1] as const),
        messageId,
        retain: false,
        dup: false,
        ...(v5
          ? {
              properties: {
                payloadFormatIndicator: true,
                messageExpiryInterval: this.int(3600),
                contentType: 'application/json',
                userProperties: { k: 'v' },
                ...(this.rng.next() < 0.5 ? { correlationData: this.bytes(4), responseTopic: `sv/${id}/ack` } : {}),
              },
            }
          : {}),
      }),
      () => ({
        cmd: 'subscribe',
        messageId,
        subscriptions: [{ topic: this.pick(['#', `sv/${id}/cmd`, 'sv/+/cmd']), qos: 1, ...(v5 ? { nl: true, rap: false, rh: 0 } : {}) }],
        ...(v5 ? { properties: { subscriptionIdentifier: 1 + this.int(1000), userProperties: { a: 'b' } } } : {}),
      }),
      () => ({
        cmd: 'unsubscribe',
        messageId,
        unsubscriptions: [`sv/${id}/cmd`],
        ...(v5 ? { properties: { userProperties: { a: 'b' } } } : {}),
      }),
    ];
    return mqttPacket.generate(this.pick(packets)() as Packet, { protocolVersion: this.opts.protocolVersion });
  }

  private publishWithRawProperties(props: Buffer, topic = `sv/${this.opts.deviceId}/telemetry`): Buffer {
    const t = Buffer.from(topic);
    const tl = Buffer.alloc(2);
    tl.writeUInt16BE(t.length);
    const propBytes = this.opts.protocolVersion === 5 ? Buffer.concat([varint(props.length), props]) : Buffer.alloc(0);
    const body = Buffer.concat([tl, t, Buffer.from([0x00, 0x01]), propBytes, Buffer.from('{}')]);
    return Buffer.concat([Buffer.from([0x32]), varint(body.length), body]);
  }

  private build(kind: SessionFuzzKind): [SessionExpect, Buffer] {
    switch (kind) {
      case 'bitflip-body': {
        const b = Buffer.from(this.valid());
        const from = bodyOffset(b);
        const flips = 1 + this.int(6);
        for (let i = 0; i < flips; i++) {
          const at = from + this.int(b.length - from);
          b[at] = (b[at] as number) ^ (1 << this.int(8));
        }
        return ['either', b];
      }
      case 'random-body': {
        const body = this.bytes(this.int(200));
        return ['either', Buffer.concat([Buffer.from([this.pick([0x30, 0x32, 0x82, 0xa2])]), varint(body.length), body])];
      }
      case 'bad-property': {
        // An unknown property id, or one that MQTT 5 allows only in CONNECT/CONNACK (§2.2.2.2).
        const props = this.pick([
          Buffer.from([0x7f, 0x00]),
          Buffer.from([0x11, 0x00, 0x00, 0x00, 0x10]), // Session Expiry Interval
          Buffer.from([0x21, 0x00, 0x10]), // Receive Maximum
          Buffer.from([0x27, 0x00, 0x00, 0x10, 0x00]), // Maximum Packet Size
        ]);
        return ['closed', this.publishWithRawProperties(props)];
      }
      case 'topic-alias': {
        // Alias 0 (invalid), or an alias never set with an empty topic [MQTT-3.3.2-7, -8].
        const alias = this.pick([0, 1 + this.int(65535)]);
        const props = Buffer.from([0x23, alias >> 8, alias & 0xff]);
        return ['closed', this.publishWithRawProperties(props, '')];
      }
      case 'length-short': {
        // The remaining length stops inside the payload: the rest (ASCII JSON) follows as junk.
        const b = this.publishWithRawProperties(Buffer.alloc(0));
        const off = bodyOffset(b);
        const body = b.subarray(off);
        const lie = body.length - 1 - this.int(2);
        return ['either', Buffer.concat([Buffer.from([b[0] as number]), varint(lie), body])];
      }
      case 'length-long': {
        // A body that never completes: only the keepalive ends the connection.
        const b = this.valid();
        const body = b.subarray(bodyOffset(b));
        return ['closed', Buffer.concat([Buffer.from([b[0] as number]), varint(body.length + 1 + this.int(100)), body])];
      }
      case 'huge-length': {
        const declared = this.opts.maxPacketBytes + 1 + this.int(268_435_455 - this.opts.maxPacketBytes - 1);
        return ['too_large', Buffer.concat([Buffer.from([this.pick([0x30, 0x32, 0x82])]), varint(declared), this.bytes(this.int(64))])];
      }
    }
  }
}
