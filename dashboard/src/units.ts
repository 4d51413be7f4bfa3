import { formatRange, formatTemp, fromUnit, type TempUnit, toUnit, unitSign } from '../../shared/temperature-unit.js';
import { h } from './dom.js';

/**
 * The reader's °C/°F preference, kept in localStorage (per browser, survives logins). Only what is
 * shown and typed converts: every API call stays in °C (shared/temperature-unit.ts).
 */
const KEY = 'sv.unit';

export function unit(): TempUnit {
  try {
    return localStorage.getItem(KEY) === 'F' ? 'F' : 'C';
  } catch {
    return 'C';
  }
}

export function setUnit(u: TempUnit): void {
  localStorage.setItem(KEY, u);
}

/** "°C" or "°F". */
export const sign = () => unitSign(unit());
/** °C → the number shown (charts, form fields). */
export const shown = (c: number) => toUnit(c, unit());
/** A number typed in the form → °C for the API. */
export const typed = (v: number) => fromUnit(v, unit());
export const tempText = (c: number, digits = 1) => formatTemp(c, unit(), digits);
/** The danger zone, "4–54 °C". */
export const dangerZone = () => formatRange(4.4, 54.4, unit());

/** The °C/°F picker for the header; `changed` redraws the page on screen. */
export function unitPicker(changed: () => void): HTMLElement {
  const select = h('select', { id: 'unit-pref', name: 'unit' }, h('option', { value: 'C' }, '°C'), h('option', { value: 'F' }, '°F'));
  select.value = unit();
  select.addEventListener('change', () => {
    setUnit(select.value === 'F' ? 'F' : 'C');
    changed();
  });
  return h('div', { class: 'unit-pref' }, h('label', { for: 'unit-pref' }, 'Units'), select);
}
