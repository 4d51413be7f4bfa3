import type { Socket } from 'node:net';

/**
 * What the first packet of a connection says about its MQTT version: `mqtt5` for a complete
 * CONNECT with protocol name "MQTT" and level 5; `other` for everything else Aedes should see
 * as it is (MQTT 3.1 "MQIsdp", 3.1.1, and bytes that Aedes or the packet guard refuse: not a
 * CONNECT, a broken length, a packet over the size limit); `more` until that is known.
 */
export type Sniff = 'more' | 'mqtt5' | 'other';

const CONNECT = 0x10;

export function sniffConnect(buf: Buffer, maxPacketBytes: number): Sniff {
  if (buf.length === 0) return 'more';
  if (buf[0] !== CONNECT) return 'other';
  let length = 0;
  let multiplier = 1;
  let i = 1;
  for (;;) {
    if (i > 4) return 'other'; // more than 4 length bytes: malformed (the packet guard counts it)
    if (i >= buf.length) return 'more';
    const byte = buf[i++] as number;
    length += (byte & 0x7f) * multiplier;
    multiplier *= 128;
    if ((byte & 0x80) === 0) break;
  }
  if (i + length > maxPacketBytes) return 'other'; // the packet guard closes it and counts packet_too_large
  // The whole CONNECT, so that the connect timeout runs here and not again in Aedes.
  if (buf.length < i + length) return 'more';
  if (length < 7) return 'other';
  const nameLength = ((buf[i] as number) << 8) | (buf[i + 1] as number);
  if (nameLength !== 4 || length < 2 + nameLength + 1) return 'other';
  const name = buf.toString('latin1', i + 2, i + 6);
  return name === 'MQTT' && buf[i + 6] === 5 ? 'mqtt5' : 'other';
}

export type Peeked = 'mqtt5' | 'other' | 'timeout' | 'closed';

/**
 * Reads a new connection until its first packet is sniffed, then puts the bytes back at the front
 * of the socket (`unshift`) and calls `done`: the socket is paused, and whoever reads it next sees
 * the connection from its first byte. The socket's other 'data' listeners (the packet guard) are
 * detached meanwhile and attached again after the unshift, so they see every byte exactly once.
 * `timeout`: no complete first packet within `timeoutMs`; `closed`: the peer went away first.
 */
export function peekConnect(socket: Socket, maxPacketBytes: number, timeoutMs: number, done: (what: Peeked) => void): void {
  const observers = socket.rawListeners('data') as ((chunk: Buffer) => void)[];
  for (const l of observers) socket.removeListener('data', l);
  let head: Buffer = Buffer.alloc(0);
  const finish = (what: Peeked) => {
    clearTimeout(timer);
    socket.removeListener('data', onData);
    socket.removeListener('close', onClose);
    socket.pause();
    if (head.length > 0 && what !== 'closed' && !socket.readableEnded) socket.unshift(head);
    for (const l of observers) socket.on('data', l);
    done(what);
  };
  const onData = (chunk: Buffer) => {
    head = head.length === 0 ? chunk : Buffer.concat([head, chunk]);
    const s = sniffConnect(head, maxPacketBytes);
    if (s !== 'more') finish(s);
  };
  const onClose = () => finish('closed');
  const timer = setTimeout(() => finish('timeout'), timeoutMs);
  socket.on('data', onData);
  socket.once('close', onClose);
}
