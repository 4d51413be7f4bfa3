import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { CURSOR, decodeCursor, PAGE_QUERY, pageOf } from '../../shared/api/cursor.js';
import { parse } from '../../shared/api/parse.js';
import { SvError } from '../../shared/errors.js';
import { PresetName, PresetSpec } from '../../shared/presets.js';
import { DeviceId } from '../../shared/protocol/device-id.js';
import { formatIssues } from '../../shared/zod-issues.js';
import type { ControlLoop } from '../control-driver/control-loop.js';
import type { PresetStore } from '../store/presets.js';

/**
 * Cook presets on the gateway (operator token): GET /v1/presets, PUT and DELETE
 * /v1/presets/{name}, and PUT /v1/devices/{id}/cook/preset/{name} to start a cook from one.
 */
export interface PresetsApiDeps {
  loop: ControlLoop;
  presets: PresetStore;
  deviceIds: () => string[];
  /** The operator-token hook (operator-auth.ts), shared by every /v1 route. */
  auth: (req: FastifyRequest, reply: FastifyReply) => Promise<void>;
  now: () => number;
}

const ListQuery = z.strictObject(PAGE_QUERY);
const FromPreset = z.strictObject({ lowTempOverride: z.boolean().optional() }).optional();
const FromPresetParams = z.object({ id: DeviceId, name: PresetName });

export function presetsApi(http: FastifyInstance, d: PresetsApiDeps): void {
  const auth = d.auth;
  const nameOf = (params: unknown) => PresetName.safeParse((params as { name?: string }).name);

  http.get('/v1/presets', { onRequest: auth }, async (req) => {
    const q = parse(ListQuery, req.query, 'query');
    const after = decodeCursor(q.cursor, CURSOR.byId)?.[0] as string | undefined;
    const rest = d.presets
      .list()
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
      .filter((p) => after === undefined || p.name > after);
    return pageOf(rest.slice(0, q.limit + 1), q.limit, (p) => [p.name]);
  });

  http.put('/v1/presets/:name', { onRequest: auth }, async (req, reply) => {
    const name = nameOf(req.params);
    if (!name.success) throw new SvError('SV_ERR_VALIDATION', 'invalid preset name', formatIssues(name.error, 'name'));
    const spec = PresetSpec.safeParse(req.body);
    if (!spec.success) throw new SvError('SV_ERR_VALIDATION', 'invalid preset', formatIssues(spec.error, 'body'));
    return d.presets.put(name.data, spec.data, d.now());
  });

  http.delete('/v1/presets/:name', { onRequest: auth }, async (req, reply) => {
    const name = nameOf(req.params);
    if (!name.success) throw new SvError('SV_ERR_VALIDATION', 'invalid preset name', formatIssues(name.error, 'name'));
    if (!d.presets.delete(name.data)) throw new SvError('SV_ERR_NOT_FOUND', `no preset ${name.data}`, ['name: no such preset']);
    return reply.code(204).send();
  });

  http.put('/v1/devices/:id/cook/preset/:name', { onRequest: auth }, async (req, reply) => {
    const params = FromPresetParams.safeParse(req.params);
    if (!params.success) throw new SvError('SV_ERR_VALIDATION', 'invalid device id or preset name', formatIssues(params.error));
    const { id, name } = params.data;
    const body = FromPreset.safeParse(req.body ?? undefined);
    if (!body.success) throw new SvError('SV_ERR_VALIDATION', 'invalid body', formatIssues(body.error, 'body'));
    const preset = d.presets.get(name);
    if (!preset) throw new SvError('SV_ERR_NOT_FOUND', `no preset ${name}`, ['name: no such preset']);
    if (!d.deviceIds().includes(id)) throw new SvError('SV_ERR_NOT_FOUND', `no device ${id}`);
    const spec = { ...preset.spec, ...(body.data?.lowTempOverride ? { lowTempOverride: true } : {}) };
    const r = d.loop.startCook(id, spec, { type: 'user', id: 'operator' });
    // The food-safety rule (the control core's only refusal of a cook): a 400 like PUT /v1/devices/{id}/cook.
    if (!r.ok) throw new SvError('SV_ERR_VALIDATION', 'invalid body', [`body.lowTempOverride: ${r.reason}`]);
    return { cook: r.cook, preset: preset.name };
  });
}
