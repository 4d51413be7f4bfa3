import t from 'tap';
import type { FoodKind } from './foods.js';
import { pasteurizationMinutes } from './pasteurize.js';

/**
 * Douglas E. Baldwin, "A Practical Guide to Sous Vide Cooking" (douglasbaldwin.com/sous-vide.html):
 * - Table 4.1 "Pasteurization Time for Poultry (starting at 41°F / 5°C and put in a
 *   134.5–149°F / 57–65°C water bath)": 7D Salmonella;
 * - Table 5.1 "Pasteurization Time for Meat (Beef, Pork, and Lamb) (starting at 41°F / 5°C and
 *   put in a 131–151°F / 55–66°C water bath)": 6D Listeria, 6.5D Salmonella, 5D E. coli.
 * Rows are thickness in mm, then the published time at each bath temperature, transcribed as
 * printed ("2¼ hr" → 135 min). Only the rows the test checks are listed; docs/food-safety.md
 * reports the model against every row.
 */
interface Table {
  title: string;
  kind: FoodKind;
  tempsC: readonly number[];
  rows: ReadonlyArray<readonly [thicknessMm: number, ...minutes: number[]]>;
}

const h = (hours: number) => hours * 60;

const POULTRY_TABLE_4_1: Table = {
  title: 'Baldwin Table 4.1 (poultry)',
  kind: 'poultry',
  tempsC: [57, 58, 59, 60, 61, 62, 63, 64, 65],
  rows: [
    [35, h(3.75), h(3), h(2.5), h(2.25), h(2), h(1.75), h(1.75), h(1.5), h(1.5)],
    [40, h(4), h(3.25), h(2.75), h(2.5), h(2.25), h(2), h(2), h(1.75), h(1.75)],
    [45, h(4.5), h(3.75), h(3.25), h(3), h(2.75), h(2.5), h(2.25), h(2), h(2)],
    [50, h(4.75), h(4.25), h(3.75), h(3.25), h(3), h(2.75), h(2.5), h(2.5), h(2.25)],
    [55, h(5.25), h(4.5), h(4), h(3.75), h(3.5), h(3.25), h(3), h(2.75), h(2.75)],
    [60, h(5.75), h(5), h(4.5), h(4.25), h(3.75), h(3.5), h(3.25), h(3.25), h(3)],
    [65, h(6.25), h(5.5), h(5), h(4.5), h(4.25), h(4), h(3.75), h(3.5), h(3.25)],
    [70, h(7), h(6), h(5.5), h(5), h(4.75), h(4.5), h(4.25), h(4), h(3.75)],
  ],
};

const MEAT_TABLE_5_1: Table = {
  title: 'Baldwin Table 5.1 (beef, pork, lamb)',
  kind: 'beef-pork',
  tempsC: [55, 56, 57, 58, 59, 60],
  rows: [
    [40, h(3.5), h(3), h(2.5), h(2.25), h(2.25), h(2)],
    [45, h(4), h(3.25), h(3), h(2.75), h(2.5), h(2.25)],
    [50, h(4.5), h(3.75), h(3.25), h(3), h(2.75), h(2.5)],
    [55, h(5), h(4.25), h(3.75), h(3.5), h(3), h(3)],
    [60, h(5.25), h(4.75), h(4.25), h(3.75), h(3.5), h(3.25)],
    [65, h(6), h(5.25), h(4.75), h(4.25), h(4), h(3.75)],
    [70, h(6.5), h(5.75), h(5.25), h(4.75), h(4.25), h(4)],
  ],
};

for (const table of [POULTRY_TABLE_4_1, MEAT_TABLE_5_1]) {
  t.test(`${table.title}: every listed cell within 10 % of the published time`, async (t) => {
    let cells = 0;
    for (const [mm, ...published] of table.rows) {
      published.forEach((pub, i) => {
        const bathC = table.tempsC[i]!;
        const model = pasteurizationMinutes({ kind: table.kind, shape: 'slab', thicknessMm: mm }, bathC);
        t.ok(model !== null, `${mm} mm at ${bathC} °C pasteurizes`);
        const err = (model! - pub) / pub;
        t.ok(
          Math.abs(err) <= 0.1,
          `${mm} mm at ${bathC} °C: model ${model!.toFixed(0)} min, published ${pub} min (${(err * 100).toFixed(1)} %)`,
        );
        cells++;
      });
    }
    t.ok(table.rows.length >= 7 && cells >= 40, `${table.rows.length} rows, ${cells} cells checked`);
  });
}
