import t from 'tap';
import { detectBound } from './detect-bound.js';

/** The physics of the miss test (detect-bound.ts): how soon any test can decide, per bath. */

t.test('a small, strong bath shows a miss within 20 s; a large, weak one cannot', async (t) => {
  const fast = detectBound({ volumeL: 5, heaterW: 1200, servoLatencyMs: 500 });
  const slow = detectBound({ volumeL: 15, heaterW: 800, servoLatencyMs: 3000 });
  t.ok(fast.within01PctS <= 20 && fast.errorAt20S < 1e-3, `5 L · 1200 W: ${JSON.stringify(fast)}`);
  t.ok(slow.within1PctS > 20 && slow.errorAt20S > 0.1, `15 L · 800 W · 3 s: ${JSON.stringify(slow)}`);
  t.ok(slow.within01PctS > slow.within1PctS, 'a smaller error needs longer');
});
