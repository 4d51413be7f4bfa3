import { readFileSync } from 'node:fs';
import t from 'tap';
import { sloLine, sloVerdicts } from './slos.js';
import type { BusinessSummary, ConnectionSummary } from './summaries.js';

/** The SLO verdicts of a load-test attempt, judged on the summaries a real run wrote. */
const dir = new URL('../../docs/loadtest-runs/scale-10000-nodes2-20261207d/attempt-1/', import.meta.url);
const connection = JSON.parse(readFileSync(new URL('connection-summary.json', dir), 'utf8')) as ConnectionSummary;
const business = JSON.parse(readFileSync(new URL('business-summary.json', dir), 'utf8')) as BusinessSummary;

t.test('a run that held them: four of four, each with its measured figure', async (t) => {
  const v = sloVerdicts(connection, business);
  t.same(
    v.map((x) => [x.name, x.held]),
    [
      ['connection success', true],
      ['business success', true],
      ['PUBACK p95', true],
      ['publish → visible p95', true],
    ],
  );
  t.equal(v[2]?.measured, `${connection.puback_ms.p95?.toFixed(1)} ms`);
  t.equal(sloLine(v), '4 of 4 held');
});

t.test('each SLO fails on its own figure, at its boundary', async (t) => {
  const slow = { ...connection, puback_ms: { ...connection.puback_ms, p95: 200 } };
  t.equal(sloLine(sloVerdicts(slow, business)), '3 of 4 held (not: PUBACK p95)', 'p95 of exactly 200 ms is not < 200');
  const lossy = { ...connection, connection_success_rate: 0.9989 };
  t.equal(sloVerdicts(lossy, business)[0]?.held, false, '99.89 % is under 99.9 %');
  t.equal(sloVerdicts(connection, { ...business, business_pipeline_success_rate: 0.998 })[1]?.held, false);
  t.equal(sloVerdicts(connection, null)[1]?.held, false, 'no business summary: not held');
  const late = {
    ...connection,
    publish_to_visible_ms: { ...(connection.publish_to_visible_ms as NonNullable<ConnectionSummary['publish_to_visible_ms']>), p95: 2000 },
  };
  t.equal(sloVerdicts(late, business)[3]?.held, false, 'publish → visible p95 of 2 s is not < 2 s');
  const noPuback = { ...connection, puback_ms: { ...connection.puback_ms, p95: null } };
  t.match(sloVerdicts(noPuback, business)[2], { held: false, measured: 'not measured' }, 'no PUBACK at all: not held');
});

t.test('a gateway-only run has no publish → visible: not judged, not counted', async (t) => {
  const { publish_to_visible_ms: _v, ...gatewayOnly } = connection;
  const v = sloVerdicts(gatewayOnly, business);
  t.match(v[3], { held: null, measured: 'not measured (no cloud)' });
  t.equal(sloLine(v), '3 of 3 held');
});
