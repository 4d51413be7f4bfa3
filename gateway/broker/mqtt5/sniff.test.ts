import mqttPacket from 'mqtt-packet';
import t from 'tap';
import { sniffConnect } from './sniff.js';

const connect = (protocolVersion: 3 | 4 | 5) =>
  mqttPacket.generate(
    {
      cmd: 'connect',
      protocolId: protocolVersion === 3 ? 'MQIsdp' : 'MQTT',
      protocolVersion,
      clientId: 'kit-a1',
      clean: true,
      keepalive: 30,
    },
    { protocolVersion },
  );

t.test('sniffConnect: the first packet decides, once it is complete', async (t) => {
  const v5 = connect(5);
  t.equal(sniffConnect(v5, 4096), 'mqtt5', 'an MQTT 5 CONNECT');
  t.equal(sniffConnect(connect(4), 4096), 'other', 'MQTT 3.1.1 goes to Aedes as it is');
  t.equal(sniffConnect(connect(3), 4096), 'other', 'MQTT 3.1 (MQIsdp) too');
  for (let n = 0; n < v5.length; n++) t.equal(sniffConnect(v5.subarray(0, n), 4096), 'more', `${n} of ${v5.length} bytes: wait`);
  t.equal(sniffConnect(Buffer.concat([v5, Buffer.from([0xc0, 0x00])]), 4096), 'mqtt5', 'bytes behind the CONNECT do not matter');
  t.equal(sniffConnect(Buffer.from([0x30, 0x00]), 4096), 'other', 'not a CONNECT: Aedes refuses it');
  t.equal(sniffConnect(Buffer.from([0x10, 0xff, 0xff, 0xff, 0xff, 0x01]), 4096), 'other', 'a broken length: the packet guard refuses it');
  t.equal(sniffConnect(v5, v5.length - 1), 'other', 'over the size limit: the packet guard refuses it');
  t.equal(sniffConnect(Buffer.from([0x10, 0x10]), 18), 'more', 'a CONNECT announcing 16 bytes (18 with its header, the limit), none yet');
  const level = Buffer.from(v5);
  level[8] = 0x85; // bridge bit + 5: Aedes answers "unacceptable protocol version", as before
  t.equal(sniffConnect(level, 4096), 'other');
  const name = Buffer.from(v5);
  name[4] = 0x58; // "MXTT"
  t.equal(sniffConnect(name, 4096), 'other', 'another protocol name: Aedes refuses it');
});
