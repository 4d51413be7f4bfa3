export { ASSUMED_AMBIENT_C, doneAt, LEARNED_HEAT_SAMPLES, type ReadyAt, type ReadyInput, readyAt } from './ready-at.js';
export { foodSpecOf, GUIDANCE, SAFE_HORIZON_S, SafetyTracker, type SafetyView } from './safe-at.js';
