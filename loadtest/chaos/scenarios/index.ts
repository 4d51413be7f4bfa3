import type { Scenario } from '../scenario.js';
import { redisDown } from './redis-down.js';

/** Every chaos scenario, in the order (the CLI names them by `name`). */
export const SCENARIOS: Scenario[] = [redisDown];

export function findScenario(name: string): Scenario | undefined {
  return SCENARIOS.find((s) => s.name === name || String(s.n) === name);
}
