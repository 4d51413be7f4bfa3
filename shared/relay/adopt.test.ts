import t from 'tap';
import { adoptCook, type DesiredEntry } from './adopt.js';

const spec = { targetC: 60, durationMin: 90 };
const rec = (cookId: string, version: number, state: 'heating' | 'holding' | 'done' | 'stopped', updatedTs: number, s = spec) => ({
  id: `${cookId}-v${version}-${state}`,
  version,
  state,
  spec: s,
  updatedTs,
});
const desired = (cookId: string, updatedTs: number, s: object | null = spec): DesiredEntry => ({
  cookId,
  spec: s === null ? null : JSON.stringify(s),
  updatedTs,
});

t.test('the cloud adopts kitchen cooks by stamp, never by arrival order', async (t) => {
  const cases: { name: string; cur: DesiredEntry | undefined; records: ReturnType<typeof rec>[]; want: DesiredEntry | undefined }[] = [
    {
      name: 'no desired entry: the kitchen cook is adopted',
      cur: undefined,
      records: [rec('k1', 1, 'heating', 100)],
      want: desired('k1', 100),
    },
    { name: 'a later kitchen cook wins', cur: desired('c1', 100), records: [rec('k1', 1, 'heating', 200)], want: desired('k1', 200) },
    { name: 'a tie goes to the cloud', cur: desired('c1', 100), records: [rec('k1', 1, 'heating', 100)], want: undefined },
    { name: 'an older kitchen cook changes nothing', cur: desired('c1', 300), records: [rec('k1', 1, 'heating', 200)], want: undefined },
    { name: 'a replay changes nothing', cur: desired('k1', 100), records: [rec('k1', 1, 'heating', 100)], want: undefined },
    {
      name: 'the desired cook ending at the kitchen (same stamp) ends the desired entry',
      cur: desired('k1', 100),
      records: [rec('k1', 1, 'done', 100)],
      want: desired('k1', 100, null),
    },
    {
      name: 'start then stop in one batch, in any order: the stop wins',
      cur: undefined,
      records: [rec('k1', 2, 'stopped', 200), rec('k1', 1, 'heating', 100)],
      want: desired('k1', 200, null),
    },
    {
      name: 'heating and holding of the same stamp: holding is later, spec unchanged (no change)',
      cur: desired('k1', 100),
      records: [rec('k1', 1, 'holding', 100), rec('k1', 1, 'heating', 100)],
      want: undefined,
    },
    { name: 'an ended entry is not ended again', cur: desired('k1', 100, null), records: [rec('k1', 1, 'stopped', 100)], want: undefined },
  ];
  for (const c of cases) t.same(adoptCook(c.cur, c.records), c.want, c.name);
});
