import { h } from '../dom.js';
import type { Kind } from '../model.js';

/**
 * The login form: the cloud takes an API key, the gateway its operator token. The key is kept in
 * sessionStorage (gone when the tab closes) and checked by one real API call before it is kept.
 */
export function loginView(kind: Kind, name: string, check: (key: string) => Promise<string | null>): HTMLElement {
  const what = kind === 'cloud' ? 'API key' : 'Operator token';
  const hint =
    kind === 'cloud'
      ? 'From "sousvide cloud key add --role operator", or the key the demo printed.'
      : 'From "sousvide gateway token", or the token the demo printed. Works with the internet down.';
  const input = h('input', {
    id: 'key',
    name: 'key',
    type: 'password',
    autocomplete: 'current-password',
    required: true,
    spellcheck: 'false',
    'aria-describedby': 'key-hint',
  });
  const msg = h('p', { id: 'login-error', class: 'error', role: 'alert' });
  const button = h('button', { type: 'submit' }, 'Log in');
  const form = h(
    'form',
    { class: 'login card', 'aria-labelledby': 'login-title' },
    h('h1', { id: 'login-title' }, `Sous-vide ${kind === 'cloud' ? 'cloud' : `gateway ${name}`}`),
    h('label', { for: 'key' }, what),
    input,
    h('p', { id: 'key-hint', class: 'hint' }, hint),
    msg,
    button,
  );
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    button.disabled = true;
    msg.textContent = '';
    const problem = await check(input.value.trim());
    button.disabled = false;
    if (problem) {
      msg.textContent = problem;
      input.focus();
    }
  });
  queueMicrotask(() => input.focus());
  return h('main', { id: 'main' }, form);
}
