import { PassThrough } from 'node:stream';
import mqtt from 'mqtt-packet';
import t from 'tap';
import { installFastPuback, pubackBytes } from './puback-write.js';

/** Everything written to a stream by one writeToStream call, and how many writes it took. */
function written(packet: object, opts?: object): Promise<{ bytes: Buffer; writes: number; error?: string }> {
  const s = new PassThrough();
  let error: string | undefined;
  s.on('error', (err) => {
    error = err.message;
  });
  const chunks: Buffer[] = [];
  let writes = 0;
  const write = s.write.bind(s);
  s.write = ((chunk: Buffer, ...rest: never[]) => {
    writes++;
    return write(chunk, ...rest);
  }) as typeof s.write;
  s.on('data', (c: Buffer) => chunks.push(c));
  (mqtt.writeToStream as (p: object, s: PassThrough, o?: object) => boolean)(packet, s, opts);
  return new Promise((resolve) => setImmediate(() => resolve({ bytes: Buffer.concat(chunks), writes, ...(error ? { error } : {}) })));
}

t.test('a PUBACK is the bytes mqtt-packet generates, for every message id', async (t) => {
  for (const id of [0, 1, 255, 256, 0x1234, 0xfffe, 0xffff]) {
    t.same(pubackBytes(id), mqtt.generate({ cmd: 'puback', messageId: id }), `message id ${id}`);
  }
});

t.test('once installed, a 3.1.1 PUBACK leaves in one write; other packets and MQTT 5 as before', async (t) => {
  const before = {
    puback: await written({ cmd: 'puback', messageId: 4242 }),
    suback: await written({ cmd: 'suback', messageId: 7, granted: [1] }),
    v5: await written({ cmd: 'puback', messageId: 9, reasonCode: 0x87 }, { protocolVersion: 5 }),
  };
  t.ok(before.puback.writes > 1, `mqtt-packet writes a PUBACK in ${before.puback.writes} pieces`);
  installFastPuback();
  installFastPuback(); // twice is harmless
  const after = {
    puback: await written({ cmd: 'puback', messageId: 4242 }),
    suback: await written({ cmd: 'suback', messageId: 7, granted: [1] }),
    v5: await written({ cmd: 'puback', messageId: 9, reasonCode: 0x87 }, { protocolVersion: 5 }),
  };
  t.same(after.puback.bytes, before.puback.bytes, 'the same PUBACK bytes on the wire');
  t.equal(after.puback.writes, 1, 'in one write');
  t.same(after.suback, before.suback, 'a SUBACK is unchanged');
  t.same(after.v5, before.v5, 'an MQTT 5 PUBACK (with options) is unchanged');
  const bad = await written({ cmd: 'puback', messageId: 'x' });
  t.equal(bad.bytes.length, 0, 'a PUBACK without a numeric id writes nothing');
  t.equal(bad.error, 'Invalid messageId', 'and mqtt-packet still refuses it (the stream is destroyed)');
});
