import { z } from 'zod';
import { FoodKind, FoodShape } from './food-safety/foods.js';
import { plainText } from './plain-text.js';

/**
 * A cook session as set by a user (gateway local API or cloud). Shared by the gateway, the cloud
 * and the relay's downlink so that the three agree on one shape.
 */
/** The highest target any cook may name (°C); a gateway's own limit is lower (its control.maxC less the overshoot margin). */
export const MAX_TARGET_C = 95;

export const CookSpec = z.strictObject({
  targetC: z.number().min(20).max(MAX_TARGET_C),
  /** Timer in minutes; absent = hold until stopped. */
  durationMin: z
    .number()
    .int()
    .min(1)
    .max(7 * 24 * 60)
    .optional(),
  /** Free-text food profile, e.g. "steak-medium-rare". */
  food: plainText(64).optional(),
  /** Food for the pasteurization model (docs/food-safety.md); with `thicknessMm` it gives `safeAt`. */
  foodKind: FoodKind.optional(),
  /** Shape of the food; default slab (the slowest to heat, so the safe choice). */
  foodShape: FoodShape.optional(),
  /** Smallest dimension of the food, mm. */
  thicknessMm: z.number().min(2).max(150).optional(),
  /**
   * FDA Food Code: a cook held below 54.4 °C for more than 4 h needs an explicit override,
   * recorded in the audit log.
   */
  lowTempOverride: z.boolean().optional(),
});
export type CookSpec = z.infer<typeof CookSpec>;

export const CookState = z.enum(['heating', 'holding', 'done', 'stopped']);
export type CookState = z.infer<typeof CookState>;
