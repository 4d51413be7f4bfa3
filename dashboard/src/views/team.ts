import { fill, h } from '../dom.js';
import { dateTime } from '../format.js';
import { ApiError } from '../http.js';
import { type Member, ROLES, type Role, type UsersApi } from '../model.js';
import { inviteSection } from './team-invite.js';
import { memberState, refusal } from './team-words.js';
import type { View } from './view.js';

interface Note {
  text: string;
  bad: boolean;
}

/**
 * Team (the cloud, an org admin's): the org's users with their role and whether they accepted
 * their invitation; invite one (team-invite.ts), change a role, remove a user or withdraw an
 * invitation not accepted yet (both DELETE /v1/users/{id}). The API checks every rule again; its
 * refusal, in plain words, stays next to the row it concerns until that row's next action, and
 * a refresh replaces only the rows that changed (a role being picked elsewhere is kept).
 * The logged-in user's own row has no controls: nobody changes or removes themselves (409).
 */
export function teamView(api: UsersApi, me: string): View {
  const notes = new Map<string, Note>();
  const body = h('tbody', {});
  const denied = h('p', { class: 'hint', 'data-field': 'team-denied', hidden: true });
  const caption = "The org's users and open invitations";
  const table = h(
    'div',
    { class: 'table-wrap', tabindex: 0, role: 'region', 'aria-label': caption },
    h(
      'table',
      {},
      h('caption', {}, caption),
      h('thead', {}, h('tr', {}, ...['E-mail', 'Role', 'State', 'Added', 'Actions'].map((x) => h('th', { scope: 'col' }, x)))),
      body,
    ),
  );
  // A failed refresh here is told by the next poll, in the page's alert region.
  const invite = inviteSection(api, () => void view.refresh().catch(() => {}));
  const el = h('section', { class: 'team', 'aria-labelledby': 'team-title' }, h('h1', { id: 'team-title' }, 'Team'), denied, table, invite);

  let users: Member[] = [];
  const rows = new Map<string, { key: string; tr: HTMLTableRowElement }>();
  const act = async (u: Member, button: HTMLButtonElement, run: () => Promise<unknown>, done: string) => {
    notes.delete(u.id);
    button.disabled = true; // one call at a time per button: a double click sends one request
    try {
      await run();
      notes.set(u.id, { text: done, bad: false });
    } catch (err) {
      notes.set(u.id, { text: `Not done: ${refusal(err)}`, bad: true });
    } finally {
      button.disabled = false;
    }
    await view.refresh().catch(() => render());
  };
  const controls = (u: Member, onlyAdmin: boolean) => {
    if (u.id === me)
      return [
        h(
          'p',
          { class: 'hint', 'data-field': 'self' },
          'This is you: you cannot change your own role or remove yourself; another admin of the org can.',
          onlyAdmin ? " You are the org's only admin: invite or promote another admin first." : '',
        ),
      ];
    const pick = h(
      'select',
      { 'aria-label': `Role of ${u.email}` },
      ...ROLES.map((r) => h('option', { value: r, selected: r === u.role }, r)),
    );
    const change = h('button', { type: 'button', 'aria-label': `Change role of ${u.email}` }, 'Change role');
    change.addEventListener('click', () => {
      const role = pick.value as Role;
      void act(u, change, () => api.setRole(u.id, role), `Role changed to ${role}.`);
    });
    const invited = !u.passwordSet;
    const verb = invited ? 'Withdraw invitation' : 'Remove';
    const remove = h(
      'button',
      { type: 'button', class: 'danger', 'aria-label': `${invited ? 'Withdraw invitation of' : 'Remove'} ${u.email}` },
      verb,
    );
    remove.addEventListener('click', () => {
      const question = invited
        ? `Withdraw the invitation of ${u.email}? Their link stops working.`
        : `Remove ${u.email} from the org? Their sessions end, and the API keys and open invitations they made are withdrawn.`;
      if (!window.confirm(question)) return;
      void act(u, remove, () => api.remove(u.id), '');
    });
    return [h('div', { class: 'buttons' }, pick, change, remove)];
  };
  const line = (u: Member, onlyAdmin: boolean) => {
    const note = notes.get(u.id);
    return h(
      'tr',
      { 'data-id': u.id, 'data-email': u.email, 'data-role': u.role },
      h('td', {}, u.email, u.id === me ? ' (you)' : ''),
      h('td', {}, u.role, u.serviceAdmin ? ' (service admin)' : ''),
      h('td', {}, memberState(u)),
      h('td', {}, h('time', { datetime: new Date(u.createdMs).toISOString() }, dateTime(u.createdMs))),
      h(
        'td',
        {},
        ...controls(u, onlyAdmin),
        h('p', { class: note?.bad ? 'error' : 'ok', role: 'status', 'data-field': 'row-note' }, note?.text ?? ''),
      ),
    );
  };
  function render(): void {
    // A removed user's note goes with the row (its success needs no words: the row is gone).
    for (const id of notes.keys()) if (!users.some((u) => u.id === id)) notes.delete(id);
    const onlyAdmin = users.filter((u) => u.role === 'admin' && u.disabledMs === null).length === 1;
    const next = users.map((u) => {
      const key = JSON.stringify([u, onlyAdmin && u.id === me, notes.get(u.id)]);
      const old = rows.get(u.id);
      return { id: u.id, key, tr: old?.key === key ? old.tr : line(u, onlyAdmin), old };
    });
    const sameOrder = next.length === rows.size && next.every((r, i) => body.rows[i] === r.old?.tr);
    if (sameOrder) for (const r of next) if (r.old && r.old.tr !== r.tr) r.old.tr.replaceWith(r.tr);
    if (!sameOrder) fill(body, ...(next.length === 0 ? [h('tr', {}, h('td', { colspan: 5 }, 'No users.'))] : next.map((r) => r.tr)));
    rows.clear();
    for (const r of next) rows.set(r.id, { key: r.key, tr: r.tr });
  }
  const view: View = {
    title: 'Team',
    el,
    async refresh() {
      try {
        users = (await api.list()).sort((x, y) => x.email.localeCompare(y.email));
      } catch (err) {
        if (!(err instanceof ApiError && err.status === 403)) throw err;
        // Demoted while the page was open: the role is read at every request.
        denied.textContent = `Only an admin of the org sees and manages its users (${refusal(err)}).`;
        denied.hidden = false;
        table.hidden = true;
        invite.hidden = true;
        return;
      }
      denied.hidden = true;
      table.hidden = false;
      invite.hidden = false;
      render();
    },
  };
  return view;
}
