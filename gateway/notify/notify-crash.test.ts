import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Sqlite from 'better-sqlite3';
import t from 'tap';
import { loadConfig } from '../../shared/config/load.js';
import { freePort, sousvide, waitFor } from '../../test/harness/index.js';
import { ntfyReceiver, webhookReceiver } from '../../test/harness/notify-receivers.js';
import { gatewayConfig } from '../config.js';
import { provisionSecret } from '../devices/provision.js';
import { STORE_FILE } from '../store/open.js';
import { connectKit, telemetry } from '../testing/fixture.js';

const SECRET = 'whsec-crash-0123456789';

function gatewayProcess(dataDir: string, mqttPort: number, httpPort: number, hookUrl: string) {
  const child = spawn(
    ...sousvide([
      'gateway',
      ...['--data-dir', dataDir, '--mqtt-port', String(mqttPort), '--mqtt-host', '127.0.0.1', '--http-port', String(httpPort)],
      ...['--log-level', 'warn', '--cloud-url', 'http://127.0.0.1:9', '--cloud-token', 'svg_unreachable-cloud-token-0000'],
      ...['--notify-webhook-url', hookUrl, '--notify-webhook-secret', SECRET],
    ]),
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr?.on('data', (c: Buffer) => {
    stderr += c.toString();
  });
  const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_c, signal) => resolve(signal)));
  return { child: child as ChildProcess, exited, stderr: () => stderr };
}

/**
 * A probe fault notifies a webhook that is down; the gateway (cloud unreachable) is killed with
 * SIGKILL while the delivery waits for its retry; the receiver comes back, the gateway restarts,
 * and the receiver gets the notification, signed, with the same id.
 */
t.test('a notification for a receiver that is down survives a kill -9 and arrives once it is back', async (t) => {
  const hook = await webhookReceiver(SECRET);
  await hook.start();
  await hook.stop(); // its port, with nobody listening
  t.teardown(() => hook.stop());
  const dataDir = mkdtempSync(join(tmpdir(), 'sv-notify-crash-'));
  const [mqttPort, httpPort] = [await freePort(), await freePort()];
  const config = loadConfig(gatewayConfig, { overrides: { dataDir, 'mqtt.port': mqttPort } });
  let gw = gatewayProcess(dataDir, mqttPort, httpPort, hook.url);
  t.teardown(() => gw.child.kill('SIGKILL'));
  await waitFor('gateway', async () => ((await fetch(`http://127.0.0.1:${httpPort}/healthz`)).ok ? true : undefined));
  const { secret } = await provisionSecret(config, 'kit-k9');
  const kit = await connectKit(mqttPort, readFileSync(join(dataDir, 'tls', 'ca.crt')), {
    clientId: 'kit-k9',
    username: 'kit-k9',
    password: secret,
  });
  for (let seq = 0; seq < 6; seq++) {
    const sensor = seq < 2 ? 'ok' : 'disconnected';
    await kit.publishAsync('sv/kit-k9/telemetry', telemetry({ seq, sensor, tempC: sensor === 'ok' ? 21 : null, heater: false }), {
      qos: 1,
    });
    await new Promise((r) => setTimeout(r, 200));
  }
  kit.end(true);
  const db = new Sqlite(join(dataDir, STORE_FILE), { readonly: true });
  t.teardown(() => db.close());
  const row = () =>
    db
      .prepare(
        `SELECT n.id, d.state, d.attempts, d.last_error AS error FROM notify_deliveries d JOIN notifications n ON n.id = d.notification_id
         WHERE n.type = 'sensor_fault' AND d.channel = 'webhook'`,
      )
      .get() as { id: string; state: string; attempts: number; error: string | null } | undefined;
  const failed = await waitFor('a failed attempt', async () => {
    const r = row();
    return r && r.attempts >= 1 ? r : undefined;
  });
  t.equal(failed.state, 'pending', `the delivery waits for its retry (${failed.error})`);
  t.match(failed.error, /ECONNREFUSED|fetch failed/, 'with the reason');

  gw.child.kill('SIGKILL');
  t.equal(await gw.exited, 'SIGKILL', 'the gateway was killed with SIGKILL');
  await hook.start();
  t.equal(hook.received.length, 0, 'nothing arrived before the restart');
  gw = gatewayProcess(dataDir, mqttPort, httpPort, hook.url);
  await waitFor('the notification after the restart', async () => (hook.received.length > 0 ? true : undefined), 60_000);
  const got = hook.received[0];
  t.ok(got?.check.ok, 'its signature verifies');
  t.match(got?.body, { id: failed.id, type: 'sensor_fault', severity: 'alarm', deviceId: 'kit-k9' }, 'the same notification, same id');
  await waitFor('the row marked sent', async () => (row()?.state === 'sent' ? true : undefined));
  t.equal(row()?.error, null, 'no error left on the row');
  t.equal(new Set(hook.received.map((d) => d.body.id)).size, 1, 'one notification (receivers dedupe a resend on its id)');
});

t.test('sousvide notify test reports each channel and fails when one does', async (t) => {
  const ntfy = await ntfyReceiver();
  await ntfy.start();
  t.teardown(() => ntfy.stop());
  const hookPort = await freePort(); // nobody listens
  const run = (args: string[]) =>
    new Promise<{ status: number | null; stdout: string; stderr: string }>((resolve) => {
      const c = spawn(...sousvide(['notify', 'test', ...args]));
      let stdout = '';
      let stderr = '';
      c.stdout.on('data', (d: Buffer) => {
        stdout += d.toString();
      });
      c.stderr.on('data', (d: Buffer) => {
        stderr += d.toString();
      });
      c.on('exit', (status) => resolve({ status, stdout, stderr }));
    });
  const ok = await run(['--notify-ntfy-url', ntfy.url]);
  t.equal(ok.status, 0, 'exit 0 when every channel delivered');
  t.match(ok.stdout, /^ntfy: delivered$/m);
  t.equal(ntfy.received.length, 1, 'the ntfy endpoint got the test message');
  t.match(ntfy.received[0]?.text, /test notification/);

  const bad = await run([
    '--notify-ntfy-url',
    ntfy.url,
    '--notify-webhook-url',
    `http://127.0.0.1:${hookPort}/hook`,
    '--notify-webhook-secret',
    SECRET,
  ]);
  t.equal(bad.status, 1, 'exit 1 when one channel failed');
  t.match(bad.stdout, /^webhook: FAILED: .+/m, 'naming the channel and the reason');
  t.match(bad.stdout, /^ntfy: delivered$/m, 'the other still delivered');
  t.notMatch(bad.stdout + bad.stderr, SECRET, 'the secret is not printed');

  const none = await run([]);
  t.equal(none.status, 2, 'no channel: a usage error');
  t.match(none.stderr, /notify\.webhookUrl/, 'saying what to set');
  const noSecret = spawnSync(...sousvide(['notify', 'test', '--notify-webhook-url', 'http://127.0.0.1:1/']), {
    encoding: 'utf8',
  });
  t.not(noSecret.status, 0);
  t.match(noSecret.stderr, /notify\.webhookSecret: required/, 'a webhook without its secret is refused, naming the key');
});
