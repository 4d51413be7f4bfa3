/** A tiny element builder: enough for a handful of views without a framework. */
type Attrs = Record<string, string | number | boolean | undefined | null | ((ev: Event) => void)>;
export type Child = Node | string | number | null | undefined | false;

export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Attrs = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (typeof v === 'function') el.addEventListener(k.replace(/^on/, ''), v);
    else if (k === 'class') el.className = String(v);
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  append(el, children);
  return el;
}

export function append(el: Element, children: Child[]): void {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : String(c));
  }
}

/** Replaces an element's children (text updates keep the element, so focus and screen-reader position stay). */
export function fill(el: Element, ...children: Child[]): void {
  el.replaceChildren();
  append(el, children);
}

export function setText(el: Element | null, text: string): void {
  if (el && el.textContent !== text) el.textContent = text;
}

/**
 * Names each table cell after its column (`data-label` from the header cell), so that on a phone
 * the stylesheet can stack a row into labelled lines instead of scrolling sideways. Idempotent:
 * only cells without a label are touched.
 */
export function labelCells(root: Element): void {
  for (const td of root.querySelectorAll<HTMLTableCellElement>('tbody td:not([data-label])')) {
    const table = td.closest('table');
    const th = table?.tHead?.rows[0]?.cells[td.cellIndex];
    td.dataset.label = td.colSpan > 1 ? '' : (th?.textContent ?? '');
  }
}
