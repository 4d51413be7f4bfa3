/**
 * Follows MQTT's framing on a connection (a type byte, then the "remaining length" varint) and
 * reports a packet announcing more than `maxBytes`, so the connection is closed as soon as the
 * header arrives, before the broker buffers the body (max packet size).
 * It observes the socket's 'data' events next to Aedes' own 'readable' reads: no extra copy.
 */
export class PacketGuard {
  /** Bytes still to skip of the current packet body. */
  private remaining = 0;
  /** Header bytes seen of the packet being framed (0 = expecting a type byte). */
  private headerBytes = 0;
  private length = 0;
  private multiplier = 1;

  constructor(private readonly maxBytes: number) {}

  /** Returns a reason when the stream breaks the limit (or MQTT framing), otherwise null. */
  check(chunk: Buffer): string | null {
    let i = 0;
    while (i < chunk.length) {
      if (this.remaining > 0) {
        const skip = Math.min(this.remaining, chunk.length - i);
        this.remaining -= skip;
        i += skip;
        continue;
      }
      const byte = chunk[i++] as number;
      if (this.headerBytes === 0) {
        this.headerBytes = 1; // packet type and flags
        this.length = 0;
        this.multiplier = 1;
        continue;
      }
      this.length += (byte & 0x7f) * this.multiplier;
      this.multiplier *= 128;
      this.headerBytes++;
      if (this.headerBytes > 5) return 'malformed MQTT remaining length';
      if ((byte & 0x80) === 0) {
        const total = this.headerBytes + this.length;
        if (total > this.maxBytes) return `MQTT packet of ${total} bytes exceeds the ${this.maxBytes}-byte limit`;
        this.remaining = this.length;
        this.headerBytes = 0;
      }
    }
    return null;
  }
}
