import type { Scenario } from '../scenario.js';
import { cloudInstanceKill } from './cloud-instance-kill.js';
import { cloudUnreachable } from './cloud-unreachable.js';
import { gatewayKill } from './gateway-kill.js';
import { gatewayRestartStorm } from './gateway-restart-storm.js';
import { influxSlowDown } from './influx-slow-down.js';
import { kitClock } from './kit-clock.js';
import { linkBlackholeSlow } from './link-blackhole-slow.js';
import { mysqlDown } from './mysql-down.js';
import { quotaOutage } from './quota-outage.js';
import { redisDown } from './redis-down.js';

/** Every chaos scenario, in the order of docs/chaos-results.md (the CLI names them by `name` or number). */
export const SCENARIOS: Scenario[] = [
  redisDown,
  influxSlowDown,
  mysqlDown,
  cloudUnreachable,
  linkBlackholeSlow,
  gatewayKill,
  gatewayRestartStorm,
  quotaOutage,
  cloudInstanceKill,
  kitClock,
];

export function findScenario(name: string): Scenario | undefined {
  return SCENARIOS.find((s) => s.name === name || String(s.n) === name);
}
