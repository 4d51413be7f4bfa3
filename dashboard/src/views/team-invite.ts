import { h } from '../dom.js';
import { ROLES, type Role, type UsersApi } from '../model.js';
import { refusal } from './team-words.js';

/**
 * Invite a user by e-mail with a role (POST /v1/users). The one-time link the API answers is shown
 * here once, in a read-only field ready to copy; it is not kept anywhere and cannot be shown again
 * (a new invitation of a removed user makes a new link). A refusal is shown under the form.
 */
export function inviteSection(api: UsersApi, invited: () => void) {
  const email = h('input', { id: 'invite-email', name: 'email', type: 'email', autocomplete: 'off', required: true });
  const role = h('select', { id: 'invite-role', name: 'role' }, ...ROLES.map((r) => h('option', { value: r }, r)));
  const error = h('p', { class: 'error', id: 'invite-error', role: 'alert', 'data-field': 'invite-error' });
  const result = h('div', { class: 'invite-link', 'data-field': 'invite-link' });
  const submit = h('button', { type: 'submit' }, 'Invite');
  // novalidate: the API checks the e-mail, and its answer is the one shown (the same words as the CLI's).
  const form = h(
    'form',
    { class: 'invite-form', 'aria-labelledby': 'invite-title', novalidate: true },
    h('div', { class: 'row' }, h('label', { for: 'invite-email' }, 'E-mail'), email),
    h('div', { class: 'row' }, h('label', { for: 'invite-role' }, 'Role'), role),
    submit,
    error,
  );
  const show = (to: string, as: string, url: string | null) => {
    if (url === null) {
      result.replaceChildren(h('p', { role: 'status' }, `${to} was added with a password: no invitation link is needed.`));
      return;
    }
    const field = h('input', { id: 'invite-url', type: 'text', readonly: true, value: url, spellcheck: 'false' });
    field.addEventListener('focus', () => field.select());
    const copied = h('span', { role: 'status', 'data-field': 'copied' });
    const copy = h('button', { type: 'button' }, 'Copy link');
    const say = (text: string) => {
      copied.textContent = text;
    };
    // The clipboard API needs a secure context (https or localhost); elsewhere the link stays selected.
    copy.addEventListener('click', () => {
      field.select();
      if (!navigator.clipboard) return say(' Press Ctrl+C to copy the selected link.');
      navigator.clipboard.writeText(url).then(
        () => say(' Copied.'),
        () => say(' Press Ctrl+C to copy the selected link.'),
      );
    });
    result.replaceChildren(
      h(
        'p',
        { role: 'status' },
        h('strong', {}, `${to} is invited as ${as}.`),
        ' This link is shown once: copy it now and send it to them. It works once, for 7 days; to send a new one, withdraw the invitation and invite again.',
      ),
      h('div', { class: 'row' }, h('label', { for: 'invite-url' }, `Invitation link for ${to}`), field),
      h('div', { class: 'buttons' }, copy, copied),
    );
  };
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const to = email.value.trim();
    const as = role.value as Role;
    submit.disabled = true;
    error.textContent = '';
    api
      .invite(to, as)
      .then(
        (r) => {
          email.value = '';
          show(to, as, r.inviteUrl);
          invited();
        },
        (err) => {
          error.textContent = `Not invited: ${refusal(err)}`;
        },
      )
      .finally(() => {
        submit.disabled = false;
      });
  });
  return h(
    'section',
    { 'aria-labelledby': 'invite-title' },
    h('h2', { id: 'invite-title' }, 'Invite a user'),
    h(
      'p',
      { class: 'hint' },
      'A viewer sees kits, cooks and alarms; an operator also starts and stops cooks, saves presets and acknowledges alarms; an admin also manages gateways, API keys, notification channels and the team.',
    ),
    form,
    result,
  );
}
