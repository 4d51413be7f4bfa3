import t from 'tap';
import { mayPublish, maySubscribe, parseTopic, topics } from './topics.js';

t.test('builders produce docs/protocol.md topics and refuse bad ids', async (t) => {
  t.equal(topics.telemetry('kit-001'), 'sv/kit-001/telemetry');
  t.equal(topics.cmd('kit-001'), 'sv/kit-001/cmd');
  t.throws(() => topics.cmd('Kit/1'), /invalid device id/);
  t.throws(() => topics.cmd('+'), /invalid device id/);
});

t.test('parser accepts only concrete v1 topics', async (t) => {
  t.same(parseTopic('sv/kit-001/status'), { deviceId: 'kit-001', suffix: 'status' });
  for (const bad of [
    'sv/kit-001',
    'sv/kit-001/telemetry/x',
    'sv/+/telemetry',
    'sv/#',
    'xx/kit-001/telemetry',
    'sv/KIT/telemetry',
    'sv/kit-001/shadow',
    '',
  ]) {
    t.equal(parseTopic(bad), null, `rejects ${JSON.stringify(bad)}`);
  }
});

t.test('ACL: own uplink topics only; subscribe only to own cmd, no wildcards', async (t) => {
  t.ok(mayPublish('kit-001', 'sv/kit-001/telemetry'));
  t.ok(mayPublish('kit-001', 'sv/kit-001/ack'));
  t.notOk(mayPublish('kit-001', 'sv/kit-001/cmd'), 'a device never publishes commands');
  t.notOk(mayPublish('kit-001', 'sv/kit-002/telemetry'), 'another device');
  t.ok(maySubscribe('kit-001', 'sv/kit-001/cmd'));
  for (const filter of ['#', 'sv/#', 'sv/+/cmd', 'sv/kit-002/cmd', 'sv/kit-001/+', 'sv/kit-001/telemetry']) {
    t.notOk(maySubscribe('kit-001', filter), `denies ${filter}`);
  }
});
