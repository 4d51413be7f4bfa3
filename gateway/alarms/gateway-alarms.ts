import { EventEmitter } from 'node:events';
import type { Database } from 'better-sqlite3';
import type { Ack, Alarm } from '../../shared/alarms/lifecycle.js';
import type { Logger } from '../../shared/log.js';
import { getAlarm, stepsOfEvent } from '../store/alarms.js';
import { type AlarmItem, STORED } from '../store/items.js';
import type { StoreWriter } from '../store/writer.js';

export interface GatewayAlarmsDeps {
  store: StoreWriter;
  reader: () => Database;
  relayOn: () => boolean;
  /** An alarm was acknowledged (here or in the cloud): its reminders stop (the notifier's `acknowledge`). */
  onAcknowledged: (alarmId: string) => void;
  log: Logger;
}

/**
 * The gateway's alarm steps from outside control: a person's acknowledgement (local API) and the
 * cloud's acknowledgements coming down with the relay's replies (docs/sync.md). Control's own steps
 * (raise, clear) commit with their events (gateway/store/alarm-writer.ts). Emits `change` with the
 * alarm after each step (raise, acknowledge, clear) once committed, for live views.
 */
export class GatewayAlarms extends EventEmitter<{ change: [Alarm] }> {
  constructor(private readonly d: GatewayAlarmsDeps) {
    super();
  }

  get(id: string): Alarm | null {
    return getAlarm(this.d.reader(), id);
  }

  /** Null when no such alarm; else the alarm after the acknowledgement (the first one stays). */
  async acknowledge(id: string, ack: Ack, actor: AlarmItem['actor']): Promise<{ alarm: Alarm; changed: boolean } | null> {
    if (this.get(id) === null) return null;
    const changed = await this.write({ t: 'alarm', op: { kind: 'ack', id, ack }, actor, relay: this.d.relayOn() });
    const alarm = this.get(id) as Alarm;
    if (changed) this.changed(alarm);
    return { alarm, changed };
  }

  /** The cloud's state of alarms (the downlink): merged here, each answered with the state here. */
  readonly fromCloud = async (alarms: readonly Alarm[]): Promise<void> => {
    for (const a of alarms) {
      const changed = await this.write({ t: 'alarm', op: { kind: 'merge', alarm: a }, actor: { type: 'cloud' }, relay: this.d.relayOn() });
      const after = this.get(a.id);
      if (changed && after) this.changed(after);
    }
  };

  /** After the commit of a control event: `change` for the alarm it raised and those it cleared. */
  afterEvent(e: { id: string; deviceId: string | null; type: string; ts: number }): void {
    try {
      for (const a of stepsOfEvent(this.d.reader(), e)) this.emit('change', a);
    } catch (err) {
      this.d.log.warn({ err }, 'alarms: could not read the alarms of an event');
    }
  }

  private changed(a: Alarm): void {
    if (a.acknowledgedAt !== null) this.d.onAcknowledged(a.id);
    this.emit('change', a);
  }

  private write(item: AlarmItem): Promise<boolean> {
    return new Promise((resolve, reject) => this.d.store.write(item, (err, outcome) => (err ? reject(err) : resolve(outcome === STORED))));
  }
}
