import t from 'tap';
import { FOOD_CODE, isLowTempLong, lowTempOverrideMissing, lowTempRuleText } from './cook-rules.js';

t.test('the food-safety rule: below 54.4 °C for more than 4 h (or no timer) needs an override', async (t) => {
  const cases: { targetC: number; durationMin?: number; lowTempOverride?: boolean; long: boolean; missing: boolean }[] = [
    { targetC: 60, long: false, missing: false },
    { targetC: 54.4, long: false, missing: false },
    { targetC: 54.3, durationMin: 240, long: false, missing: false },
    { targetC: 54.3, durationMin: 241, long: true, missing: true },
    { targetC: 50, long: true, missing: true },
    { targetC: 50, lowTempOverride: true, long: true, missing: false },
    { targetC: 50, durationMin: 300, lowTempOverride: false, long: true, missing: true },
  ];
  for (const c of cases) {
    const { long, missing, ...spec } = c;
    t.equal(isLowTempLong(spec), long, `${JSON.stringify(spec)} long: ${long}`);
    t.equal(lowTempOverrideMissing(spec), missing, `${JSON.stringify(spec)} override missing: ${missing}`);
  }
  t.equal(lowTempRuleText(), 'below 54.4 °C longer than 4 h');
  t.equal(isLowTempLong({ targetC: 55, durationMin: 90 }, { dangerHighC: 56, dangerAlarmMs: 3600_000 }), true, 'limits from config');
  t.same(FOOD_CODE, { dangerHighC: 54.4, dangerAlarmMs: 14_400_000 });
});
