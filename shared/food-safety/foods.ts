import { z } from 'zod';

/** Food kinds with a pasteurization model (docs/food-safety.md). */
export const FoodKind = z.enum(['poultry', 'beef-pork', 'fish', 'eggs']);
export type FoodKind = z.infer<typeof FoodKind>;

/** Shapes of the 1-D conduction model; the thickness is the smallest dimension. */
export const FoodShape = z.enum(['slab', 'cylinder', 'sphere']);
export type FoodShape = z.infer<typeof FoodShape>;

/**
 * A pathogen's log-linear (Bigelow) death kinetics: D at the reference temperature, z, and the
 * log reduction the food needs.
 */
export interface PathogenTarget {
  name: string;
  dRefMin: number;
  tRefC: number;
  zC: number;
  logs: number;
}

/** Thermal properties of the food and the film between the pouch and the water. */
export interface FoodThermal {
  /** Thermal conductivity, W/(m·K). */
  kWPerMK: number;
  /** Thermal diffusivity, m²/s. */
  alphaM2PerS: number;
  /** Surface heat-transfer coefficient of a pouch in circulating water, W/(m²·K). */
  hWPerM2K: number;
}

export interface FoodModel {
  kind: FoodKind;
  label: string;
  thermal: FoodThermal;
  /** Safe when every target is met (the slowest pathogen governs). */
  targets: readonly PathogenTarget[];
  /**
   * Highest core temperature credited (°C): the top of the range the D/z fits were made or checked
   * in. A hotter core is credited as this temperature, never extrapolated (docs/food-safety.md).
   */
  creditCeilingC: number;
}

/**
 * Meat in a vacuum pouch in a circulating bath: thermal diffusivity 1.4 × 10⁻⁷ m²/s (inside the
 * 1.1–1.4 × 10⁻⁷ range for lean muscle), conductivity 0.48 W/(m·K) and a surface heat-transfer
 * coefficient of 95 W/(m²·K). With these the slab model is within 10 % of Baldwin's tables in every
 * checked cell (7.8 % shorter at worst, 6.0 % longer; shared/food-safety/baldwin.test.ts). The
 * slow side of the range (1.2 × 10⁻⁷) would never be shorter, but up to 18 % longer for poultry
 * and 37 % for beef at 55 °C: outside the 10 % the check holds the model to, so the guidance says
 * to follow the longer of the model and the table instead (docs/food-safety.md).
 */
const MEAT: FoodThermal = { kWPerMK: 0.48, alphaM2PerS: 1.4e-7, hWPerM2K: 95 };

/**
 * Beef and pork: Baldwin's Table 5.1 targets (6D Listeria, 6.5D Salmonella, 5D E. coli), with
 * his regressions: D₅₅ = 12.66 min, z = 9.22 °C (Listeria); D₅₅ = 13.18 min, z = 7.58 °C
 * (Salmonella); D₅₅ = 19.35 min, z = 4.87 °C (E. coli O157:H7). 6.5D Salmonella is the FSIS
 * Appendix A performance standard for cooked beef.
 */
const BEEF_PORK: FoodModel = {
  kind: 'beef-pork',
  label: 'Beef, pork, lamb',
  thermal: MEAT,
  targets: [
    { name: 'Listeria monocytogenes', dRefMin: 12.66, tRefC: 55, zC: 9.22, logs: 6 },
    { name: 'Salmonella', dRefMin: 13.18, tRefC: 55, zC: 7.58, logs: 6.5 },
    { name: 'E. coli O157:H7', dRefMin: 19.35, tRefC: 55, zC: 4.87, logs: 5 },
  ],
  creditCeilingC: 66, // Table 5.1: 55–66 °C
};

/**
 * Poultry: 7-log Salmonella, the FSIS performance standard for ready-to-eat poultry (9 CFR
 * 381.150). D₆₀ = 6 min and z = 6 °C: the log-linear fit that reproduces Baldwin's Table 4.1,
 * itself computed from the FSIS poultry time-temperature tables (docs/food-safety.md).
 */
const POULTRY: FoodModel = {
  kind: 'poultry',
  label: 'Poultry',
  thermal: MEAT,
  targets: [{ name: 'Salmonella', dRefMin: 6, tRefC: 60, zC: 6, logs: 7 }],
  creditCeilingC: 65, // Table 4.1: 57–65 °C
};

/** Fish: 6D Listeria, Baldwin's target for pasteurized fish (Listeria is the hardiest). */
const FISH: FoodModel = {
  kind: 'fish',
  label: 'Fish',
  thermal: MEAT,
  targets: [{ name: 'Listeria monocytogenes', dRefMin: 12.66, tRefC: 55, zC: 9.22, logs: 6 }],
  creditCeilingC: 66, // the meat fit's range
};

/**
 * Eggs in the shell: 5D Salmonella Enteritidis (the FDA's shell-egg pasteurization goal). D₆₀ and
 * z are an assumption, not checked against a published table: with them a 45 mm egg (a sphere)
 * in a 57.5 °C bath needs about 75 min, in line with common shell-egg pasteurization practice.
 */
const EGGS: FoodModel = {
  kind: 'eggs',
  label: 'Eggs (in shell)',
  thermal: { kWPerMK: 0.5, alphaM2PerS: 1.3e-7, hWPerM2K: 95 },
  targets: [{ name: 'Salmonella Enteritidis', dRefMin: 2, tRefC: 60, zC: 5, logs: 5 }],
  creditCeilingC: 60, // an assumed fit: credited no higher than its reference temperature
};

export const FOODS: Readonly<Record<FoodKind, FoodModel>> = Object.freeze({
  poultry: POULTRY,
  'beef-pork': BEEF_PORK,
  fish: FISH,
  eggs: EGGS,
});
