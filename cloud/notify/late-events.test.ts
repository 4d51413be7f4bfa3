import t from 'tap';
import { startMariaDb, waitFor } from '../../test/harness/index.js';
import { webhookReceiver } from '../../test/harness/notify-receivers.js';
import { alarm, batch, event, uid } from '../testing/fixtures.js';
import { api, startCloud, tenant, testConfig } from '../testing/servers.js';

/**
 * A gateway back online drains its relay backlog: the cloud does not repeat, hours late, what the
 * gateway told the cook on the LAN (the water ready, an alarm long over, the cook done), nor an
 * alarm that is already cleared; a fresh event of the same batch is delivered once. The end of an
 * alarm the org heard of is told once, and a stopped cook ends the reminders of its kit's alarms.
 * On the embedded SQLite store and on MariaDB, with a real webhook receiver.
 */
const mysql = await startMariaDb(t);
const MIN = 60_000;

for (const backend of ['sqlite', 'mariadb'] as const) {
  t.test(`${backend}: a backlog batch notifies only its fresh events`, async (t) => {
    let clock = Date.now();
    const secret = 'whsec-late-0123456789abcdef';
    const hook = await webhookReceiver(secret);
    await hook.start();
    t.teardown(() => hook.stop());
    const cfg = testConfig(t, undefined, `late-${backend}`, backend === 'mariadb' ? { 'mysql.url': mysql.url } : {});
    const c = await startCloud(t, cfg, {
      now: () => clock,
      notify: { intervalMs: 50, offlineCheckMs: 3_600_000, retry: { baseMs: 100, maxMs: 500, maxAttempts: 50 } },
    });
    const org = await tenant(c);
    t.equal((await api(c.base, 'POST', '/v1/notifications/channels', org.admin, { kind: 'webhook', url: hook.url, secret })).status, 201);
    const kit = uid('kit').toLowerCase();
    const ingest = async (records: Parameters<typeof batch>[0]) => {
      const r = await api(c.base, 'POST', '/v1/ingest', org.gateway.token, batch(records));
      t.equal(r.status, 200, 'the batch is taken');
    };
    const skipped = async (reason: string) => {
      const m = await c.cloud.metrics.registry.getSingleMetric('notify_skipped_total')?.get();
      return m?.values.find((v) => v.labels.reason === reason)?.value ?? 0;
    };
    const settle = async () => {
      await new Promise((r) => setTimeout(r, 300));
      await c.cloud.notifier.idle();
    };

    const now = clock;
    const hot = event(kit, { type: 'over_temp', severity: 'critical', safety: true, ts: now - 90 * MIN, data: { tempC: 92, limitC: 90 } });
    // Fresh, but cleared in the same batch; and fresh, but its alarm record says cleared.
    const blip = event(kit, { type: 'over_temp', severity: 'critical', safety: true, ts: now - 3 * MIN, data: { tempC: 91, limitC: 90 } });
    const stuck = event(kit, { type: 'heater_stuck', severity: 'alarm', safety: true, ts: now - 4 * MIN, data: { held: true } });
    const fresh = event(kit, { type: 'sensor_fault', severity: 'alarm', safety: true, ts: now - 1 * MIN, data: { kind: 'disconnected' } });
    const backlog = [
      event(kit, { type: 'reached', ts: now - 115 * MIN, data: { targetC: 56 } }),
      hot,
      event(kit, { type: 'over_temp_cleared', severity: 'info', safety: true, ts: now - 85 * MIN, data: { tempC: 84, limitC: 90 } }),
      event(kit, { type: 'done', ts: now - 60 * MIN, data: { targetC: 56, durationMin: 60 } }),
      stuck,
      alarm(kit, { id: stuck.id, type: 'heater_stuck', severity: 'alarm', raisedAt: stuck.ts, clearedAt: now - 2 * MIN, how: 'heater_ok' }),
      blip,
      event(kit, { type: 'over_temp_cleared', severity: 'info', safety: true, ts: now - 2 * MIN, data: { tempC: 80, limitC: 90 } }),
      fresh,
    ];
    await ingest(backlog);
    await ingest(backlog); // a replay of the batch
    await waitFor('the fresh event', async () => (hook.received.length >= 1 ? true : undefined));
    await settle();
    t.same(
      hook.received.map((d) => d.body.id),
      [fresh.id],
      'only the fresh probe fault reached the receiver, once',
    );
    t.ok(hook.received[0]?.check.ok, 'signed');
    const list = await api(c.base, 'GET', '/v1/notifications?limit=100', org.viewer);
    t.same(
      list.body.items.map((x: { notification: { id: string } }) => x.notification.id),
      [fresh.id],
      'one delivery row in the store',
    );
    t.equal(await skipped('late'), 3, 'late: the water ready, the old over-temperature and done');
    t.equal(await skipped('cleared'), 2, 'cleared: the blip cleared in the batch, the stuck heater stored as cleared');

    // A fresh alarm, notified; its end, in a later batch, is told once.
    clock += MIN;
    const hot2 = event(kit, { type: 'over_temp', severity: 'critical', safety: true, ts: clock - 1000, data: { tempC: 93, limitC: 90 } });
    await ingest([hot2, alarm(kit, { id: hot2.id, raisedAt: hot2.ts })]);
    await waitFor('the alarm', async () => (hook.received.length >= 2 ? true : undefined));
    clock += MIN;
    const end = event(kit, {
      type: 'over_temp_cleared',
      severity: 'info',
      safety: true,
      ts: clock - 1000,
      data: { tempC: 85, limitC: 90 },
    });
    await ingest([end, alarm(kit, { id: hot2.id, raisedAt: hot2.ts, clearedAt: end.ts, how: 'over_temp_cleared' })]);
    await waitFor('its end', async () => (hook.received.length >= 3 ? true : undefined));
    await settle();
    t.same(
      hook.received.slice(1).map((d) => [d.body.id, d.body.type, d.body.severity, d.body.text]),
      [
        [hot2.id, 'over_temp', 'critical', 'The water is too hot (93.0 °C, limit 90.0 °C): the heater was switched off.'],
        [end.id, 'over_temp_cleared', 'info', 'Resolved: the water is back below its limit (85.0 °C).'],
      ],
      'the alarm, then its end',
    );

    // A critical alarm on another kit reminds until its cook is stopped.
    const kit2 = uid('kit').toLowerCase();
    const dis = event(kit2, { type: 'actuator_disobeys', severity: 'critical', safety: true, ts: clock - 1000, data: {} });
    await ingest([dis, alarm(kit2, { id: dis.id, type: 'actuator_disobeys', raisedAt: dis.ts })]);
    clock += 11 * MIN;
    t.equal(await c.cloud.notifier.checkReminders(), 1, 'an open critical alarm reminds');
    await ingest([event(kit2, { type: 'stopped', ts: clock - 1000, data: { targetC: 56 } })]);
    clock += 11 * MIN;
    t.equal(await c.cloud.notifier.checkReminders(), 0, 'its cook stopped: no more reminders');
    const rows = await api(c.base, 'GET', `/v1/alarms?limit=100`, org.viewer);
    if (rows.status === 200)
      t.match(
        rows.body.items.find((a: { id: string }) => a.id === dis.id),
        { state: 'open' },
        'the alarm stays open in the list',
      );
  });
}
