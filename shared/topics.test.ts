import t from 'tap';
import { mayPublish, maySubscribe, ownUplinkSuffix, parseTopic, topics } from './topics.js';

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

t.test('the publish ACL without a split agrees with parsing the topic, on every near miss', async (t) => {
  const ids = ['kit-001', 'kit-00', 'kit-0011', 'k', 'KIT', 'kit/1', '', 'sv'];
  const tails = ['telemetry', 'status', 'ack', 'cmd', 'telemetr', 'telemetryx', 'ack/', '', 'status/x', 'Telemetry'];
  const topicsTried = new Set<string>();
  for (const id of ids)
    for (const tail of tails)
      for (const root of ['sv', 'sv/', 'svx', 'sv/sv', 's', ''])
        for (const sep of ['/', '//', '']) topicsTried.add(`${root}${sep}${id}/${tail}`);
  let checked = 0;
  for (const id of ids)
    for (const topic of topicsTried) {
      const p = parseTopic(topic);
      const expected = p !== null && p.deviceId === id && p.suffix !== 'cmd' ? p.suffix : null;
      if (ownUplinkSuffix(id, topic) !== expected) t.fail(`${JSON.stringify(id)} on ${JSON.stringify(topic)}: expected ${expected}`);
      checked++;
    }
  t.ok(checked > 10_000, `${checked} (id, topic) pairs agree`);
  t.equal(ownUplinkSuffix('kit-001', 'sv/kit-001/status'), 'status');
  t.equal(ownUplinkSuffix('kit-001', 'sv/kit-0011/status'), null, 'an id that only starts with the kit id');
});
