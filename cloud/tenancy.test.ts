import t from 'tap';
import { startCloud, startServers, testConfig } from './testing/servers.js';
import { foreignDevices, sameIdInTwoOrgs, twoOrgMatrix } from './testing/tenancy.js';

/** The tenant boundary through HTTP on the production stores (MariaDB, Redis, InfluxDB). */
const servers = await startServers(t);
const c = await startCloud(t, testConfig(t, servers, 'tenancy'));

t.test('two orgs: every route, A on B', (t) => twoOrgMatrix(t, c));
t.test('foreign devices', (t) => foreignDevices(t, c));
t.test('one kit id in two orgs: two kits', (t) => sameIdInTwoOrgs(t, c));
