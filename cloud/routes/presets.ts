import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { CookSpec } from '../../shared/cook.js';
import { lowTempOverrideMissing, lowTempRuleText } from '../../shared/cook-rules.js';
import { SvError } from '../../shared/errors.js';
import { PresetName, PresetSpec } from '../../shared/presets.js';
import { DeviceId } from '../../shared/protocol/device-id.js';
import { newId } from '../auth/tokens.js';
import { scopeOf } from '../http/auth.js';
import { CURSOR, decodeCursor, doc, encodeCursor, Limit, noBody, parse } from '../http/validate.js';
import { auditOf, auditVia, type RouteDeps, SECURITY } from './deps.js';
import { refuseAboveGatewayTarget } from './gateway-target.js';
import { createWithinOrgLimit } from './org-limits.js';

/**
 * Cook presets per org, as on the gateway (shared/presets.ts): GET /v1/presets, PUT and DELETE
 * /v1/presets/{name}, and PUT /v1/devices/{id}/cook/preset/{name} to start a cook from one (the
 * desired cook, as PUT /v1/devices/{id}/cook). A preset belongs to the whole org.
 */
const ListQuery = z.strictObject({ cursor: z.string().optional(), limit: Limit });
const NameParams = z.strictObject({ name: PresetName });
const FromPresetParams = z.strictObject({ id: DeviceId, name: PresetName });
/** What a user gives per cook on top of the preset: the low-temperature override and a reason. */
const FromPresetBody = z.strictObject({ lowTempOverride: z.boolean().optional(), reason: z.string().max(200).optional() }).optional();
const noPreset = (name: string) => new SvError('SV_ERR_NOT_FOUND', `preset ${name} is unknown`, ['params.name: no such preset']);

export async function presetRoutes(http: FastifyInstance, deps: RouteDeps): Promise<void> {
  const { auth, stores, now } = deps;
  const tags = ['presets'];

  http.get(
    '/v1/presets',
    {
      onRequest: auth.role('viewer'),
      schema: { summary: "The org's cook presets, by name", tags, security: SECURITY, querystring: doc(ListQuery) },
    },
    async (req) => {
      const q = parse(ListQuery, req.query, 'query');
      const page = await stores.meta.listPresets(scopeOf(req.principal), { limit: q.limit, after: decodeCursor(q.cursor, CURSOR.byId) });
      return { items: page.items, nextCursor: encodeCursor(page.next) };
    },
  );

  http.put(
    '/v1/presets/:name',
    {
      onRequest: auth.role('operator'),
      schema: {
        summary: 'Create or replace a cook preset (food, target, time, thickness)',
        tags,
        security: SECURITY,
        params: doc(NameParams),
        body: doc(PresetSpec),
      },
    },
    async (req) => {
      const { name } = parse(NameParams, req.params, 'params');
      const spec = parse(PresetSpec, req.body, 'body');
      const scope = scopeOf(req.principal);
      // Only a new name is counted: replacing a preset the org has is never refused.
      const preset = await createWithinOrgLimit(
        deps,
        scope.orgId,
        'presets',
        (meta) => meta.putPreset(scope, name, spec, now()),
        async (meta) => (await meta.getPreset(scope, name)) === null,
      );
      await auditVia(deps, req.principal, 'preset.put', { preset: name, spec });
      return preset;
    },
  );

  http.delete(
    '/v1/presets/:name',
    { onRequest: auth.role('operator'), schema: { summary: 'Delete a cook preset', tags, security: SECURITY, params: doc(NameParams) } },
    async (req, reply) => {
      const { name } = parse(NameParams, req.params, 'params');
      noBody(req.body);
      if (!(await stores.meta.deletePreset(scopeOf(req.principal), name))) throw noPreset(name);
      await auditVia(deps, req.principal, 'preset.delete', { preset: name });
      return reply.code(204).send();
    },
  );

  http.put(
    '/v1/devices/:id/cook/preset/:name',
    {
      onRequest: auth.role('operator'),
      schema: {
        summary: "Start or change the cook from one of the org's presets (desired state → downlink)",
        tags: ['devices', ...tags],
        security: SECURITY,
        params: doc(FromPresetParams),
        body: doc(FromPresetBody),
      },
    },
    async (req) => {
      const { id, name } = parse(FromPresetParams, req.params, 'params');
      const body = parse(FromPresetBody, req.body, 'body');
      const scope = scopeOf(req.principal);
      const preset = await stores.meta.getPreset(scope, name);
      if (!preset) throw noPreset(name);
      const spec = parse(CookSpec, { ...preset.spec, ...(body?.lowTempOverride ? { lowTempOverride: true } : {}) }, 'body');
      // The food-safety rule (shared/cook-rules.ts) holds for a preset as for any cook.
      if (lowTempOverrideMissing(spec))
        throw new SvError('SV_ERR_VALIDATION', 'invalid body', [`body.lowTempOverride: required (true) for a cook ${lowTempRuleText()}`]);
      await refuseAboveGatewayTarget(stores.meta, scope, id, spec.targetC, 'preset.targetC');
      const ts = now();
      const audit = auditOf(req.principal, ts, 'cook.set', id, body?.reason ?? `preset ${name} via cloud API`, { spec, preset: name });
      const desired = await stores.meta.setDesiredCook(scope, id, spec, newId('cook'), ts, audit);
      if (!desired) throw new SvError('SV_ERR_NOT_FOUND', `device ${id} is unknown`, ['params.id: no such device']);
      return { ...desired, preset: name };
    },
  );
}
