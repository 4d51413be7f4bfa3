import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { CookBody, type DeviceDetail, StopBody, unknownDevice } from '../../shared/api/resources.js';
import { IdParams, ROUTES } from '../../shared/api/routes.js';
import { MAX_TARGET_C } from '../../shared/cook.js';
import { SvError } from '../../shared/errors.js';
import { bucketQueryProblem, Every, targetSteps, withTargets } from '../../shared/history/buckets.js';
import { DeviceId } from '../../shared/protocol/device-id.js';
import { newId } from '../auth/tokens.js';
import { scopeOf } from '../http/auth.js';
import { CURSOR, decodeCursor, doc, encodeCursor, Limit, parse, QueryMs } from '../http/validate.js';
import type { Scope } from '../stores/types.js';
import { auditOf, type RouteDeps, SECURITY } from './deps.js';
import { forecastOf } from './forecast.js';
import { refuseAboveGatewayTarget } from './gateway-target.js';
import { seriesOf } from './series.js';
import { cookOf, desiredOf, deviceOf } from './views.js';

const PageQuery = z.strictObject({ cursor: z.string().optional(), limit: Limit });
const ListQuery = z.strictObject({ gateway: DeviceId.optional(), cursor: z.string().optional(), limit: Limit });
const TelemetryQuery = z.strictObject({ from: QueryMs.optional(), to: QueryMs.optional(), every: Every.optional() });
const MoveBody = z.strictObject({ gateway: DeviceId, reason: z.string().max(200).optional() });
const unknown = unknownDevice;

export async function deviceRoutes(http: FastifyInstance, deps: RouteDeps): Promise<void> {
  const { auth, stores, now } = deps;
  const tags = ['devices'];
  /** One kit in the shared shape: latest state, the cook the gateway reports, the desired one, the forecast. */
  const detail = async (scope: Scope, id: string): Promise<DeviceDetail> => {
    const device = await stores.meta.getDevice(scope, id);
    if (!device) throw unknown(id);
    const state = (await stores.state.latest(scope.orgId, [id], now())).get(id) ?? null;
    const [desired, reported] = await Promise.all([stores.meta.getDesiredCook(scope, id), stores.meta.latestCook(scope, id)]);
    const outcome = await forecastOf(stores.meta, scope, id, reported);
    return { ...deviceOf(device, state), cook: cookOf(reported), desiredCook: desiredOf(desired), ...outcome, control: null };
  };

  http.get(
    '/v1/devices',
    {
      onRequest: auth.role('viewer'),
      schema: { ...ROUTES.devices, security: SECURITY, querystring: doc(ListQuery) },
    },
    async (req) => {
      const q = parse(ListQuery, req.query, 'query');
      const scope = scopeOf(req.principal);
      const page = await stores.meta.listDevices(scope, { limit: q.limit, after: decodeCursor(q.cursor, CURSOR.byId) }, q.gateway);
      const states = await stores.state.latest(
        scope.orgId,
        page.items.map((d) => d.id),
        now(),
      );
      return { items: page.items.map((d) => deviceOf(d, states.get(d.id) ?? null)), nextCursor: encodeCursor(page.next) };
    },
  );

  http.get(
    '/v1/devices/:id',
    {
      onRequest: auth.role('viewer'),
      schema: { ...ROUTES.device, security: SECURITY },
    },
    async (req) => {
      const { id } = parse(IdParams, req.params, 'params');
      return detail(scopeOf(req.principal), id);
    },
  );

  http.get(
    '/v1/devices/:id/telemetry',
    {
      onRequest: auth.role('viewer'),
      schema: {
        summary:
          "Temperature history downsampled per bucket (mean/min/max, the heater's on-share heaterOn 0–1, the cook's targetC); from/to epoch ms, every e.g. 1m",
        tags,
        security: SECURITY,
        params: doc(IdParams),
        querystring: doc(TelemetryQuery),
      },
    },
    async (req) => {
      const { id } = parse(IdParams, req.params, 'params');
      const q = parse(TelemetryQuery, req.query, 'query');
      const scope = scopeOf(req.principal);
      if (!(await stores.meta.getDevice(scope, id))) throw unknown(id);
      const toMs = q.to ?? now();
      const fromMs = q.from ?? toMs - 3_600_000;
      const everyMs = q.every ?? 60_000;
      const problem = bucketQueryProblem(fromMs, toMs, everyMs);
      if (problem) throw new SvError('SV_ERR_VALIDATION', 'invalid query', [problem]);
      const [raw, cooks] = await Promise.all([
        seriesOf(stores, scope, id).then((series) => stores.telemetry.history({ ...series, fromMs, toMs, everyMs })),
        stores.meta.cookChanges(scope, id, fromMs, toMs),
      ]);
      const steps = targetSteps(cooks.map((c) => ({ ts: c.updatedTs, state: c.state, targetC: c.spec.targetC })));
      const buckets = withTargets(raw, steps, everyMs);
      return { deviceId: id, fromMs, toMs, everyMs, buckets };
    },
  );

  http.get(
    '/v1/devices/:id/commands',
    {
      onRequest: auth.role('viewer'),
      schema: {
        summary: 'Command results reported by the gateway, newest first',
        tags,
        security: SECURITY,
        params: doc(IdParams),
        querystring: doc(PageQuery),
      },
    },
    async (req) => {
      const { id } = parse(IdParams, req.params, 'params');
      const q = parse(PageQuery, req.query, 'query');
      const scope = scopeOf(req.principal);
      if (!(await stores.meta.getDevice(scope, id))) throw unknown(id);
      const page = await stores.meta.listCommandResults(scope, id, { limit: q.limit, after: decodeCursor(q.cursor, CURSOR.newestFirst) });
      return { items: page.items, nextCursor: encodeCursor(page.next) };
    },
  );

  http.put(
    '/v1/devices/:id/cook',
    {
      onRequest: auth.role('operator'),
      schema: { ...ROUTES.cookPut, summary: 'Start or change the cook (desired state → downlink); answers the device', security: SECURITY },
    },
    async (req) => {
      const { id } = parse(IdParams, req.params, 'params');
      const scope = scopeOf(req.principal);
      // Above the schema's bound, the kit's gateway's own limit is the one to name (when it reported one).
      const raw = (req.body as { targetC?: unknown } | null | undefined)?.targetC;
      if (typeof raw === 'number' && raw > MAX_TARGET_C) await refuseAboveGatewayTarget(stores.meta, scope, id, raw, 'body.targetC');
      const { reason, ...spec } = parse(CookBody, req.body, 'body');
      const ts = now();
      const audit = auditOf(req.principal, ts, 'cook.set', id, reason ?? 'set via cloud API', { spec });
      await refuseAboveGatewayTarget(stores.meta, scope, id, spec.targetC, 'body.targetC');
      const desired = await stores.meta.setDesiredCook(scope, id, spec, newId('cook'), ts, audit);
      if (!desired) throw unknown(id);
      return detail(scope, id);
    },
  );

  http.delete(
    '/v1/devices/:id/cook',
    {
      onRequest: auth.role('operator'),
      schema: { ...ROUTES.cookDelete, summary: 'Stop the cook (desired state → downlink); answers the device', security: SECURITY },
    },
    async (req) => {
      const { id } = parse(IdParams, req.params, 'params');
      const body = parse(StopBody, req.body, 'body');
      const ts = now();
      const audit = auditOf(req.principal, ts, 'cook.stop', id, body?.reason ?? 'stopped via cloud API', {});
      const scope = scopeOf(req.principal);
      const desired = await stores.meta.setDesiredCook(scope, id, null, newId('cook'), ts, audit);
      if (!desired) throw unknown(id);
      return detail(scope, id);
    },
  );

  http.post(
    '/v1/devices/:id/move',
    {
      onRequest: auth.role('admin'),
      schema: {
        summary: 'Move a kit to another gateway of the org (its records are then accepted only from that gateway); audited. Role: admin',
        tags,
        security: SECURITY,
        params: doc(IdParams),
        body: doc(MoveBody),
      },
    },
    async (req) => {
      const { id } = parse(IdParams, req.params, 'params');
      const body = parse(MoveBody, req.body, 'body');
      const scope = scopeOf(req.principal);
      if (!(await stores.meta.getDevice(scope, id))) throw unknown(id);
      const audit = auditOf(req.principal, now(), 'device.move', id, body.reason ?? 'moved via cloud API', {});
      const moved = await stores.meta.moveDevice(scope, id, body.gateway, now(), audit);
      if (!moved) throw new SvError('SV_ERR_NOT_FOUND', `gateway ${body.gateway} is unknown`, ['body.gateway: no such gateway']);
      deps.pipeline.ownership.forget(id);
      return moved;
    },
  );
}
