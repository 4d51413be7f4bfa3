import type { Fit } from '../slope.js';
import { clamp, type EngineState, ema, sinceReachedMs } from './state.js';

/**
 * Online identification of each bath, from what the probe shows anyway:
 * - lag: a heat-up ramp seen through lags in series (servo, element, probe) runs parallel to the
 *   ideal ramp, late by the sum of the lags, so the ramp's intercept with the starting trend
 *   gives the lag; after each anticipated switch-off the real coast (peak − T_off) / rate
 *   corrects it;
 * - heating rate: the slope while the heater has been on for a while;
 * - cooling rate: the fall from the last peak over at least two minutes;
 * - pulse gain: peak − trough per second of on-time in short pulses (it includes the heat still
 *   stored in the element after the off-press).
 * The element's full rate and the lag are taught by the heat-up, not by a ramp after `reached`
 * (`heatUpTeaches`).
 */
/** The ramp is fitted from 90 s after the press (lags settled) to 300 s. */
const RAMP_FROM_S = 90;
const RAMP_UNTIL_S = 300;
const PEAK_PASSED_MS = 15_000;
const COOL_SEGMENT_MS = 120_000;

/**
 * After `reached`, the engine heats long enough to ramp only when something pulled the bath well
 * under its target: cold food, a pour, a probe in the air. Such a ramp shows the element less
 * what the load takes, and a coast the load cuts short; learned from, it taught the fast miss test
 * half the element's rate and a lag too short, and working off-presses looked missed (ADR 063).
 * So the element's rate and the lag come from ramps that began before `reached`: the heat-up,
 * and a changed cook's new heat-up.
 */
function heatUpTeaches(d: EngineState, startedMs: number): boolean {
  return (sinceReachedMs(d, startedMs) ?? 0) <= 0;
}

export function learnFromReading(d: EngineState, fit: Fit, nowMs: number): void {
  learnRampLag(d, nowMs);
  if (d.actual && d.pending === null && d.episode !== null && d.episode.offMs === null) {
    const onS = (nowMs - d.episode.onMs) / 1000;
    if (onS >= 2 * d.learn.lagS && fit.slope > 0) {
      d.learn = {
        ...d.learn,
        heatCPerS: ema(d.learn.heatCPerS, fit.slope, d.learn.heatSamples, 0.1),
        heatSamples: d.learn.heatSamples + 1,
      };
    }
    if (d.episode.mode === 'ramp' && onS >= 3 * d.learn.lagS && fit.slope > 0 && heatUpTeaches(d, d.episode.onMs)) {
      d.learn = {
        ...d.learn,
        rampHeatCPerS: ema(d.learn.rampHeatCPerS, fit.slope, d.learn.rampHeatSamples, 0.1),
        rampHeatSamples: d.learn.rampHeatSamples + 1,
      };
    }
  }
  trackEpisode(d, fit, nowMs);
}

function learnRampLag(d: EngineState, nowMs: number): void {
  const r = d.ramp;
  if (r === null) return;
  if (!heatUpTeaches(d, r.pressMs)) {
    d.ramp = null;
    return;
  }
  const tS = (nowMs - r.pressMs) / 1000;
  const ended = (d.pending === null && !d.actual) || (d.episode !== null && d.episode.offMs !== null);
  if (!ended && tS >= RAMP_FROM_S && d.pending === null && d.lastC !== null) {
    // A regression over the whole ramp (not the 20 s window) keeps the intercept steady.
    const c = d.lastC;
    d.ramp = { ...r, n: r.n + 1, st: r.st + tS, sc: r.sc + c, stt: r.stt + tS * tS, stc: r.stc + tS * c };
  }
  if (!ended && tS < RAMP_UNTIL_S) return;
  const f = d.ramp ?? r;
  d.ramp = null;
  if (f.n < 30) return;
  const den = f.n * f.stt - f.st * f.st;
  if (den <= 0) return;
  const slope = (f.n * f.stc - f.st * f.sc) / den;
  const icept = (f.sc - slope * f.st) / f.n;
  if (slope <= f.fromSlope + 0.002) return;
  // The ramp line meets the pre-press trend (fromC + fromSlope·t) at t* = the lag.
  const lagS = clamp((f.fromC - icept) / (slope - f.fromSlope), 3, 240);
  d.learn = { ...d.learn, lagS: ema(d.learn.lagS, lagS, d.learn.lagSamples, 0.5), lagSamples: d.learn.lagSamples + 1 };
}

function trackEpisode(d: EngineState, fit: Fit, nowMs: number): void {
  const e = d.episode;
  if (e === null) return;
  if (e.offMs === null) {
    if (fit.level < e.troughC) d.episode = { ...e, troughC: fit.level, troughMs: nowMs };
    return;
  }
  if (!e.peakSeen) {
    if (fit.level > e.peakC) {
      d.episode = { ...e, peakC: fit.level, peakMs: nowMs };
      return;
    }
    if (fit.slope < 0 && nowMs - e.peakMs >= PEAK_PASSED_MS) {
      d.episode = { ...e, peakSeen: true };
      learnFromPeak(d, e);
    }
    return;
  }
  const segS = (nowMs - e.peakMs) / 1000;
  if (segS * 1000 >= COOL_SEGMENT_MS && !d.actual && d.pending === null) {
    const cool = (e.peakC - fit.level) / segS;
    if (cool > 0)
      d.learn = { ...d.learn, coolCPerS: ema(d.learn.coolCPerS, cool, d.learn.coolSamples, 0.1), coolSamples: d.learn.coolSamples + 1 };
  }
}

function learnFromPeak(d: EngineState, e: { mode: 'ramp' | 'pulse' } & Omit<NonNullable<EngineState['episode']>, 'mode'>): void {
  if (e.offMs === null) return;
  const L = d.learn;
  if (e.mode === 'ramp' && e.offSlope > 0.3 * L.heatCPerS) {
    if (!heatUpTeaches(d, e.onMs)) return;
    const lagS = clamp((e.peakC - e.offC) / e.offSlope, 3, 240);
    d.learn = { ...L, lagS: ema(L.lagS, lagS, L.lagSamples, 0.5), lagSamples: L.lagSamples + 1 };
    return;
  }
  if (e.mode === 'pulse') {
    const onS = (e.offMs - e.onMs) / 1000;
    const riseS = (e.peakMs - e.troughMs) / 1000;
    if (onS <= 0) return;
    const gain = (e.peakC - e.troughC + L.coolCPerS * riseS) / onS;
    if (gain > 0) d.learn = { ...L, pulseGainCPerS: ema(L.pulseGainCPerS, gain, L.pulseSamples, 0.5), pulseSamples: L.pulseSamples + 1 };
  }
}
