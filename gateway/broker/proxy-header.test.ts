import * as pp from 'proxy-protocol-js';
import t from 'tap';
import { isLoopbackHost, MAX_PROXY_HEADER_BYTES, readProxyHeader } from './proxy-header.js';

const v4Header = () =>
  Buffer.from(
    new pp.V2ProxyProtocol(
      pp.Command.PROXY,
      pp.TransportProtocol.STREAM,
      new pp.IPv4ProxyAddress(pp.IPv4Address.createFrom([203, 0, 113, 7]), 40000, pp.IPv4Address.createFrom([127, 0, 0, 1]), 8883),
    ).build(),
  );

t.test('an IPv4 header gives the kit address and where the MQTT bytes begin', async (t) => {
  const h = v4Header();
  const connect = Buffer.from([0x10, 0x12, 0x00, 0x04]);
  t.same(readProxyHeader(Buffer.concat([h, connect])), { kind: 'ok', length: 28, source: '203.0.113.7' });
  t.equal(h.length, 28, 'the header alone is 16 bytes and 12 of addresses');
  for (const cut of [1, 11, 12, 15, 16, 27]) t.same(readProxyHeader(h.subarray(0, cut)), { kind: 'more' }, `${cut} bytes: wait for more`);
});

t.test('IPv6 as Node prints it; LOCAL (a health check) has no address', async (t) => {
  const six = (bytes: number[]) => pp.IPv6Address.createFrom(bytes as pp.IPv6AddressTuple);
  const src = [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x2a];
  const h = Buffer.from(
    new pp.V2ProxyProtocol(
      pp.Command.PROXY,
      pp.TransportProtocol.STREAM,
      new pp.IPv6ProxyAddress(six(src), 1, six(new Array(16).fill(0)), 2),
    ).build(),
  );
  t.same(readProxyHeader(h), { kind: 'ok', length: 52, source: '2001:db8::2a' });
  const local = Buffer.from(new pp.V2ProxyProtocol(pp.Command.LOCAL, pp.TransportProtocol.UNSPEC, new pp.UnspecProxyAddress()).build());
  t.same(readProxyHeader(local), { kind: 'ok', length: 16, source: null });
});

t.test('anything else is refused with its reason', async (t) => {
  const mqttConnect = readProxyHeader(Buffer.from([0x10, 0x12, 0x00, 0x04, 0x4d, 0x51]));
  t.same(mqttConnect, { kind: 'bad', reason: 'no PROXY protocol v2 signature' }, 'a kit speaking MQTT straight to this port');
  t.equal(readProxyHeader(Buffer.from('PROXY TCP4 192.0.2.1 127.0.0.1 4000 8883\r\n')).kind, 'bad', 'version 1 (text) is not accepted');
  const version = v4Header();
  version[12] = 0x11;
  t.match(readProxyHeader(version), { kind: 'bad', reason: /version/ });
  const family = v4Header();
  family[13] = 0x71;
  t.match(readProxyHeader(family), { kind: 'bad', reason: /address family/ });
  const long = v4Header();
  long.writeUInt16BE(5000, 14);
  t.same(readProxyHeader(long), { kind: 'bad', reason: `header of 5016 bytes (at most ${MAX_PROXY_HEADER_BYTES})` });
  const short = v4Header();
  short.writeUInt16BE(4, 14); // shorter than IPv4's 12 bytes of addresses
  t.match(readProxyHeader(short.subarray(0, 20)), { kind: 'bad', reason: /shorter/ });
});

t.test('loopback hosts (the terminator listener warns on any other)', async (t) => {
  for (const h of ['127.0.0.1', '127.1.2.3', '::1', 'localhost']) t.ok(isLoopbackHost(h), h);
  for (const h of ['0.0.0.0', '::', '', '192.168.1.10', '10.0.0.1', '127.0.0.1.example.com', '::ffff:10.0.0.1'])
    t.notOk(isLoopbackHost(h), h);
});
