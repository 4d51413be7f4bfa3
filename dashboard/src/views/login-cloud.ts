import { h } from '../dom.js';

/**
 * The cloud's login form: e-mail and password (a server-side session; the browser keeps only an
 * httpOnly cookie). `invite`: the form of an invitation link, which sets the password instead.
 */
export function cloudLoginView(
  submit: (email: string, password: string) => Promise<string | null>,
  invite?: (password: string) => Promise<string | null>,
): HTMLElement {
  const email = h('input', { id: 'email', name: 'email', type: 'email', autocomplete: 'username', required: true });
  const password = h('input', {
    id: 'password',
    name: 'password',
    type: 'password',
    autocomplete: invite ? 'new-password' : 'current-password',
    required: true,
    minlength: invite ? 12 : undefined,
  });
  const msg = h('p', { id: 'login-error', class: 'error', role: 'alert' });
  const button = h('button', { type: 'submit' }, invite ? 'Set password' : 'Log in');
  const form = h(
    'form',
    { class: 'login card', 'aria-labelledby': 'login-title' },
    h('h1', { id: 'login-title' }, invite ? 'Welcome: choose a password' : 'Sous-vide cloud'),
    ...(invite ? [] : [h('label', { for: 'email' }, 'E-mail'), email]),
    h('label', { for: 'password' }, invite ? 'New password (at least 12 characters)' : 'Password'),
    password,
    msg,
    button,
  );
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    button.disabled = true;
    msg.textContent = '';
    const problem = invite ? await invite(password.value) : await submit(email.value.trim(), password.value);
    button.disabled = false;
    if (problem) {
      msg.textContent = problem;
      password.focus();
    }
  });
  queueMicrotask(() => (invite ? password : email).focus());
  return h('main', { id: 'main' }, form);
}
