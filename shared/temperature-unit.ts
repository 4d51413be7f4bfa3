/**
 * Degrees Celsius or Fahrenheit, for what people read and type. Every API, store and message on
 * the wire stays in °C; only text for a person converts (the dashboard's preference, a message).
 */
export type TempUnit = 'C' | 'F';

export const toUnit = (c: number, unit: TempUnit): number => (unit === 'F' ? (c * 9) / 5 + 32 : c);
/** A value typed in `unit` back to °C, rounded to 0.1 °C (the API's resolution in practice). */
export const fromUnit = (v: number, unit: TempUnit): number => (unit === 'F' ? Math.round((((v - 32) * 5) / 9) * 10) / 10 : v);
/** A temperature difference (a band's width), which has no offset. */
export const deltaToUnit = (c: number, unit: TempUnit): number => (unit === 'F' ? (c * 9) / 5 : c);
export const unitSign = (unit: TempUnit): string => (unit === 'F' ? '°F' : '°C');
/** "57.0 °C" / "134.6 °F". */
export const formatTemp = (c: number, unit: TempUnit, digits = 1): string => `${toUnit(c, unit).toFixed(digits)} ${unitSign(unit)}`;
/** "4–54 °C" / "40–130 °F": a range of whole degrees. */
export const formatRange = (lo: number, hi: number, unit: TempUnit): string =>
  `${Math.round(toUnit(lo, unit))}–${Math.round(toUnit(hi, unit))} ${unitSign(unit)}`;
