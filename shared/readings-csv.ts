/**
 * Raw readings as CSV (RFC 4180): a header row, then one line per reading. Values are numbers,
 * enums and device ids, none of which needs quoting; null is an empty field, booleans are 1 / 0.
 */
export type CsvValue = string | number | boolean | null;

export function csvRow(values: readonly CsvValue[]): string {
  return `${values.map((v) => (v === null ? '' : typeof v === 'boolean' ? (v ? '1' : '0') : String(v))).join(',')}\n`;
}

/** The gateway's columns: its own receive time is known for every reading. */
export const GATEWAY_READINGS_COLUMNS = ['device_id', 'boot', 'seq', 'ts', 'rx_ts', 'temp_c', 'sensor', 'heater', 'rssi'] as const;
/** The cloud's columns: the reading time it stores (device time, else the gateway's receive time) and the relaying gateway. */
export const CLOUD_READINGS_COLUMNS = ['device_id', 'gateway_id', 'boot', 'seq', 'ts', 'temp_c', 'sensor', 'heater', 'rssi'] as const;
