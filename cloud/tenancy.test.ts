import t from 'tap';
import { startCloud, startServers, testConfig } from './test-support/servers.js';
import { foreignDevices, twoOrgMatrix } from './test-support/tenancy.js';

/** The tenant boundary through HTTP on the production stores (MariaDB, Redis, InfluxDB). */
const servers = await startServers(t);
const c = await startCloud(t, testConfig(t, servers, 'tenancy'));

t.test('two orgs: every route, A on B', (t) => twoOrgMatrix(t, c));
t.test('foreign devices', (t) => foreignDevices(t, c));
