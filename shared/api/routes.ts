import { z } from 'zod';
import { DeviceId } from '../protocol/device-id.js';
import { Severity } from '../relay/batch.js';
import { Paged } from './cursor.js';
import { doc, QueryMs, responses } from './parse.js';
import { AuditEntry, CookBody, Device, DeviceDetail, Event } from './resources.js';

/**
 * The route schemas of the routes both servers have (docs/api.md): the same params, filters, body
 * and answer, so the two `/openapi.json` documents describe them alike. Each server adds its
 * security and, where it has more, its own filters.
 */
export const IdParams = z.strictObject({ id: DeviceId });

const Severities = z
  .string()
  .transform((s) => s.split(',').filter((x) => x !== ''))
  .pipe(z.array(Severity).max(4));

/** The filters of `GET /v1/events` (severity is a comma list). */
export const EVENT_FILTER = {
  device: DeviceId.optional(),
  type: z.string().max(48).optional(),
  severity: Severities.optional(),
  from: QueryMs.optional(),
  to: QueryMs.optional(),
};

/** The filters of `GET /v1/audit`. */
export const AUDIT_FILTER = {
  device: DeviceId.optional(),
  actor: z.string().max(64).optional(),
  action: z.string().max(48).optional(),
  from: QueryMs.optional(),
  to: QueryMs.optional(),
};

/** At most this many kits in one stream's `?devices=`. */
export const MAX_STREAM_DEVICES = 100;

/**
 * The query of `GET /v1/stream`: `devices`, a comma list of device ids (duplicates collapse, at most
 * MAX_STREAM_DEVICES): the stream carries only messages about those kits. Absent: the fleet.
 */
export const StreamQuery = z.strictObject({
  devices: z
    .string()
    .meta({
      description: `Comma-separated device ids (at most ${MAX_STREAM_DEVICES}; duplicates collapse): only messages about these kits. Absent: every kit (a fleet stream, whose readings are held to stream.fleetReadingBytesPerSec).`,
    })
    .transform((s) => [...new Set(s.split(','))])
    .pipe(z.array(DeviceId).min(1).max(MAX_STREAM_DEVICES, `at most ${MAX_STREAM_DEVICES} device ids`))
    .optional(),
});

export const ROUTES = {
  devices: { tags: ['devices'], summary: 'Devices with their latest state', response: responses(Paged(Device)) },
  device: {
    tags: ['devices'],
    summary: 'One device: latest state, cook, desired cook, readyAt/doneAt/safeAt (epoch ms or null); control details on the gateway',
    params: doc(IdParams),
    response: responses(DeviceDetail),
  },
  cookPut: {
    tags: ['devices'],
    summary: 'Start or change the cook; answers the device',
    params: doc(IdParams),
    body: doc(CookBody),
    response: responses(DeviceDetail),
  },
  cookDelete: {
    tags: ['devices'],
    summary: 'Stop the cook (nothing to stop is not an error); answers the device',
    params: doc(IdParams),
    body: doc(z.strictObject({ reason: z.string().max(200).optional() })),
    response: responses(DeviceDetail),
  },
  events: { tags: ['events'], summary: 'Events, newest first; severity is a comma list', response: responses(Paged(Event)) },
  audit: { tags: ['audit'], summary: 'Audit log, newest first', response: responses(Paged(AuditEntry)) },
} as const;
