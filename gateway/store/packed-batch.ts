import type { StoreItem, TelemetryItem } from './items.js';

/**
 * A group commit on its way to the writer thread. Telemetry, nearly every item, travels as
 * columns (one Float64Array of its numbers, arrays of its strings) instead of one object per
 * reading: the structured clone writes every key of every object again, and that clone and its
 * decoding cost the gateway's two threads several times what the columns do (ADR 038). Other
 * items travel as they are; `0` holds a telemetry item's place, so the order and the outcomes'
 * indexes are kept.
 */
export interface PackedBatch {
  items: (StoreItem | 0)[];
  tel: TelColumns | null;
}

export interface TelColumns {
  ids: string[];
  sensors: string[];
  outbox: (string | null)[];
  /** WIDTH numbers per reading: boot, seq, ts, rxTs, tempC, heater (0/1), rssi; NaN = null or absent. */
  nums: Float64Array;
}

const WIDTH = 7;

export function packBatch(items: readonly StoreItem[]): PackedBatch {
  let n = 0;
  for (const it of items) if (it.t === 'tel') n++;
  if (n === 0) return { items: items as StoreItem[], tel: null };
  const tel: TelColumns = { ids: [], sensors: [], outbox: [], nums: new Float64Array(n * WIDTH) };
  const nums = tel.nums;
  const out: (StoreItem | 0)[] = [];
  let o = 0;
  for (const it of items) {
    if (it.t !== 'tel') {
      out.push(it);
      continue;
    }
    out.push(0);
    tel.ids.push(it.deviceId);
    tel.sensors.push(it.sensor);
    tel.outbox.push(it.outbox);
    nums[o] = it.boot;
    nums[o + 1] = it.seq;
    nums[o + 2] = it.ts ?? Number.NaN;
    nums[o + 3] = it.rxTs;
    nums[o + 4] = it.tempC ?? Number.NaN;
    nums[o + 5] = it.heater ? 1 : 0;
    nums[o + 6] = it.rssi ?? Number.NaN;
    o += WIDTH;
  }
  return { items: out, tel };
}

/** The k-th telemetry item of a packed batch, as it was packed. */
export function unpackTelemetry(tel: TelColumns, k: number): TelemetryItem {
  const n = tel.nums;
  const o = k * WIDTH;
  const orNull = (x: number) => (Number.isNaN(x) ? null : x);
  const rssi = n[o + 6] as number;
  return {
    t: 'tel',
    deviceId: tel.ids[k] as string,
    boot: n[o] as number,
    seq: n[o + 1] as number,
    ts: orNull(n[o + 2] as number),
    rxTs: n[o + 3] as number,
    tempC: orNull(n[o + 4] as number),
    sensor: tel.sensors[k] as string,
    heater: n[o + 5] === 1,
    rssi: Number.isNaN(rssi) ? undefined : rssi,
    outbox: tel.outbox[k] ?? null,
  };
}

/** Every item of a packed batch in order (the writer thread's side). */
export function* unpackBatch(b: PackedBatch): Generator<StoreItem> {
  let k = 0;
  for (const it of b.items) yield it === 0 ? unpackTelemetry(b.tel as TelColumns, k++) : it;
}
