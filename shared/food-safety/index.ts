export { Conduction } from './conduction.js';
export * from './cook-record.js';
export {
  bathBetween,
  CoreTrack,
  DANGER_ZONE_C,
  type DangerLimitsC,
  dangerCounts,
  foodKey,
  foodOf,
  inDangerZone,
} from './core-track.js';
export {
  FOODS,
  type FoodKind,
  FoodKind as FoodKindSchema,
  type FoodModel,
  FoodShape,
  type FoodThermal,
  type PathogenTarget,
} from './foods.js';
export { LETHAL_FLOOR_C, logsPerSecond, MIN_PASTEURIZING_BATH_C } from './lethality.js';
export { CoreModel, DEFAULT_FOOD_START_C, type FoodSpec, pasteurizationMinutes } from './pasteurize.js';
