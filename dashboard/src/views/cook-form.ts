import { h } from '../dom.js';
import { temp } from '../format.js';
import { refusal } from '../http.js';
import type { CookRequest, CookView } from '../model.js';
import { shown, sign, typed } from '../units.js';

/** A °C value as the form shows it (the reader's unit, 0.1 resolution). */
const field = (c: number) => String(Math.round(shown(c) * 10) / 10);

/**
 * Start / change / stop a cook. Native form controls with labels and limits, in the reader's unit
 * (the API gets °C). The API checks everything again; its refusal, naming the field, is shown in
 * the form's own alert and stays there until the user acts again (the page's polls do not clear
 * it). Stopping asks first: a stop switches the heater off. A running cook fills every field
 * (food kind, shape, thickness, the low-temperature override too), so "Change cook" sends the whole
 * cook with only what was edited changed; it fills again whenever the cook changes (here or
 * elsewhere), unless the form is being edited.
 */
export function cookForm(o: {
  kit: string;
  /** Why this session may not change a cook (a viewer): the form is shown disabled, with the reason. */
  readOnly?: string | null;
  start(spec: CookRequest): Promise<void>;
  stop(): Promise<void>;
}) {
  const target = h('input', {
    id: 'cook-target',
    name: 'targetC',
    type: 'number',
    min: field(20),
    max: field(95),
    // 0.1 in either unit: the API takes any target (a cook at 60.2 °C must stay changeable).
    step: 0.1,
    value: field(57),
    required: true,
  });
  const minutes = h('input', {
    id: 'cook-duration',
    name: 'durationMin',
    type: 'number',
    min: 1,
    max: 10080,
    step: 1,
    inputmode: 'numeric',
  });
  const food = h('input', { id: 'cook-food', name: 'food', type: 'text', maxlength: 64, autocomplete: 'off' });
  const kind = h(
    'select',
    { id: 'cook-kind', name: 'foodKind' },
    h('option', { value: '' }, 'not named (no safe-at)'),
    h('option', { value: 'poultry' }, 'Poultry'),
    h('option', { value: 'beef-pork' }, 'Beef, pork, lamb'),
    h('option', { value: 'fish' }, 'Fish'),
    h('option', { value: 'eggs' }, 'Eggs (in shell)'),
  );
  const shape = h(
    'select',
    { id: 'cook-shape', name: 'foodShape' },
    h('option', { value: 'slab' }, 'Slab (steak, breast)'),
    h('option', { value: 'cylinder' }, 'Cylinder (roast, sausage)'),
    h('option', { value: 'sphere' }, 'Sphere (egg, meatball)'),
  );
  const thickness = h('input', {
    id: 'cook-thickness',
    name: 'thicknessMm',
    type: 'number',
    min: 2,
    max: 150,
    step: 1,
    inputmode: 'numeric',
  });
  const override = h('input', { id: 'cook-override', name: 'lowTempOverride', type: 'checkbox' });
  const preset = h('select', { id: 'cook-preset', name: 'preset' }, h('option', { value: '' }, 'none'));
  const presetRow = h('div', { class: 'row', hidden: true }, h('label', { for: 'cook-preset' }, 'Preset'), preset);
  let presets: { name: string; spec: CookRequest }[] = [];
  // Choosing a preset fills the form; the cook then starts with exactly its values.
  preset.addEventListener('change', () => {
    const p = presets.find((x) => x.name === preset.value);
    if (!p) return;
    target.value = field(p.spec.targetC);
    minutes.value = p.spec.durationMin === undefined ? '' : String(p.spec.durationMin);
    food.value = p.spec.food ?? '';
    kind.value = p.spec.foodKind ?? '';
    shape.value = p.spec.foodShape ?? 'slab';
    thickness.value = p.spec.thicknessMm === undefined ? '' : String(p.spec.thicknessMm);
  });
  const status = h('p', { class: 'hint', role: 'status' });
  const error = h('p', { id: 'cook-error', class: 'error form-error', role: 'alert', 'data-field': 'cook-error' });
  const submit = h('button', { type: 'submit' }, 'Start cook');
  const stop = h('button', { type: 'button', class: 'danger' }, 'Stop cook');
  let running = false;
  let edited = false;
  /** The version of the cook the fields show (null: none shown yet). */
  let shownVersion: string | null = null;
  const busy = async (fn: () => Promise<void>, done: string) => {
    submit.disabled = stop.disabled = true;
    status.textContent = '';
    error.textContent = '';
    // Sent: the cook the API then holds fills the form (the refresh after the answer).
    edited = false;
    try {
      await fn();
      status.textContent = done;
    } catch (err) {
      error.textContent = refusal(err);
      edited = true; // what was typed stays for another try
    } finally {
      submit.disabled = Boolean(o.readOnly);
      stop.disabled = !running || Boolean(o.readOnly);
    }
  };
  const form = h(
    'form',
    { class: 'cook-form', 'aria-labelledby': 'cook-title', 'aria-describedby': 'cook-error' },
    h('h2', { id: 'cook-title' }, 'Cook'),
    presetRow,
    h('div', { class: 'row' }, h('label', { for: 'cook-target' }, `Target ${sign()}`), target),
    h('div', { class: 'row' }, h('label', { for: 'cook-duration' }, 'Timer (minutes, empty = hold)'), minutes),
    h('div', { class: 'row' }, h('label', { for: 'cook-food' }, 'Food (optional)'), food),
    h('div', { class: 'row' }, h('label', { for: 'cook-kind' }, 'Food kind (for safe-at)'), kind),
    h('div', { class: 'row' }, h('label', { for: 'cook-shape' }, 'Shape'), shape),
    h('div', { class: 'row' }, h('label', { for: 'cook-thickness' }, 'Thickness (mm, smallest side)'), thickness),
    h(
      'div',
      { class: 'row check' },
      override,
      h('label', { for: 'cook-override' }, `Low-temperature override (below ${temp(54.4)} for more than 4 h; audited)`),
    ),
    error,
    h('div', { class: 'buttons' }, submit, stop),
    status,
    o.readOnly ? h('p', { class: 'hint', 'data-field': 'cook-readonly' }, o.readOnly) : null,
  );
  if (o.readOnly) for (const c of form.querySelectorAll('input, select, button')) (c as HTMLInputElement).disabled = true;
  // The user's next action (typing, choosing) retires an error; a poll never does.
  // It also marks the form as being edited: a poll or a change elsewhere no longer refills it.
  for (const ev of ['input', 'change'])
    form.addEventListener(ev, () => {
      error.textContent = '';
      edited = true;
    });
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const spec: CookRequest = { targetC: typed(Number(target.value)) };
    if (minutes.value !== '') spec.durationMin = Number(minutes.value);
    if (food.value.trim() !== '') spec.food = food.value.trim();
    if (kind.value !== '') {
      spec.foodKind = kind.value;
      spec.foodShape = shape.value;
      if (thickness.value !== '') spec.thicknessMm = Number(thickness.value);
    }
    if (override.checked) spec.lowTempOverride = true;
    void busy(() => o.start(spec), `Cook set to ${temp(spec.targetC)}.`);
  });
  stop.addEventListener('click', () => {
    error.textContent = '';
    if (!window.confirm(`Stop the cook on ${o.kit}? The heater will be switched off.`)) {
      status.textContent = 'The cook keeps running.';
      return;
    }
    void busy(() => o.stop(), 'Stop sent.');
  });
  return {
    el: form,
    /** Offers the presets of the gateway (or of the org, on the cloud). */
    setPresets(list: { name: string; spec: CookRequest }[]) {
      presets = list;
      preset.replaceChildren(h('option', { value: '' }, 'none'), ...list.map((p) => h('option', { value: p.name }, p.name)));
      presetRow.hidden = list.length === 0;
    },
    /** Shows the running cook's whole spec, again on each new version of it (never over what the user is editing). */
    setRunning(cook: CookView | null) {
      running = cook !== null;
      submit.textContent = cook ? 'Change cook' : 'Start cook';
      if (!submit.disabled) stop.disabled = !running;
      if (o.readOnly) submit.disabled = stop.disabled = true;
      if (!cook || cook.version === shownVersion) return;
      if (edited) {
        if (shownVersion !== null && !status.textContent?.startsWith('The cook was changed'))
          status.textContent = 'The cook was changed elsewhere while you edit; submitting sends the values shown here.';
        return;
      }
      shownVersion = cook.version;
      const s = cook.spec;
      target.value = field(s.targetC);
      minutes.value = s.durationMin === undefined ? '' : String(s.durationMin);
      food.value = s.food ?? '';
      kind.value = s.foodKind ?? '';
      shape.value = s.foodShape ?? 'slab';
      thickness.value = s.thicknessMm === undefined ? '' : String(s.thicknessMm);
      override.checked = s.lowTempOverride === true;
    },
  };
}
