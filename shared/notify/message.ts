/**
 * What a notification says, whichever side sends it (the gateway on the LAN, the cloud per org) and
 * whichever channel carries it. Pure: no I/O, no clock.
 */
export type NotifySeverity = 'info' | 'warning' | 'alarm' | 'critical';

/** The body every channel carries (the webhook's JSON as is). `id` is the idempotency key. */
export interface Notification {
  id: string;
  type: string;
  severity: NotifySeverity;
  deviceId: string | null;
  /** ISO 8601, UTC. */
  at: string;
  text: string;
}

/** The event as both sides record it (shared/relay/batch.ts EventRecord's fields the rules need). */
export interface NotifiableEvent {
  id: string;
  deviceId: string | null;
  type: string;
  severity: NotifySeverity;
  ts: number;
  data: Record<string, unknown>;
}

import { deltaToUnit, formatRange, formatTemp, type TempUnit, unitSign } from '../temperature-unit.js';

/** A temperature from event data in the reader's unit ("57.0 °C"), or "?". */
const deg = (v: unknown, unit: TempUnit): string => (typeof v === 'number' && Number.isFinite(v) ? formatTemp(v, unit) : '?');
/** A temperature difference (no offset in °F). */
const degDelta = (v: unknown, unit: TempUnit): string =>
  typeof v === 'number' && Number.isFinite(v) ? `${deltaToUnit(v, unit).toFixed(1)} ${unitSign(unit)}` : '?';
const minutes = (ms: unknown): string => (typeof ms === 'number' ? String(Math.round(ms / 60_000)) : '?');
/** A cook's food kind in words ("poultry", "pork"), or "food". */
const food = (kind: unknown): string => (typeof kind === 'string' && kind !== '' ? kind.replace(/_/g, ' ') : 'food');

const PROBE: Record<string, string> = {
  disconnected: 'The probe is not reading: check its cable.',
  por: 'The probe keeps restarting: check its cable.',
  crc: "The probe's readings arrive garbled: check its cable.",
  range: 'The probe reads an impossible temperature: check its cable and that it is in the water.',
  stuck: 'The probe reading is frozen: check that the probe is in the water.',
  jump: 'The probe reading jumps: check its cable and that it is in the water.',
  fall: 'The probe reading fell faster than water can cool: it has probably slipped out of the water. The heater was switched off. Put the probe back in the bath. If cold water or food was just added, the gateway heats briefly to check and carries on by itself when the water answers. If it cannot tell (frozen food, or a large cold load, goes on cooling the water for minutes), start the cook again: the heater comes back on, and the water may go on cooling for 10 minutes.',
  null: 'The probe sends no temperature: check its cable.',
};

/** A fall while the heater was heating the water, early in a heat-up (the heat-up fall). */
const HEAT_UP_FALL =
  'The probe reading fell while the heater was heating the water, which heated water does not do: the probe has probably slipped out of the water (into the warm air over the bath), or cold water or food just went in. The heater was switched off. Put the probe back in the bath, under the water line, and start the cook again: the heater comes back on.';

/**
 * The plain-language text of an alarm or a cook milestone, the one wording for notifications and
 * the dashboard (which passes its reader's unit; messages on the wire stay in °C); null for the
 * events without one. The cook rules (which events notify at all, e.g. `offline` only during a
 * cook) are the caller's.
 */
export function notificationText(e: Pick<NotifiableEvent, 'type' | 'data'>, unit: TempUnit = 'C'): string | null {
  const d = e.data;
  switch (e.type) {
    case 'reached':
      return `The water is ready: ${deg(d.targetC, unit)} reached. The food can go in.`;
    case 'done':
      return typeof d.durationMin === 'number'
        ? `The cook is done: ${d.durationMin} min at ${deg(d.targetC, unit)}.${d.holding ? ' The bath keeps holding the temperature.' : ''}`
        : `The cook is done at ${deg(d.targetC, unit)}.`;
    case 'pasteurized':
      return `Safe to eat (guidance, not a guarantee): the model of the ${food(d.foodKind)}'s core says it has reached its pasteurization target. It is a model, not a measurement of the food.`;
    case 'over_temp':
      return `The water is too hot (${deg(d.tempC, unit)}, limit ${deg(d.limitC, unit)}): the heater was switched off.`;
    case 'over_temp_cleared':
      return 'The water is back below its limit.';
    case 'sensor_fault':
      if (d.kind === 'fall' && d.heatUp === true) return HEAT_UP_FALL;
      return PROBE[String(d.kind)] ?? 'The probe is not reading: check its cable.';
    case 'sensor_ok':
      return d.by === 'water_test'
        ? 'The probe warmed when the heater ran, so it is in the water: the bath had really cooled (cold water or food added). The cook goes on.'
        : 'The probe reads again.';
    case 'water_test_failed':
      if (d.withdrawn === true)
        return d.pressed === false
          ? 'The probe seems to be out of the water after all: the heater did not answer it as water does. The heater is held off; the gateway made no press, because by its count of presses the heater is already off. Check the cooker by hand and switch it off if it heats. Put the probe back in the bath, then start the cook again.'
          : 'The probe seems to be out of the water after all: the heater did not answer it as water does. The heater is switched off and held off: put the probe back in the bath, check the cooker, then start the cook again.';
      return d.heated === false
        ? 'The probe is still not reading the water: put it back in the bath.'
        : 'The heater ran briefly and the probe did not warm: it is not in the water. The heater is held off: put the probe back in the bath. If the presser missed a press the heater may still be on: check the cooker.';
    case 'actuator_fault':
      return `The button presser missed ${String(d.consecutiveMisses ?? 'several')} presses in a row: check that it sits on the cooker's button.`;
    case 'actuator_disobeys':
      return 'The water keeps heating although the kit switched the heater off: switch the cooker off by hand.';
    case 'correction_press':
      return 'The water kept heating over its limit while the kit believed the heater off (a missed press): the gateway had the button pressed again.';
    case 'heater_state_unknown':
      return d.probe === 'out_of_water'
        ? `The heater was switched off for a probe that seemed to leave the water, and since then the probe has warmed ${degDelta(d.warmingC, unit)} in ${String(d.overMin ?? 'a few')} minutes, as it does over or in a bath that still heats: the heater may still be on (a missed press). Switch the cooker off by hand, and put the probe back in the bath if it is out.`
        : 'It is not known whether the heater is off: check the cooker.';
    case 'ack_contradicts':
      return `The kit reports the heater ${String(d.heater ?? '?')} after it was asked to switch it off: check the cooker.`;
    case 'kit_in_doubt':
      return "The kit restarted while it was pressing the cooker's button, and cannot tell whether the heater is on or off. It makes no blind press; it reads the bath and settles within 3 minutes (a bath that does not cool is taken as heating, and switched off). Check the cooker now, and switch it off by hand if it should be off.";
    case 'offline':
      return 'The kit went offline during a cook: check its power and Wi-Fi. The heater may keep running.';
    case 'press_missed':
      return "A button press did not switch the cooker: check that the presser sits on the cooker's button.";
    case 'heater_stuck':
      if (d.pressed === false)
        return 'The heater was on for 10 minutes and the probe saw no warming. The heater is held off; the gateway made no press, because by its count of presses the heater is already off. Check the cooker by hand and switch it off if it heats. If the probe slipped out of the water, put it back, then start the cook again.';
      return d.held === false
        ? "The heater has been on for 5 minutes but the water does not warm: check that the presser sits on the cooker's button and that the cooker works."
        : 'The heater was on for 5 minutes and the probe saw no warming, so the heater was switched off and is held off. If the probe slipped out of the water, put it back; if the cooker does not heat, check it, then start the cook again.';
    case 'heater_ok':
      return 'The probe sees the water warming again: the heater is no longer held off.';
    case 'fail_safe_released':
      return 'The water is back in range: the kit controls the heater again.';
    case 'resume_unsafe':
      return `The kit came back after a long gap and the water cooled (${deg(d.lastC, unit)} → ${deg(d.nowC, unit)}): check the food before carrying on.`;
    case 'resume_refused':
      return `The gateway restarted and did not take up the cook at ${deg(d.targetC, unit)}: its settings now refuse it (${String(d.reason ?? '')}). The heater is held off: start the cook again with a target this gateway allows.`;
    case 'kit_flapping':
      return `The kit reports its heater switching on and off by itself (${String(d.changes ?? 'several')} times in ${Math.round(Number(d.withinMs ?? 0) / 1000)} s): the gateway cannot tell whether the heater is on, and makes no presses while this goes on. Check the cooker by hand, and the kit's presser and firmware.`;
    case 'boot_regression':
      return "The kit's restart counter went back: it was reflashed or replaced.";
    case 'seq_regression':
      return "The kit's message counter went back without a restart: check its firmware. The gateway follows the new count.";
    case 'food_safety_alert':
      return `The water has been lukewarm (${formatRange(4.4, 54.4, unit)}) for ${minutes(d.dangerMs)} min: bring it up to temperature soon.`;
    case 'food_safety_alarm':
      return `The water has been lukewarm (${formatRange(4.4, 54.4, unit)}) for ${minutes(d.dangerMs)} min: the food may not be safe to eat.`;
    case 'gateway_offline':
      return `The gateway ${String(d.name ?? '?')} has not reported to the cloud for ${minutes(d.silentMs)} min: check its power and internet connection. If it is running, it keeps controlling its kits.`;
    case 'gateway_token_shared':
      return `Two running gateways use the token of the gateway ${String(d.name ?? '?')}: one is a copy (a cloned SD card or data dir?). Their kits' records are mixed under one gateway. Give the copy its own token (sousvide cloud gateway add) and start it on a fresh data dir.`;
    case 'test':
      return `This is a test notification from your sous-vide ${d.from === 'cloud' ? 'cloud' : 'gateway'}.`;
    default:
      return null;
  }
}

/** A time of day, HH:MM (24 h), in `timeZone` (default: this machine's, the kitchen's for the gateway). */
export function clockTime(ms: number, timeZone?: string): string {
  return new Intl.DateTimeFormat('en-GB', { hour: '2-digit', minute: '2-digit', hour12: false, ...(timeZone ? { timeZone } : {}) }).format(
    new Date(ms),
  );
}

/**
 * What a cook's last `forecast` event said about its food (the gateway's forecasts,
 * gateway/control-driver/forecasts.ts): the notifiers keep it per kit for the done text and for the
 * one notice that the food will not pasteurize.
 */
export interface CookOutlook {
  cookId: string;
  foodKind: string;
  /** When the modelled core is pasteurized (epoch ms); null: never, or not known yet. */
  safeAt: number | null;
  /** The model says the bath will not pasteurize this food (too cool, or longer than its horizon). */
  never: boolean;
  pasteurized: boolean;
  /** The water is at its level (its ready time has passed): a "never" is no longer the cold start of a heat-up. */
  settled: boolean;
}

/** The outlook a `forecast` event gives, or null (another event, or a cook that names no food). */
export function outlookOf(e: Pick<NotifiableEvent, 'type' | 'ts' | 'data'>): CookOutlook | null {
  if (e.type !== 'forecast') return null;
  const d = e.data;
  const s = d.safety as Record<string, unknown> | null | undefined;
  if (typeof d.cookId !== 'string' || !s || typeof s.foodKind !== 'string') return null;
  return {
    cookId: d.cookId,
    foodKind: s.foodKind,
    safeAt: typeof d.safeAt === 'number' ? d.safeAt : null,
    never: s.never === true,
    pasteurized: s.pasteurized === true,
    settled: typeof d.readyAt === 'number' && d.readyAt <= e.ts,
  };
}

/**
 * What the done text adds about the food's safety, from the cook's outlook at the end of its timer
 * ('' when nothing). `nameZone`: the time is followed by its zone ("14:05 UTC").
 */
export function doneSafetyText(o: CookOutlook | null | undefined, doneTs: number, timeZone?: string, nameZone = false): string {
  if (!o || o.pasteurized) return '';
  if (o.never) return ` The model says the ${food(o.foodKind)} will not pasteurize at this temperature (guidance, not a guarantee).`;
  if (o.safeAt !== null && o.safeAt > doneTs)
    return ` The ${food(o.foodKind)} is not yet pasteurized (safe at ${clockTime(o.safeAt, timeZone)}${nameZone && timeZone ? ` ${timeZone}` : ''}, guidance, not a guarantee).`;
  return '';
}

/** The one notice of a cook whose food the model says will not pasteurize. */
export function neverText(foodKind: string): string {
  return `Not safe to eat yet (guidance, not a guarantee): the model says the ${food(foodKind)} will not pasteurize at this temperature (the water is too cool for it, or it would take too long). Raise the temperature if it must be pasteurized.`;
}

/** The notice that a notified alarm's cause has ended. */
export function resolvedText(e: Pick<NotifiableEvent, 'type' | 'data'>): string {
  switch (e.type) {
    case 'over_temp_cleared':
      return `Resolved: the water is back below its limit (${deg(e.data.tempC, 'C')}).`;
    case 'fail_safe_released':
      return 'Resolved: the water is back in range and the kit controls the heater again.';
    case 'heater_ok':
      return 'Resolved: the probe sees the water warming again; the heater is no longer held off.';
    case 'sensor_ok':
      return 'Resolved: the probe reads again.';
    case 'online':
      return 'Resolved: the kit is back online.';
    case 'kit_steady':
      return "Resolved: the kit's heater flag is steady again, and the gateway controls the heater again.";
    default:
      return `Resolved: ${e.type.replace(/_/g, ' ')}.`;
  }
}

/**
 * The events that end an alarm (the watchdog's own "cleared" events, or the end of the cook it
 * belongs to): a repeated notification stops with them.
 */
export const CLEARED_BY: Readonly<Record<string, readonly string[]>> = {
  sensor_ok: ['sensor_fault', 'water_test_failed'],
  heater_ok: ['heater_stuck'],
  over_temp_cleared: ['over_temp'],
  fail_safe_released: ['actuator_disobeys', 'ack_contradicts', 'heater_state_unknown'],
  online: ['offline'],
  kit_steady: ['kit_flapping'],
  stopped: ['actuator_fault', 'food_safety_alarm', 'heater_state_unknown', 'offline'],
  heating: ['actuator_fault', 'food_safety_alarm', 'heater_state_unknown'],
};

/** ntfy's priority (1–5) and tags for a severity. */
export function ntfyStyle(s: NotifySeverity): { priority: number; tags: string[] } {
  switch (s) {
    case 'critical':
      return { priority: 5, tags: ['rotating_light', 'critical'] };
    case 'alarm':
      return { priority: 4, tags: ['warning', 'alarm'] };
    case 'warning':
      return { priority: 3, tags: ['warning'] };
    default:
      return { priority: 3, tags: ['white_check_mark'] };
  }
}

/** A short title: the kit and what happened. */
export function notificationTitle(n: Pick<Notification, 'type' | 'severity' | 'deviceId'>): string {
  const what: Record<string, string> = {
    reached: 'Water is ready',
    done: 'Cook complete',
    pasteurized: 'Safe to eat (guidance)',
    will_not_pasteurize: 'Will not pasteurize (guidance)',
    over_temp_cleared: 'Resolved',
    fail_safe_released: 'Resolved',
    heater_ok: 'Resolved',
    sensor_ok: 'Resolved',
    online: 'Resolved',
    kit_steady: 'Resolved',
    test: 'Test notification',
    gateway_offline: 'Gateway offline',
    gateway_token_shared: 'Gateway token used twice',
  };
  const head = what[n.type] ?? (n.severity === 'critical' ? 'CRITICAL alarm' : n.severity === 'alarm' ? 'Alarm' : 'Notice');
  return n.deviceId ? `${head}: ${n.deviceId}` : head;
}
