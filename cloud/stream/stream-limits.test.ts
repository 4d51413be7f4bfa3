import t from 'tap';
import { openSse, type SseClient } from '../../shared/stream/sse-client.js';
import { api, startCloud, tenant, testConfig } from '../testing/servers.js';

/**
 * One org's viewers cannot take the whole server's streams: past `stream.maxClientsPerOrg` that
 * org's next stream is a 429 naming the limit, while another org's still opens; a stream that
 * closes gives its org the place back. On the embedded store, through HTTP.
 */
t.test("an org at its stream limit does not keep another org's dashboards from streaming", async (t) => {
  const c = await startCloud(t, testConfig(t, undefined, 'stream-limits', { 'stream.maxClients': 20, 'stream.maxClientsPerOrg': 3 }));
  const A = await tenant(c);
  const B = await tenant(c);
  const open: SseClient[] = [];
  t.teardown(() => {
    for (const s of open) s.close();
  });
  const stream = async (key: string) => {
    const s = openSse(`${c.base}/v1/stream`, { authorization: `Bearer ${key}` });
    open.push(s);
    t.equal(await s.status, 200);
    await s.next((m) => m.event === 'ready');
    return s;
  };
  for (let i = 0; i < 3; i++) await stream(A.viewer);
  const refused = await api(c.base, 'GET', '/v1/stream', A.viewer);
  t.equal(refused.status, 429, "A's fourth stream is refused");
  t.same(refused.body.error.details, ["streams: at the org's limit (stream.maxClientsPerOrg)"]);
  await stream(B.viewer);
  t.pass("B's stream opens while A is at its limit");
  const first = open[0] as SseClient;
  first.close();
  const back = await (async () => {
    for (let i = 0; i < 50; i++) {
      const r = await api(c.base, 'GET', '/v1/stream', A.admin);
      if (r.status === 200) return r.status;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    return 429;
  })();
  t.equal(back, 200, 'a stream of A closed: A may open one again');
});
