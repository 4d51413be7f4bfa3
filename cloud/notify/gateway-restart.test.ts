import t from 'tap';
import { waitFor } from '../../test/harness/index.js';
import { webhookReceiver } from '../../test/harness/notify-receivers.js';
import { batch, event, uid } from '../testing/fixtures.js';
import { api, startCloud, tenant, testConfig } from '../testing/servers.js';

/**
 * A gateway restarted while an over-temperature stood (ADR 081): its watchdog trips again at the
 * kit's first reading with an event that continues the alarm (`data.continues`). The cloud tells
 * nothing new for it, and the alarm's end once. Embedded SQLite store, a real webhook receiver.
 */
t.test('a relayed event that continues an alarm from before a gateway restart is not told again', async (t) => {
  const clock = Date.now();
  const secret = 'whsec-restart-0123456789abcdef';
  const hook = await webhookReceiver(secret);
  await hook.start();
  t.teardown(() => hook.stop());
  const cfg = testConfig(t, undefined, 'gw-restart', {});
  const c = await startCloud(t, cfg, {
    now: () => clock,
    notify: { intervalMs: 50, offlineCheckMs: 3_600_000, retry: { baseMs: 100, maxMs: 500, maxAttempts: 50 } },
  });
  const org = await tenant(c);
  t.equal((await api(c.base, 'POST', '/v1/notifications/channels', org.admin, { kind: 'webhook', url: hook.url, secret })).status, 201);
  const kit = uid('kit').toLowerCase();
  const ingest = async (records: Parameters<typeof batch>[0]) => {
    const r = await api(c.base, 'POST', '/v1/ingest', org.gateway.token, { ...batch(records), sentAt: clock });
    t.equal(r.status, 200, 'the batch is taken');
  };
  const settle = async () => {
    await new Promise((r) => setTimeout(r, 300));
    await c.cloud.notifier.idle();
  };

  const hot = event(kit, {
    type: 'over_temp',
    severity: 'critical',
    safety: true,
    ts: clock - 3 * 60_000,
    data: { tempC: 97, limitC: 90 },
  });
  await ingest([hot]);
  await waitFor('the alarm', async () => (hook.received.length >= 1 ? true : undefined));
  // The gateway restarted; the water is still too hot: the same alarm, tripped again.
  const again = event(kit, {
    type: 'over_temp',
    severity: 'critical',
    safety: true,
    ts: clock - 2 * 60_000,
    data: { tempC: 96, limitC: 90, continues: hot.id },
  });
  await ingest([again]);
  await settle();
  t.same(
    hook.received.map((d) => d.body.id),
    [hot.id],
    'nothing new for the alarm that goes on',
  );
  const end = event(kit, {
    type: 'over_temp_cleared',
    severity: 'info',
    safety: true,
    ts: clock - 60_000,
    data: { tempC: 40, limitC: 90 },
  });
  await ingest([end]);
  await waitFor('its end', async () => (hook.received.length >= 2 ? true : undefined));
  await settle();
  t.same(
    hook.received.map((d) => [d.body.id, d.body.type, d.body.severity]),
    [
      [hot.id, 'over_temp', 'critical'],
      [end.id, 'over_temp_cleared', 'info'],
    ],
    'the alarm, then its end once, under the id of the event that ended it (the gateway tells it under the same id)',
  );
});
