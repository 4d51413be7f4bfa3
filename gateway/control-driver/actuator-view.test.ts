import t from 'tap';
import { actuatorView } from './control-loop.js';

t.test('the servo record: confirmed over judged presses, never over 100 %', async (t) => {
  // Two confirmations (an engine press and a watchdog safe) for one engine press: the case the kit
  // page once showed as "2 of 1 (200 %)".
  const v = actuatorView({ presses: 1, confirmed: 2, misses: 0, consecutiveMisses: 0, drifts: 0, lastDetectMs: null });
  t.equal(v.judged, 2);
  t.equal(v.successRate, 1);
  const w = actuatorView({ presses: 5, confirmed: 3, misses: 1, consecutiveMisses: 1, drifts: 0, lastDetectMs: 1 });
  t.equal(w.successRate, 0.75, '3 confirmed, 1 missed');
  t.equal(
    actuatorView({ presses: 2, confirmed: 0, misses: 0, consecutiveMisses: 0, drifts: 0, lastDetectMs: null }).successRate,
    null,
    'nothing judged yet',
  );
});
