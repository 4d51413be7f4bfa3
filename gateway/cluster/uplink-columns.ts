import type { Telemetry } from '../../shared/protocol/messages.js';
import { topics } from '../../shared/topics.js';
import type { ParsedUplink } from '../ingest/pipeline.js';
import type { UplinkItem } from './messages.js';

/**
 * A broker node's uplinks of one event-loop turn on their way to the gateway process. Valid
 * telemetry, nearly every uplink, travels as columns (one Float64Array of its numbers, arrays of
 * its two strings) instead of a tuple holding a parsed object: the V8 serialiser of the IPC
 * channel writes every key of every object again, and the gateway process decodes them again
 * (the same finding as the writer thread's batches, ADR 038). Anything else travels as its
 * tuple; `0` holds a telemetry item's place, so the order is kept.
 */
export interface UplinkBatch {
  items: (UplinkItem | 0)[];
  tel: UplinkTelColumns | null;
}

export interface UplinkTelColumns {
  ids: string[];
  sensors: string[];
  /** WIDTH numbers per reading: ref, qos, v, boot, seq, ts, tempC, heater (0/1), rssi; NaN = null or absent. */
  nums: Float64Array;
}

const WIDTH = 9;

const isColumnar = (it: UplinkItem): boolean => it[2] === 'telemetry' && it[6].ok;

export function packUplinks(items: readonly UplinkItem[]): UplinkBatch {
  let n = 0;
  for (const it of items) if (isColumnar(it)) n++;
  if (n === 0) return { items: items as UplinkItem[], tel: null };
  const tel: UplinkTelColumns = { ids: [], sensors: [], nums: new Float64Array(n * WIDTH) };
  const nums = tel.nums;
  const out: (UplinkItem | 0)[] = [];
  let o = 0;
  for (const it of items) {
    if (!isColumnar(it)) {
      out.push(it);
      continue;
    }
    const m = (it[6] as { ok: true; value: Telemetry }).value;
    out.push(0);
    tel.ids.push(it[1]);
    tel.sensors.push(m.sensor);
    nums[o] = it[0];
    nums[o + 1] = it[4];
    nums[o + 2] = m.v;
    nums[o + 3] = m.boot;
    nums[o + 4] = m.seq;
    nums[o + 5] = m.ts ?? Number.NaN;
    nums[o + 6] = m.tempC ?? Number.NaN;
    nums[o + 7] = m.heater ? 1 : 0;
    nums[o + 8] = m.rssi ?? Number.NaN;
    o += WIDTH;
  }
  return { items: out, tel };
}

/** Every uplink of a batch in order, as it was packed (the gateway process's side). */
export function* unpackUplinks(b: UplinkBatch): Generator<UplinkItem> {
  let k = 0;
  for (const it of b.items) {
    if (it !== 0) {
      yield it;
      continue;
    }
    const tel = b.tel as UplinkTelColumns;
    const n = tel.nums;
    const o = k * WIDTH;
    const deviceId = tel.ids[k] as string;
    const ts = n[o + 5] as number;
    const tempC = n[o + 6] as number;
    const rssi = n[o + 8] as number;
    const value = {
      v: n[o + 2],
      boot: n[o + 3],
      seq: n[o + 4],
      ts: Number.isNaN(ts) ? null : ts,
      tempC: Number.isNaN(tempC) ? null : tempC,
      sensor: tel.sensors[k],
      heater: n[o + 7] === 1,
      ...(Number.isNaN(rssi) ? {} : { rssi }),
    } as Telemetry;
    const parsed: ParsedUplink = { ok: true, value };
    yield [n[o] as number, deviceId, 'telemetry', topics.telemetry(deviceId), n[o + 1] as number, null, parsed];
    k++;
  }
}
