import { h } from '../dom.js';
import type { CookRequest } from '../model.js';

/**
 * Start / change / stop a cook. Native form controls with labels and limits (the API checks them
 * again and its error, naming the field, is shown in the alert region).
 */
export function cookForm(o: { start(spec: CookRequest): Promise<void>; stop(): Promise<void> }) {
  const target = h('input', { id: 'cook-target', name: 'targetC', type: 'number', min: 20, max: 95, step: 0.5, value: 57, required: true });
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
    target.value = String(p.spec.targetC);
    minutes.value = p.spec.durationMin === undefined ? '' : String(p.spec.durationMin);
    food.value = p.spec.food ?? '';
    kind.value = p.spec.foodKind ?? '';
    shape.value = p.spec.foodShape ?? 'slab';
    thickness.value = p.spec.thicknessMm === undefined ? '' : String(p.spec.thicknessMm);
  });
  const status = h('p', { class: 'hint', role: 'status' });
  const submit = h('button', { type: 'submit' }, 'Start cook');
  const stop = h('button', { type: 'button', class: 'danger' }, 'Stop cook');
  const busy = async (fn: () => Promise<void>, done: string) => {
    submit.disabled = stop.disabled = true;
    status.textContent = '';
    try {
      await fn();
      status.textContent = done;
    } finally {
      submit.disabled = stop.disabled = false;
    }
  };
  const form = h(
    'form',
    { class: 'cook-form', 'aria-labelledby': 'cook-title' },
    h('h2', { id: 'cook-title' }, 'Cook'),
    presetRow,
    h('div', { class: 'row' }, h('label', { for: 'cook-target' }, 'Target °C'), target),
    h('div', { class: 'row' }, h('label', { for: 'cook-duration' }, 'Timer (minutes, empty = hold)'), minutes),
    h('div', { class: 'row' }, h('label', { for: 'cook-food' }, 'Food (optional)'), food),
    h('div', { class: 'row' }, h('label', { for: 'cook-kind' }, 'Food kind (for safe-at)'), kind),
    h('div', { class: 'row' }, h('label', { for: 'cook-shape' }, 'Shape'), shape),
    h('div', { class: 'row' }, h('label', { for: 'cook-thickness' }, 'Thickness (mm, smallest side)'), thickness),
    h(
      'div',
      { class: 'row check' },
      override,
      h('label', { for: 'cook-override' }, 'Low-temperature override (below 54.4 °C for more than 4 h; audited)'),
    ),
    h('div', { class: 'buttons' }, submit, stop),
    status,
  );
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const spec: CookRequest = { targetC: Number(target.value) };
    if (minutes.value !== '') spec.durationMin = Number(minutes.value);
    if (food.value.trim() !== '') spec.food = food.value.trim();
    if (kind.value !== '') {
      spec.foodKind = kind.value;
      spec.foodShape = shape.value;
      if (thickness.value !== '') spec.thicknessMm = Number(thickness.value);
    }
    if (override.checked) spec.lowTempOverride = true;
    void busy(() => o.start(spec), `Cook set to ${spec.targetC} °C.`).catch(() => {});
  });
  stop.addEventListener('click', () => void busy(() => o.stop(), 'Stop sent.').catch(() => {}));
  let filled = false;
  return {
    el: form,
    /** Offers the presets of the gateway (or of the org, on the cloud). */
    setPresets(list: { name: string; spec: CookRequest }[]) {
      presets = list;
      preset.replaceChildren(h('option', { value: '' }, 'none'), ...list.map((p) => h('option', { value: p.name }, p.name)));
      presetRow.hidden = list.length === 0;
    },
    /** Shows the running cook's values once (never overwrites what the user is typing). */
    setRunning(running: { targetC: number; durationMin: number | null; food: string | null } | null) {
      submit.textContent = running ? 'Change cook' : 'Start cook';
      stop.disabled = running === null;
      if (filled || !running) return;
      filled = true;
      target.value = String(running.targetC);
      minutes.value = running.durationMin === null ? '' : String(running.durationMin);
      food.value = running.food ?? '';
    },
  };
}
