import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { CURSOR, decodeCursor, PAGE_QUERY, pageOf } from '../../shared/api/cursor.js';
import { noBody, parse } from '../../shared/api/parse.js';
import { unknownDevice } from '../../shared/api/resources.js';
import { SvError } from '../../shared/errors.js';
import { PresetName, PresetSpec } from '../../shared/presets.js';
import { DeviceId } from '../../shared/protocol/device-id.js';
import { formatIssues } from '../../shared/zod-issues.js';
import type { WatchdogConfig } from '../control/config.js';
import { checkCookSpec } from '../control/watchdog/index.js';
import type { ControlLoop } from '../control-driver/control-loop.js';
import type { PresetStore } from '../store/presets.js';
import { refuseTargetAboveGateway } from './target-first.js';

/**
 * Cook presets on the gateway (operator token): GET /v1/presets, PUT and DELETE
 * /v1/presets/{name}, and PUT /v1/devices/{id}/cook/preset/{name} to start a cook from one.
 */
export interface PresetsApiDeps {
  loop: ControlLoop;
  presets: PresetStore;
  deviceIds: () => string[];
  /** The watchdog's rules: a preset whose target this gateway would refuse is refused when it is saved. */
  watchdog: WatchdogConfig;
  /** The operator-token hook (operator-auth.ts), shared by every /v1 route. */
  auth: (req: FastifyRequest, reply: FastifyReply) => Promise<void>;
  now: () => number;
}

const ListQuery = z.strictObject(PAGE_QUERY);
const FromPreset = z.strictObject({ lowTempOverride: z.boolean().optional() }).optional();
const FromPresetParams = z.strictObject({ id: DeviceId, name: PresetName });
const NameParams = z.strictObject({ name: PresetName });

export function presetsApi(http: FastifyInstance, d: PresetsApiDeps): void {
  const auth = d.auth;

  http.get('/v1/presets', { onRequest: auth }, async (req) => {
    const q = parse(ListQuery, req.query, 'query');
    const after = decodeCursor(q.cursor, CURSOR.byId)?.[0] as string | undefined;
    const rest = d.presets
      .list()
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
      .filter((p) => after === undefined || p.name > after);
    return pageOf(rest.slice(0, q.limit + 1), q.limit, (p) => [p.name]);
  });

  http.put('/v1/presets/:name', { onRequest: auth }, async (req) => {
    const { name } = parse(NameParams, req.params, 'params');
    refuseTargetAboveGateway(req.body, d.watchdog);
    const spec = parse(PresetSpec, req.body, 'body');
    // The food-safety override is given per cook, when the preset is applied; every other rule holds now.
    const check = checkCookSpec({ ...spec, lowTempOverride: true }, d.watchdog);
    if (!check.ok) throw new SvError('SV_ERR_VALIDATION', 'invalid body', [`body.${check.field}: ${check.reason}`]);
    return d.presets.put(name, spec, d.now());
  });

  http.delete('/v1/presets/:name', { onRequest: auth }, async (req, reply) => {
    const { name } = parse(NameParams, req.params, 'params');
    noBody(req.body);
    if (!d.presets.delete(name)) throw new SvError('SV_ERR_NOT_FOUND', `preset ${name} is unknown`, ['params.name: no such preset']);
    return reply.code(204).send();
  });

  http.put('/v1/devices/:id/cook/preset/:name', { onRequest: auth }, async (req) => {
    const { id, name } = parse(FromPresetParams, req.params, 'params');
    const body = FromPreset.safeParse(req.body ?? undefined);
    if (!body.success) throw new SvError('SV_ERR_VALIDATION', 'invalid body', formatIssues(body.error, 'body'));
    const preset = d.presets.get(name);
    if (!preset) throw new SvError('SV_ERR_NOT_FOUND', `no preset ${name}`, ['params.name: no such preset']);
    if (!d.deviceIds().includes(id)) throw unknownDevice(id);
    const spec = { ...preset.spec, ...(body.data?.lowTempOverride ? { lowTempOverride: true } : {}) };
    const r = d.loop.startCook(id, spec, { type: 'user', id: 'operator' });
    // The control core's refusals: a 400 like PUT /v1/devices/{id}/cook. A target too high for this
    // gateway is the preset's (`preset.targetC`); the food-safety override is the body's.
    if (!r.ok) {
      const where = r.field === 'lowTempOverride' ? 'body.lowTempOverride' : `preset.${r.field ?? 'targetC'}`;
      throw new SvError('SV_ERR_VALIDATION', 'invalid body', [`${where}: ${r.reason}`]);
    }
    return { cook: r.cook, preset: preset.name };
  });
}
