import type { Call } from './http.js';
import type { Member, UsersApi } from './model.js';

/**
 * The org's users on the cloud (cloud/routes/users.ts, admin): GET /v1/users (every page),
 * POST /v1/users {email, role} (an invitation), PATCH /v1/users/{id} {role}, DELETE /v1/users/{id}.
 * There is no separate invitation resource: an invited user is a user whose password is not set.
 */
export function usersApi(call: Call): UsersApi {
  const path = (id: string) => `/v1/users/${encodeURIComponent(id)}`;
  return {
    async list() {
      const all: Member[] = [];
      let cursor: string | null = null;
      do {
        const q = new URLSearchParams({ limit: '500', ...(cursor ? { cursor } : {}) });
        const page: { items: Member[]; nextCursor: string | null } = await call('GET', `/v1/users?${q}`);
        all.push(...page.items);
        cursor = page.nextCursor;
      } while (cursor);
      return all;
    },
    invite: (email, role) => call('POST', '/v1/users', { email, role }),
    setRole: (id, role) => call('PATCH', path(id), { role }),
    async remove(id) {
      await call('DELETE', path(id));
    },
  };
}
