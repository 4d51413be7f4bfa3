import { z } from 'zod';
import { CookSpec, CookState } from '../cook.js';
import { lowTempOverrideMissing, lowTempRuleText } from '../cook-rules.js';
import { ERROR_CODES, type ErrorCode, SvError } from '../errors.js';
import { Actor, Severity } from '../relay/batch.js';

/**
 * The resources both HTTP APIs answer with (docs/api.md), one zod schema each: the gateway's local
 * API and the cloud API serialize their responses with these (route `response` schemas), so a
 * device, cook, event, alarm or audit entry has one shape wherever it is read. Fields are
 * camelCase, times epoch ms, absent values null.
 */
const Ms = z.number().int();
const Data = z.record(z.string(), z.unknown());

/** The one error body: `{error: {code, message, details}}` (shared/http/errors.ts). */
export const ErrorBody = z.object({
  error: z.object({
    code: z.enum(Object.keys(ERROR_CODES) as [ErrorCode, ...ErrorCode[]]),
    message: z.string(),
    details: z.array(z.string()),
  }),
});

/** The latest reading of a kit. */
export const Reading = z.object({
  boot: z.number().int().nullable(),
  seq: z.number().int().nullable(),
  /** Device time (null: the kit had no synced clock). */
  ts: Ms.nullable(),
  /** When the gateway received it. */
  rxTs: Ms.nullable(),
  tempC: z.number().nullable(),
  sensor: z.string().nullable(),
  heater: z.boolean().nullable(),
  rssi: z.number().int().nullable(),
});
export type Reading = z.infer<typeof Reading>;

/** A cook as it runs (or last ran) on the kit: the gateway's cook, the cloud's latest report of it. */
export const Cook = z.object({
  id: z.string(),
  deviceId: z.string(),
  /** +1 at each change or stop. */
  version: z.number().int(),
  state: CookState,
  spec: CookSpec,
  startedTs: Ms,
  /** When it was last started, changed or stopped (docs/sync.md). */
  updatedTs: Ms,
});
export type Cook = z.infer<typeof Cook>;

/** What was last asked for: a spec, or null for "stop". */
export const DesiredCook = z.object({
  cookId: z.string(),
  version: z.number().int(),
  spec: CookSpec.nullable(),
  updatedTs: Ms,
});
export type DesiredCook = z.infer<typeof DesiredCook>;

/** A kit in a list. `gatewayId` is null on the gateway's own API (the kit belongs to it). */
export const Device = z.object({
  id: z.string(),
  gatewayId: z.string().nullable(),
  online: z.boolean(),
  lastSeenMs: Ms.nullable(),
  state: Reading.nullable(),
});
export type Device = z.infer<typeof Device>;

/** The gateway's forecast of the cook (docs/food-safety.md). */
export const Forecast = z.object({
  readyAt: Ms.nullable(),
  /** The band around readyAt while the bath model is still learning. */
  readyBand: z.object({ earliest: Ms, latest: Ms, learning: z.boolean().optional() }).nullable(),
  doneAt: Ms.nullable(),
  safeAt: Ms.nullable(),
  /** The core-temperature model: core °C, lethality, guidance; null without food details. */
  safety: Data.nullable(),
});

/** One kit in detail: the list fields, the cook, what was last asked, the forecast, and (gateway only) control. */
export const DeviceDetail = Device.extend({
  cook: Cook.nullable(),
  desiredCook: DesiredCook.nullable(),
  ...Forecast.shape,
  /** The gateway's control state (alarms, danger-zone time, actuator health, learned bath model); null on the cloud. */
  control: Data.nullable(),
});
export type DeviceDetail = z.infer<typeof DeviceDetail>;

/** An event; an alarm is an event of severity alarm or critical. `gatewayId` is null on the gateway's own API. */
export const Event = z.object({
  id: z.string(),
  ts: Ms,
  deviceId: z.string().nullable(),
  gatewayId: z.string().nullable(),
  type: z.string(),
  severity: Severity,
  safety: z.boolean(),
  data: Data,
});
export type Event = z.infer<typeof Event>;

/** An audit entry: who did what, when, why. */
export const AuditEntry = z.object({
  id: z.string(),
  ts: Ms,
  actor: Actor,
  deviceId: z.string().nullable(),
  gatewayId: z.string().nullable(),
  action: z.string(),
  reason: z.string(),
  data: Data,
});
export type AuditEntry = z.infer<typeof AuditEntry>;

/**
 * The body of `PUT /v1/devices/{id}/cook` on both APIs. The food-safety rule (shared/cook-rules.ts)
 * is part of the body's validation: a long cook in the danger zone without the override is a 400
 * naming `body.lowTempOverride`, on the gateway and on the cloud alike.
 */
export const CookBody = CookSpec.extend({ reason: z.string().max(200).optional() }).superRefine((c, ctx) => {
  if (lowTempOverrideMissing(c)) {
    ctx.addIssue({ code: 'custom', path: ['lowTempOverride'], message: `required (true) for a cook ${lowTempRuleText()}` });
  }
});
/** The optional body of `DELETE /v1/devices/{id}/cook`. */
export const StopBody = z.strictObject({ reason: z.string().max(200).optional() }).optional();

/** The one answer for a kit this API does not know (or, on the cloud, one of another org). */
export function unknownDevice(id: string): SvError {
  return new SvError('SV_ERR_NOT_FOUND', `device ${id} is unknown`, ['params.id: no such device']);
}
