import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { createLogger } from '../../shared/log.js';
import { type Demo, startDemo } from './demo.js';
import { STATE_FILE } from './state.js';

/** `sousvide demo` keeps its data: a second start finds the cloud's devices, the gateway's cook and its kits again. */
const log = createLogger({ name: 'demo-test', level: 'error', pretty: false });
const start = (dataDir: string) => startDemo({ dataDir, cloudPort: 0, gatewayPort: 0, mqttPort: 0, host: '127.0.0.1', log });

async function until<T>(what: string, fn: () => Promise<T | undefined>): Promise<T> {
  for (let i = 0; i < 600; i++) {
    const v = await fn().catch(() => undefined);
    if (v !== undefined) return v;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`gave up waiting: ${what}`);
}

const get = async (d: Demo, base: 'cloud' | 'gateway', path: string, key = base === 'cloud' ? d.adminKey : d.operatorToken) =>
  fetch(`${base === 'cloud' ? d.cloudUrl : d.gatewayUrl}${path}`, { headers: { authorization: `Bearer ${key}` } });

t.test('the demo starts, relays to its cloud, and survives a restart', async (t) => {
  const parent = mkdtempSync(join(tmpdir(), 'sv-demo-'));
  t.teardown(() => rmSync(parent, { recursive: true, force: true }));
  const dataDir = join(parent, 'demo'); // made by the demo itself

  const first = await start(dataDir);
  let running: Demo | undefined = first;
  t.teardown(() => running?.stop());
  type Devices = { items: { id: string; state: { boot: number } | null }[] };
  const devices = await until('every kit in the cloud', async () => {
    const r = (await (await get(first, 'cloud', '/v1/devices')).json()) as Devices;
    return r.items.filter((d) => d.state !== null).length === first.kits.size ? r : undefined;
  });
  t.same(devices.items.map((d) => d.id).sort(), [...first.kits.keys()].sort(), 'the cloud has every demo kit, relayed by the gateway');
  const put = await fetch(`${first.gatewayUrl}/v1/devices/kit-eggs/cook`, {
    method: 'PUT',
    headers: { authorization: `Bearer ${first.operatorToken}`, 'content-type': 'application/json' },
    body: JSON.stringify({ targetC: 57, durationMin: 60 }),
  });
  t.equal(put.status, 200, 'a cook starts on the gateway');
  t.equal((await get(first, 'cloud', '/dashboard/')).status, 200, 'the cloud serves the dashboard');
  t.equal((await get(first, 'gateway', '/dashboard/')).status, 200, 'the gateway serves the dashboard');
  t.equal((await get(first, 'gateway', '/dashboard/..%2Fpackage.json')).status, 404, 'and nothing outside its folder');
  await first.stop();
  running = undefined;
  t.equal(statSync(join(dataDir, STATE_FILE)).mode & 0o777, 0o600, 'the state file (tokens, secrets) is private');
  t.equal(statSync(dataDir).mode & 0o777, 0o700, "and so is the demo's data dir");

  const second = await start(dataDir);
  running = second;
  t.not(second.adminKey, first.adminKey, 'a new admin key each start');
  t.equal((await get(second, 'cloud', '/v1/devices', first.adminKey)).status, 401, 'the previous one is revoked');
  const kept = (await (await get(second, 'cloud', '/v1/devices')).json()) as Devices;
  t.equal(kept.items.length, first.kits.size, 'the cloud still knows every kit');
  const cook = (await (await get(second, 'gateway', '/v1/devices/kit-eggs')).json()) as { cook: { spec: { targetC: number } } | null };
  t.equal(cook.cook?.spec.targetC, 57, 'the gateway resumed the cook');
  await until('a rebooted kit relayed again', async () => {
    const r = (await (await get(second, 'cloud', '/v1/devices/kit-steak')).json()) as { state: { boot: number } | null };
    return r.state && r.state.boot >= 2 ? true : undefined;
  });
  t.pass('the kits reconnect as rebooted kits (boot + 1) and their readings reach the cloud');
});
