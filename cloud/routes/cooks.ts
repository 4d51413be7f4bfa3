import { Readable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { byNewest, PAGE_QUERY, pageNewestFirst } from '../../shared/api/cursor.js';
import { requireRange } from '../../shared/api/range.js';
import { SvError } from '../../shared/errors.js';
import { buildCookRecord, type RecordAction, type RecordEvent, type RecordSpecVersion } from '../../shared/food-safety/cook-record.js';
import { DeviceId } from '../../shared/protocol/device-id.js';
import { CLOUD_READINGS_COLUMNS, csvRow } from '../../shared/readings-csv.js';
import { RecordId } from '../../shared/relay/batch.js';
import { cookIdOf } from '../../shared/relay/cook-id.js';
import { scopeOf } from '../http/auth.js';
import { doc, parse, QueryMs } from '../http/validate.js';
import type { CookRow, Scope, Series, StoredPoint, Stores } from '../stores/types.js';
import { type RouteDeps, SECURITY } from './deps.js';
import { seriesOf } from './series.js';

/**
 * Cook records (HACCP-style) and raw readings as CSV, from what the gateways relayed: the cook
 * records (one per version and lifecycle step), telemetry, events and audit.
 */
const DAY_MS = 86_400_000;
const RangeQuery = z.strictObject({ from: QueryMs.optional(), to: QueryMs.optional() });
const ListQuery = RangeQuery.extend(PAGE_QUERY);
const CookParams = z.strictObject({ id: RecordId });
const DeviceParams = z.strictObject({ id: DeviceId });
/** The CSV is read from the store this many points at a time, so a long range streams. */
const CSV_PAGE = 5000;
/** Events and audit rows read per page for one record. */
const PAGE = 500;
const MAX_ROWS = 20_000;
/** How long before a cook's start its cloud `cook.set` call may lie (the downlink's delay). */
const SET_BEFORE_MS = 300_000;
const LIFECYCLE = { heating: 0, holding: 1, done: 2, stopped: 3 } as const;

function rangeOf(q: { from?: number | undefined; to?: number | undefined }, now: number, span: number) {
  const to = q.to ?? now;
  // The default span is clamped at the epoch: a small `to` gives from 0, never a negative time.
  return requireRange({ from: q.from ?? Math.max(0, to - span), to });
}

/** The latest record of each cook (by stamp, version, then lifecycle). */
function latestPerCook(rows: readonly CookRow[]): Map<string, CookRow> {
  const out = new Map<string, CookRow>();
  for (const r of rows) {
    const id = cookIdOf(r);
    const cur = out.get(id);
    const later =
      !cur ||
      r.updatedTs > cur.updatedTs ||
      (r.updatedTs === cur.updatedTs &&
        (r.version > cur.version || (r.version === cur.version && LIFECYCLE[r.state] > LIFECYCLE[cur.state])));
    if (later) out.set(id, r);
  }
  return out;
}

/**
 * The versions of one cook's spec, each from its first stamp (the first from the cook's start):
 * the record is segmented by them. A version that kept the spec (a stop) is not a change.
 */
function specVersionsOf(rows: readonly CookRow[], startedTs: number): RecordSpecVersion[] {
  const first = new Map<number, CookRow>();
  for (const r of rows) {
    const cur = first.get(r.version);
    if (!cur || r.updatedTs < cur.updatedTs) first.set(r.version, r);
  }
  const out: RecordSpecVersion[] = [];
  for (const r of [...first.values()].sort((a, b) => a.version - b.version)) {
    const prev = out[out.length - 1];
    if (prev && JSON.stringify(prev.spec) === JSON.stringify(r.spec)) continue;
    out.push({ ts: out.length === 0 ? startedTs : r.updatedTs, spec: r.spec });
  }
  return out;
}

function summary(id: string, r: CookRow) {
  return { id, deviceId: r.deviceId, gatewayId: r.gatewayId, startedTs: r.startedTs, state: r.state, version: r.version, spec: r.spec };
}

async function allPages<T>(
  fetchPage: (after: (string | number)[] | undefined) => Promise<{ items: T[]; next: (string | number)[] | null }>,
) {
  const out: T[] = [];
  let after: (string | number)[] | undefined;
  do {
    const p = await fetchPage(after);
    out.push(...p.items);
    after = p.next ?? undefined;
  } while (after && out.length < MAX_ROWS);
  return out;
}

async function cookRecord(stores: Stores, scope: Scope, cookId: string, now: number) {
  const rows = (await stores.meta.cookRecords(scope, cookId)).filter((r) => cookIdOf(r) === cookId);
  const last = latestPerCook(rows).get(cookId);
  if (!last) throw new SvError('SV_ERR_NOT_FOUND', `cook ${cookId} is unknown`, ['params.id: no such cook']);
  const replacedTs = await stores.meta.nextCookStart(scope, last.deviceId, last.startedTs);
  const stoppedTs = last.state === 'stopped' ? last.updatedTs : null;
  const ends = [stoppedTs, replacedTs].filter((x): x is number => x !== null);
  const endedTs = ends.length ? Math.min(...ends) : null;
  const to = endedTs ?? now + 1;
  const [points, events, audit, setBefore] = await Promise.all([
    seriesOf(stores, scope, last.deviceId).then((series) => stores.telemetry.points(series, last.startedTs, to)),
    allPages((after) =>
      stores.meta.listEvents(scope, { deviceId: last.deviceId, fromMs: last.startedTs, toMs: to }, { limit: PAGE, after }),
    ),
    allPages((after) =>
      stores.meta.listAudit(scope, { deviceId: last.deviceId, fromMs: last.startedTs, toMs: to + 1 }, { limit: PAGE, after }),
    ),
    // A cook set in the cloud starts at the gateway a moment later: the user's call comes just before.
    stores.meta.listAudit(
      scope,
      { deviceId: last.deviceId, action: 'cook.set', fromMs: last.startedTs - SET_BEFORE_MS, toMs: last.startedTs },
      { limit: 1 },
    ),
  ]);
  audit.push(...setBefore.items);
  const evs: RecordEvent[] = events.reverse().map((e) => ({ ts: e.ts, type: e.type, severity: e.severity, data: e.data }));
  const actions: RecordAction[] = audit
    .reverse()
    .map((a) => ({ ts: a.ts, actor: a.actor.id ? `${a.actor.type} ${a.actor.id}` : a.actor.type, action: a.action, reason: a.reason }));
  return buildCookRecord({
    cookId,
    deviceId: last.deviceId,
    gatewayId: last.gatewayId,
    spec: last.spec,
    specs: specVersionsOf(rows, last.startedTs),
    state: replacedTs !== null && last.state !== 'stopped' ? 'replaced' : last.state,
    startedTs: last.startedTs,
    endedTs,
    readings: points.map((p) => ({ ts: p.ts, tempC: p.temperature })),
    events: evs,
    actions,
  });
}

const csvRows = (points: StoredPoint[]) =>
  points.map((p) => csvRow([p.deviceId, p.gatewayId, p.boot, p.seq, p.ts, p.temperature, p.sensor, p.heater, p.rssi])).join('');

/**
 * The raw readings of [from, to) as CSV chunks, a page of `CSV_PAGE` points at a time, oldest
 * first. Each page starts at the last page's last time: readings of the same millisecond (other
 * boots, other seqs) that the last page already held are skipped, and the rest come with this
 * one. So the store is asked once per page of data, however long the range (an empty year is one
 * query), and a client that goes away stops the reading at the next page.
 */
async function* csvOf(stores: Stores, series: Series, from: number, to: number): AsyncGenerator<string> {
  yield csvRow(CLOUD_READINGS_COLUMNS);
  const keyOf = (p: StoredPoint) => `${p.gatewayId}\u0000${p.boot}\u0000${p.seq}`;
  let start = from;
  let sent = new Set<string>();
  for (;;) {
    const page = await stores.telemetry.points(series, start, to, CSV_PAGE);
    const fresh = page.filter((p) => p.ts !== start || !sent.has(keyOf(p)));
    if (fresh.length) yield csvRows(fresh);
    if (page.length < CSV_PAGE) return;
    const last = page[page.length - 1]!.ts;
    if (last === start && fresh.length === 0) {
      // A whole page within one millisecond, all sent before: take the rest of that millisecond at once.
      const rest = await stores.telemetry.points(series, start, start + 1);
      const more = rest.filter((p) => !sent.has(keyOf(p)));
      if (more.length) yield csvRows(more);
      start += 1;
      sent = new Set();
      continue;
    }
    const atLast = page.filter((p) => p.ts === last).map(keyOf);
    sent = last === start ? new Set([...sent, ...atLast]) : new Set(atLast);
    start = last;
  }
}

export async function cookRoutes(http: FastifyInstance, deps: RouteDeps): Promise<void> {
  const { auth, stores, now } = deps;
  const tags = ['cooks'];

  http.get(
    '/v1/cooks',
    {
      onRequest: auth.role('viewer'),
      schema: {
        summary: 'Cooks started in [from, to) (epoch ms; default the last 30 days), newest first, cursor-paged',
        tags,
        security: SECURITY,
        querystring: doc(ListQuery),
      },
    },
    async (req) => {
      const q = parse(ListQuery, req.query, 'query');
      const { from, to } = rangeOf(q, now(), 30 * DAY_MS);
      const rows = await stores.meta.cooksStarted(scopeOf(req.principal), from, to, MAX_ROWS);
      const key = (c: { startedTs: number; id: string }): [number, string] => [c.startedTs, c.id];
      const all = [...latestPerCook(rows)].map(([id, r]) => summary(id, r)).sort(byNewest(key));
      return { from, to, ...pageNewestFirst(all, q.cursor, q.limit, key) };
    },
  );

  http.get(
    '/v1/cooks/:id',
    {
      onRequest: auth.role('viewer'),
      schema: {
        summary: 'One cook as a record: who, when, kit, food, target, curve, danger zone, time at target, lethality, alarms, actions',
        tags,
        security: SECURITY,
        params: doc(CookParams),
      },
    },
    async (req) => {
      const { id } = parse(CookParams, req.params, 'params');
      return cookRecord(stores, scopeOf(req.principal), id, now());
    },
  );

  http.get(
    '/v1/devices/:id/readings.csv',
    {
      onRequest: auth.role('viewer'),
      schema: {
        summary: 'Raw readings of [from, to) as CSV with a header row (epoch ms; default the last 24 h), streamed',
        tags: ['devices'],
        security: SECURITY,
        params: doc(DeviceParams),
        querystring: doc(RangeQuery),
      },
    },
    async (req, reply) => {
      const { id } = parse(DeviceParams, req.params, 'params');
      const { from, to } = rangeOf(parse(RangeQuery, req.query, 'query'), now(), DAY_MS);
      const scope = scopeOf(req.principal);
      if (!(await stores.meta.getDevice(scope, id)))
        throw new SvError('SV_ERR_NOT_FOUND', `device ${id} is unknown`, ['params.id: no such device']);
      const series = await seriesOf(stores, scope, id);
      reply
        .header('content-type', 'text/csv; charset=utf-8')
        .header('content-disposition', `attachment; filename="${id}-${from}-${to}.csv"`);
      return reply.send(Readable.from(csvOf(stores, series, from, to)));
    },
  );
}
