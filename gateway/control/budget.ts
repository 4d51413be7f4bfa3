import type { EngineConfig } from './config.js';

/**
 * The press budget: PROTOCOL's minimum dwell between presses and a cap per rolling hour. A `safe`
 * is outside the budget (PROTOCOL: "except safe").
 */
const HOUR_MS = 3600_000;

export function pruneLog(log: readonly number[], nowMs: number): number[] {
  return log.filter((t) => t > nowMs - HOUR_MS);
}

export type BudgetVerdict = 'ok' | 'dwell' | 'cap';

/**
 * `reserve` presses are kept back: a press that turns the heater on must leave one to turn it off
 * again within the hour.
 */
export function budgetFor(
  cfg: EngineConfig,
  log: readonly number[],
  lastPressMs: number | null,
  nowMs: number,
  reserve: number,
): BudgetVerdict {
  if (lastPressMs !== null && nowMs - lastPressMs < cfg.minDwellMs) return 'dwell';
  const used = log.filter((t) => t > nowMs - HOUR_MS).length;
  return used + reserve < cfg.maxPressesPerHour ? 'ok' : 'cap';
}

/** The shortest on-then-off cycle the budget allows over an hour, s (with headroom). */
export function minCycleS(cfg: EngineConfig): number {
  return (2 * 3600) / (cfg.maxPressesPerHour * cfg.budgetShare);
}
