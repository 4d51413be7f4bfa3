import { clearedBy, raisedBy } from '../../shared/alarms/lifecycle.js';
import type { CookSpec } from '../../shared/cook.js';
import type { NotifiableEvent } from '../../shared/notify/message.js';
import type { RelayRecord } from '../../shared/relay/batch.js';
import { cookRecordId } from '../../shared/relay/cook-id.js';
import { toAuditRecord, toEventRecord } from '../control/records.js';
import type { AuditIntent, ControlEvent } from '../control/types.js';
import type { NotifyPlan } from '../store/items.js';
import type { StoreWriter } from '../store/writer.js';
import { newId } from './ids.js';

export type Actor = { type: 'engine' | 'watchdog' | 'user' | 'cloud' | 'system'; id?: string };

type CookChange = {
  id: string;
  version: number;
  state: 'heating' | 'holding' | 'done' | 'stopped';
  spec: CookSpec;
  startedTs: number;
  updatedTs: number;
  /** When it reached its target, and when it was done (wall clock): kept in the local cooks table for a resume, not relayed. */
  reachedTs?: number | null;
  doneTs?: number | null;
};

/** Told after an event or a cook change is committed (the live stream, ADR 034); must return at once. */
export interface RecordListener {
  event(e: NotifiableEvent): void;
  cook(deviceId: string, c: CookChange): void;
}

/**
 * Where control, watchdog and API actions leave their trace: the local events / audit / cooks
 * tables (for the local API) and, in the same transaction, the outbox (for the cloud) when the
 * relay is on. Audit is never evicted (docs/design.md invariant 1). An event that notifies carries
 * its notification and delivery rows into the same commit (gateway/notify/), and so does the alarm
 * it raises or clears (gateway/store/alarm-writer.ts).
 */
export class RecordSink {
  constructor(
    private readonly store: StoreWriter,
    private readonly relayOn: () => boolean,
    private readonly onError: (err: Error) => void,
    private readonly notify?: (e: NotifiableEvent, ctx: { cooking: boolean }) => NotifyPlan | null,
    /** After the commit of an event that raised or cleared alarms (gateway/alarms/: live views). */
    private readonly alarmStep?: (e: { id: string; deviceId: string | null; type: string; ts: number }) => void,
    private readonly listener?: RecordListener,
  ) {}

  /** `ctx.cooking`: a cook was running on the kit (a kit going offline notifies only then). */
  event(deviceId: string | null, e: ControlEvent, ts: number, ctx = { cooking: false }): string {
    const id = newId('ev', ts);
    const record = toEventRecord(e, id, deviceId as string, ts);
    const rec = { ...record, deviceId } as RelayRecord;
    const notifiable = { id, deviceId, type: e.type, severity: e.severity, ts, data: e.data };
    // The alarm it raises or clears (shared/alarms/lifecycle.ts) commits with the event.
    const raise = raisedBy(notifiable);
    const clears = clearedBy(e.type);
    const plan = this.notify?.(notifiable, ctx) ?? null;
    this.store.write(
      {
        t: 'event',
        id,
        deviceId,
        type: e.type,
        severity: e.severity,
        safety: e.safety,
        ts,
        data: JSON.stringify(e.data),
        outbox: this.outbox(rec),
        notify: plan?.rows ?? null,
        notified: plan?.notified ?? null,
        alarm: raise || clears.length > 0 ? { raise, clears } : null,
      },
      raise || clears.length > 0 || this.listener
        ? (err) => {
            this.done(err);
            if (err) return;
            if (raise || clears.length > 0) this.alarmStep?.({ id, deviceId, type: e.type, ts });
            this.listener?.event({ id, deviceId, type: e.type, severity: e.severity, ts, data: e.data });
          }
        : this.done,
    );
    return id;
  }

  audit(deviceId: string | null, actor: Actor, action: string, reason: string, data: Record<string, unknown>, ts: number): string {
    const id = newId('au', ts);
    const intent: AuditIntent = {
      actor: actor.type === 'engine' || actor.type === 'watchdog' ? actor.type : 'engine',
      action,
      reason,
      data,
    };
    const rec = { ...toAuditRecord(intent, id, deviceId as string, ts), actor, deviceId } as RelayRecord;
    this.store.write(
      {
        t: 'audit',
        id,
        ts,
        actor: actor.type,
        actorId: actor.id ?? null,
        deviceId,
        action,
        reason: reason.slice(0, 256),
        data: JSON.stringify(data),
        outbox: this.outbox(rec),
      },
      this.done,
    );
    return id;
  }

  auditIntent(deviceId: string, a: AuditIntent, ts: number): void {
    this.audit(deviceId, { type: a.actor }, a.action, a.reason, a.data, ts);
  }

  /** `localOnly`: only the local row's reached / done times changed; nothing for the relay or the listener. */
  cook(deviceId: string, c: CookChange, localOnly = false): void {
    const rec: RelayRecord = {
      kind: 'cook',
      id: cookRecordId(c.id, c.version, c.state),
      deviceId,
      version: c.version,
      state: c.state,
      spec: c.spec,
      startedTs: c.startedTs,
      updatedTs: c.updatedTs,
    };
    this.store.write(
      {
        t: 'cook',
        deviceId,
        id: c.id,
        version: c.version,
        state: c.state,
        spec: JSON.stringify(c.spec),
        startedTs: c.startedTs,
        updatedTs: c.updatedTs,
        reachedTs: c.reachedTs ?? null,
        doneTs: c.doneTs ?? null,
        outbox: localOnly ? null : this.outbox(rec),
      },
      this.listener && !localOnly
        ? (err) => {
            this.done(err);
            if (!err) this.listener?.cook(deviceId, c);
          }
        : this.done,
    );
  }

  commandResult(rec: Extract<RelayRecord, { kind: 'command_result' }>): void {
    if (!this.relayOn()) return;
    this.store.write(
      { t: 'out', priority: 0, kind: 'command_result', record: JSON.stringify(rec), ts: rec.ackTs ?? rec.issuedTs },
      this.done,
    );
  }

  private outbox(rec: RelayRecord): string | null {
    return this.relayOn() ? JSON.stringify(rec) : null;
  }

  private readonly done = (err: Error | null) => {
    if (err) this.onError(err);
  };
}
