import t from 'tap';
import { CookSpec } from './cook.js';

/** A cook's food name is shown again on dashboards and in reports: plain text only. */
t.test('a food name with control characters or text-direction marks is refused, naming the field', async (t) => {
  for (const food of ['egg\u0000', 'line\nbreak', '\u202Eevil', 'a\u2066b', '\u001b[31mred']) {
    const r = CookSpec.safeParse({ targetC: 60, food });
    t.notOk(r.success, JSON.stringify(food));
    t.match(r.error?.issues[0], { path: ['food'], message: /plain text/ });
  }
  for (const food of ['Hähnchenbrust', '鶏むね肉', 'steak 🥩', 'chef 👨‍🍳', 'œufs, 63 °C'])
    t.ok(CookSpec.safeParse({ targetC: 60, food }).success, food);
});
