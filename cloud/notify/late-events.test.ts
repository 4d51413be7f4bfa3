import t from 'tap';
import { clockTime } from '../../shared/notify/message.js';
import { startMariaDb, waitFor } from '../../test/harness/index.js';
import { webhookReceiver } from '../../test/harness/notify-receivers.js';
import { alarm, batch, cook, event, uid } from '../testing/fixtures.js';
import { api, startCloud, tenant, testConfig } from '../testing/servers.js';

/**
 * A gateway back online drains its relay backlog: the cloud does not repeat, hours late, what the
 * gateway told the cook on the LAN (the water ready, an alarm long over, the cook done), nor an
 * alarm that is already cleared; a fresh event of the same batch is delivered once. The end of an
 * alarm the org heard of is told once (a kit back online too), and a stopped cook ends the reminders
 * of its cook's alarms, never of a bath too hot or a heater that does not obey. An event's age is
 * measured on the gateway's clock, which may be hours off the cloud's. On the embedded SQLite store
 * and on MariaDB, with a real webhook receiver.
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
    /** A batch the gateway sent at `sentAt` on its clock (by default the cloud's); `attemptAt`: this attempt's X-Sousvide-Sent-At. */
    const ingest = async (records: Parameters<typeof batch>[0], sentAt = clock, attemptAt?: number) => {
      const headers: Record<string, string> = attemptAt === undefined ? {} : { 'x-sousvide-sent-at': String(attemptAt) };
      const r = await api(c.base, 'POST', '/v1/ingest', org.gateway.token, { ...batch(records), sentAt }, headers);
      t.equal(r.status, 200, 'the batch is taken');
    };
    const told = (from: number) => hook.received.slice(from).map((d) => [d.body.type, d.body.severity, d.body.text]);
    const storedIds = async () => {
      const list = await api(c.base, 'GET', '/v1/notifications?limit=100', org.viewer);
      return new Set(list.body.items.map((x: { notification: { id: string } }) => x.notification.id));
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

    // A kit offline during a cook (a warning event, an alarm notice) and back online in a later batch: both told.
    const kit3 = uid('kit').toLowerCase();
    let from = hook.received.length;
    const off = event(kit3, { type: 'offline', severity: 'warning', safety: true, ts: clock - 2000, data: {} });
    await ingest([cook(kit3), off]);
    await waitFor('the kit offline', async () => (hook.received.length >= from + 1 ? true : undefined));
    clock += MIN;
    const on = event(kit3, { type: 'online', severity: 'info', ts: clock - 1000, data: { via: 'status' } });
    await ingest([on]);
    await waitFor('the kit back online', async () => (hook.received.length >= from + 2 ? true : undefined));
    await settle();
    t.same(
      told(from),
      [
        ['offline', 'alarm', 'The kit went offline during a cook: check its power and Wi-Fi. The heater may keep running.'],
        ['online', 'info', 'Resolved: the kit is back online.'],
      ],
      'offline during a cook, then resolved: back online',
    );
    t.ok((await storedIds()).has(on.id), "the resolved notice's row is in the store");

    // Offline and back online in one fresh batch: the cook hears of neither (the gateway told it on the LAN).
    const kit4 = uid('kit').toLowerCase();
    from = hook.received.length;
    const cleared0 = await skipped('cleared');
    const off4 = event(kit4, { type: 'offline', severity: 'warning', safety: true, ts: clock - 3000, data: {} });
    const on4 = event(kit4, { type: 'online', severity: 'info', ts: clock - 2000, data: { via: 'status' } });
    // A fresh probe fault after them, so that the test knows when the batch has been delivered.
    const marker = event(kit4, { type: 'sensor_fault', severity: 'alarm', safety: true, ts: clock - 1000, data: { kind: 'disconnected' } });
    await ingest([cook(kit4), off4, on4, marker]);
    await waitFor('the marker', async () => (hook.received.some((d) => d.body.id === marker.id) ? true : undefined));
    await settle();
    t.same(
      hook.received.slice(from).map((d) => d.body.id),
      [marker.id],
      'an offline already over in its batch is not sent, nor its end',
    );
    const ids = await storedIds();
    t.notOk(ids.has(off4.id) || ids.has(on4.id), 'no notification row for either');
    t.equal(await skipped('cleared'), cleared0 + 1, 'counted as cleared');

    // The gateway's clock three hours behind the cloud's (a Pi without a real-time clock, before NTP): a fresh fault notifies.
    const behind = clock - 180 * MIN;
    const kit5 = uid('kit').toLowerCase();
    from = hook.received.length;
    const slow = event(kit5, { type: 'sensor_fault', severity: 'alarm', safety: true, ts: behind - MIN, data: { kind: 'crc' } });
    await ingest([slow], behind, behind);
    await waitFor('the fault from a gateway whose clock is behind', async () => (hook.received.length >= from + 1 ? true : undefined));
    // Two hours ahead, draining a two-hour-old backlog: on the cloud's clock it looks fresh, on the gateway's it is late.
    const ahead = clock + 120 * MIN;
    const late0 = await skipped('late');
    const stale = event(kit5, { type: 'reached', ts: ahead - 120 * MIN, data: { targetC: 57 } });
    // A batch made 30 minutes ago and sent again now (the body keeps its sentAt; the attempt says when it left).
    const retried = event(kit5, { type: 'reached', ts: clock - 31 * MIN, data: { targetC: 58 } });
    const marker5 = event(kit5, { type: 'sensor_fault', severity: 'alarm', safety: true, ts: ahead - 1000, data: { kind: 'null' } });
    await ingest([stale], ahead, ahead);
    await ingest([retried], clock - 30 * MIN, clock);
    await ingest([marker5], ahead, ahead);
    await waitFor('the marker', async () => (hook.received.some((d) => d.body.id === marker5.id) ? true : undefined));
    await settle();
    t.same(
      hook.received.slice(from).map((d) => d.body.id),
      [slow.id, marker5.id],
      "ages on the gateway's clock: the fresh faults notify, the old backlog and the retried batch's old event do not",
    );
    t.equal(await skipped('late'), late0 + 2, 'both counted as late');

    // The done text's clock time: the cloud does not know the kitchen's zone, so it says which zone it uses.
    const kit6 = uid('kit').toLowerCase();
    from = hook.received.length;
    const doneTs = clock - 1000;
    const safeAt = doneTs + 35 * MIN;
    const forecast = event(kit6, {
      type: 'forecast',
      ts: doneTs - MIN,
      data: { cookId: 'ck-tz', readyAt: doneTs - 60 * MIN, safeAt, safety: { foodKind: 'poultry', never: false, pasteurized: false } },
    });
    const done = event(kit6, { type: 'done', ts: doneTs, data: { targetC: 56, durationMin: 90 } });
    await ingest([forecast, done]);
    await waitFor('done', async () => (hook.received.length >= from + 1 ? true : undefined));
    t.equal(
      hook.received[from]?.body.text,
      `The cook is done: 90 min at 56.0 °C. The poultry is not yet pasteurized (safe at ${clockTime(safeAt, 'UTC')} UTC, guidance, not a guarantee).`,
      'the safe time in UTC, named',
    );

    // Critical alarms on another kit remind; its cook's stop ends the reminders of the cook's own
    // alarm (heater state unknown), never of a heater that does not obey (a relay stuck on heats on).
    const kit2 = uid('kit').toLowerCase();
    const dis = event(kit2, { type: 'actuator_disobeys', severity: 'critical', safety: true, ts: clock - 1000, data: {} });
    const unknown = event(kit2, { type: 'heater_state_unknown', severity: 'critical', safety: true, ts: clock - 900, data: {} });
    await ingest([
      dis,
      alarm(kit2, { id: dis.id, type: 'actuator_disobeys', raisedAt: dis.ts }),
      unknown,
      alarm(kit2, { id: unknown.id, type: 'heater_state_unknown', raisedAt: unknown.ts }),
    ]);
    clock += 11 * MIN;
    t.equal(await c.cloud.notifier.checkReminders(), 2, 'both open critical alarms remind');
    await ingest([event(kit2, { type: 'stopped', ts: clock - 1000, data: { targetC: 56 } })]);
    clock += 11 * MIN;
    t.equal(await c.cloud.notifier.checkReminders(), 1, 'its cook stopped: one alarm reminds');
    await waitFor('the reminder', async () => (hook.received.some((d) => d.body.id === `${dis.id}~r2`) ? true : undefined));
    await settle();
    t.same(
      hook.received.filter((d) => String(d.body.id).includes('~r2')).map((d) => d.body.id),
      [`${dis.id}~r2`],
      'the heater that does not obey reminds again; the heater state unknown, ended with the cook, does not',
    );
    const rows = await api(c.base, 'GET', `/v1/alarms?limit=100`, org.viewer);
    if (rows.status === 200)
      t.match(
        rows.body.items.find((a: { id: string }) => a.id === dis.id),
        { state: 'open' },
        'the alarm stays open in the list',
      );
  });
}
