import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { sousvide } from '../test/harness/index.js';

/** A listener on an address this machine does not have is named by its host key, not its port key. */
t.test('mqtt.host on an address this machine does not have: the line names mqtt.host', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'sv-listen-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const r = spawnSync(
    ...sousvide(['gateway', '--data-dir', join(dir, 'gw'), '--mqtt-host', '192.0.2.77', '--mqtt-port', '0', '--http-port', '0']),
    { encoding: 'utf8', env: { ...process.env }, timeout: 60_000 },
  );
  t.equal(r.status, 2);
  t.match(r.stderr, /^sousvide gateway: mqtt\.host: 192\.0\.2\.77 is on an address this machine does not have \(EADDRNOTAVAIL\)\n$/m);
  t.notMatch(r.stderr, /mqtt\.port/);
});
