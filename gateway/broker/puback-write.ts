import mqtt from 'mqtt-packet';

type WriteToStream = (packet: { cmd: string; messageId?: number }, stream: NodeJS.WritableStream, opts?: unknown) => boolean;

const PUBACK = 0x40;
const installed = Symbol('sv.fastPuback');

/**
 * Writes an MQTT 3.1.1 PUBACK as one 4-byte buffer in one `write`. Aedes writes every packet
 * through mqtt-packet's `writeToStream`, which for a PUBACK corks the socket, makes three
 * writes (type, length, message id), runs its debug hooks and uncorks on the next tick: per
 * message, three queued chunks, a `writev` and a tick on the broker's thread for 4 bytes
 * (ADR 038). The bytes on the wire are the same; every other packet, and any call with options
 * (MQTT.js, MQTT 5), still goes through `writeToStream`. Aedes reads `writeToStream` from the
 * module object at each write, so replacing it there is enough; installing twice is a no-op.
 */
export function installFastPuback(): void {
  const m = mqtt as unknown as { writeToStream: WriteToStream & { [installed]?: true } };
  if (m.writeToStream[installed]) return;
  const general = m.writeToStream;
  const fast: WriteToStream & { [installed]?: true } = (packet, stream, opts) => {
    const id = packet.messageId;
    if (packet.cmd !== 'puback' || opts !== undefined || typeof id !== 'number' || !(id >= 0 && id <= 0xffff)) {
      return general(packet, stream, opts);
    }
    return stream.write(pubackBytes(id));
  };
  fast[installed] = true;
  m.writeToStream = fast;
}

/** The 3.1.1 PUBACK: type 4 (flags 0), remaining length 2, message id big-endian. */
export function pubackBytes(messageId: number): Buffer {
  const b = Buffer.allocUnsafe(4);
  b[0] = PUBACK;
  b[1] = 2;
  b[2] = messageId >>> 8;
  b[3] = messageId & 0xff;
  return b;
}
