import type { Learned } from '../engine/state.js';

/**
 * When the bath will be ready (within `bandC` of the target: the engine's `reached`), from the
 * bath model the engine learned (heating rate, cooling rate, lag). Pure.
 *
 * The bath heats at r(T) = r₀ − b (T − T₀): r₀ is the learned heating rate (the recent slope with
 * the heater on), b the loss coefficient, which the learned cooling rate near the target gives
 * as b ≈ cool / (target − ambient). Time to rise by Δ:
 *   t = ln(r₀ / (r₀ − b Δ)) / b   (t = Δ / r₀ when b = 0), + the lag when the heater is still off.
 * While the model is still learning (few heating samples, no measured lag) the answer carries a
 * band that narrows as samples come in.
 */
export interface ReadyInput {
  nowMs: number;
  targetC: number;
  bandC: number;
  /** The bath now (the engine's last reading), null when unknown. */
  bathC: number | null;
  /** When the engine saw the target reached this cook (null while heating). */
  reachedMs: number | null;
  /** The engine's inference that the heater is on. */
  heaterOn: boolean;
  learned: Pick<Learned, 'heatCPerS' | 'heatSamples' | 'coolCPerS' | 'coolSamples' | 'lagS' | 'lagSamples'>;
}

export interface ReadyAt {
  atMs: number;
  earliestMs: number;
  latestMs: number;
  /** True while the bath model is still learning (the band is wide). */
  learning: boolean;
}

/** Room temperature assumed for the loss coefficient (the kit has no ambient sensor). */
export const ASSUMED_AMBIENT_C = 20;
/** Heating samples (readings on a ramp) after which the rate counts as learned. */
export const LEARNED_HEAT_SAMPLES = 60;
const MIN_REL_BAND = 0.03;
const MAX_REL_BAND = 0.5;

export function readyAt(x: ReadyInput): ReadyAt | null {
  if (x.reachedMs !== null) return { atMs: x.reachedMs, earliestMs: x.reachedMs, latestMs: x.reachedMs, learning: false };
  if (x.bathC === null) return null;
  const delta = x.targetC - x.bandC - x.bathC;
  if (delta <= 0) return { atMs: x.nowMs, earliestMs: x.nowMs, latestMs: x.nowMs, learning: false };
  const L = x.learned;
  const r0 = L.heatCPerS;
  if (!(r0 > 0)) return null;
  const b = L.coolSamples > 0 ? L.coolCPerS / Math.max(5, x.targetC - ASSUMED_AMBIENT_C) : 0;
  let riseS: number;
  if (b > 0) {
    const left = r0 - b * delta;
    if (left <= 0) return null; // the heater cannot win against the losses: never ready
    riseS = Math.log(r0 / left) / b;
  } else {
    riseS = delta / r0;
  }
  const lagS = x.heaterOn ? 0 : L.lagS;
  const learning = L.heatSamples < LEARNED_HEAT_SAMPLES || L.lagSamples === 0;
  const rel = L.heatSamples === 0 ? MAX_REL_BAND : Math.min(MAX_REL_BAND, Math.max(MIN_REL_BAND, 2 / Math.sqrt(L.heatSamples)));
  const lagBandS = L.lagSamples === 0 ? lagS / 2 : 0;
  const atMs = x.nowMs + (riseS + lagS) * 1000;
  return {
    atMs: Math.round(atMs),
    earliestMs: Math.round(x.nowMs + (riseS * (1 - rel) + lagS - lagBandS) * 1000),
    latestMs: Math.round(x.nowMs + (riseS * (1 + rel) + lagS + lagBandS) * 1000),
    learning,
  };
}

/** When the cook's timer runs out: reached + duration (or forecast ready + duration); null without a timer. */
export function doneAt(durationMin: number | undefined, reachedMs: number | null, ready: ReadyAt | null): number | null {
  if (durationMin === undefined) return null;
  const from = reachedMs ?? ready?.atMs ?? null;
  return from === null ? null : from + durationMin * 60_000;
}
