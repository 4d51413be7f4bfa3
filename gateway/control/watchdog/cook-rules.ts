import type { CookSpec } from '../../../shared/cook.js';
import { isLowTempLong, lowTempRuleText } from '../../../shared/cook-rules.js';
import { dangerCounts, inDangerZone } from '../../../shared/food-safety/core-track.js';
import { DEFAULT_WATCHDOG, type WatchdogConfig } from '../config.js';
import { type AuditIntent, type ControlEvent, type Decision, event, NO_DECISION } from '../types.js';

/**
 * Rules that judge a cook rather than a reading: the highest target, the FDA low-temperature rule
 * at cook start, and the after-restart resume check.
 */
export type CookCheck = { ok: true; audit: AuditIntent[] } | { ok: false; field: CookField; reason: string };
/** The field of the cook a refusal is about (the API names it as `body.<field>`). */
export type CookField = 'targetC' | 'lowTempOverride';

/**
 * The highest target this gateway accepts: its absolute limit (`control.maxC`) less the
 * over-target margin. A higher target would trip the over-temperature fail-safe on an ordinary
 * overshoot, or (above the limit) could never be reached without tripping it.
 */
export function maxTargetC(cfg: WatchdogConfig = DEFAULT_WATCHDOG): number {
  return cfg.absoluteMaxC - cfg.overTargetC;
}

/**
 * A target above maxTargetC is refused; a cook below 54.4 °C for more than 4 h (or with no timer)
 * needs `lowTempOverride` (shared/cook-rules.ts).
 */
export function checkCookSpec(spec: CookSpec, cfg: WatchdogConfig = DEFAULT_WATCHDOG): CookCheck {
  const max = maxTargetC(cfg);
  if (spec.targetC > max) {
    return {
      ok: false,
      field: 'targetC',
      reason: `at most ${max} °C on this gateway (control.maxC ${cfg.absoluteMaxC} °C less ${cfg.overTargetC} °C for overshoot)`,
    };
  }
  if (!isLowTempLong(spec, cfg)) return { ok: true, audit: [] };
  if (spec.lowTempOverride !== true) {
    return { ok: false, field: 'lowTempOverride', reason: `a cook ${lowTempRuleText(cfg)} (or without a timer) needs lowTempOverride` };
  }
  // The API layer records this with the user's actor; the intent says what was overridden.
  return {
    ok: true,
    audit: [
      {
        actor: 'watchdog',
        action: 'low_temp_override',
        reason: `override accepted: ${spec.targetC} °C for ${spec.durationMin ?? 'unbounded'} min`,
        data: { targetC: spec.targetC, durationMin: spec.durationMin ?? null },
      },
    ],
  };
}

export interface ResumeInput {
  spec: CookSpec;
  /** The last reading stored before the gateway went down. */
  lastC: number | null;
  lastMs: number | null;
  /** The first reading after the restart. */
  nowC: number;
}

export interface ResumeVerdict {
  resume: boolean;
  decision: Decision;
  events: ControlEvent[];
  audit: AuditIntent[];
  /** Time the bath may have spent in the danger zone while the gateway was down. */
  downDangerMs: number;
}

/**
 * After a gateway restart, a cook resumes from SQLite unless its bath fell below 54.4 °C while
 * the gateway was down: then an alarm and the heater off until an operator decides.
 */
export function resumeCheck(input: ResumeInput, nowMs: number, cfg: WatchdogConfig = DEFAULT_WATCHDOG): ResumeVerdict {
  const wasSafe = input.lastC !== null && input.lastC >= cfg.dangerHighC;
  const inZone = (c: number | null) => c !== null && inDangerZone(c, { lowC: cfg.dangerLowC, highC: cfg.dangerHighC });
  const downMs = input.lastMs === null ? 0 : Math.max(0, nowMs - input.lastMs);
  const downDangerMs = dangerCounts(inZone(input.lastC), inZone(input.nowC)) ? downMs : 0;
  if (wasSafe && input.nowC < cfg.dangerHighC) {
    const e = event('resume_unsafe', 'alarm', true, { lastC: input.lastC, nowC: input.nowC, downMs });
    const reason = `bath fell from ${input.lastC} °C to ${input.nowC} °C (< ${cfg.dangerHighC} °C) while the gateway was down`;
    return {
      resume: false,
      decision: { kind: 'safe', reason },
      events: [e],
      audit: [{ actor: 'watchdog', action: 'hold_resume', reason, data: { ...e.data } }],
      downDangerMs,
    };
  }
  return {
    resume: true,
    decision: NO_DECISION,
    events: [event('resumed', 'info', false, { lastC: input.lastC, nowC: input.nowC, downMs })],
    audit: [{ actor: 'watchdog', action: 'resume', reason: 'bath stayed out of the danger zone', data: { downMs } }],
    downDangerMs,
  };
}
