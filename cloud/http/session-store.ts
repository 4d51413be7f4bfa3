import type { SessionStore } from '@fastify/session';
import type { Session } from 'fastify';
import { hashSecret } from '../auth/tokens.js';
import type { UserStore } from '../stores/types.js';

declare module 'fastify' {
  interface Session {
    userId?: string;
    orgId?: string;
    /** When the user logged in: the session ends auth.sessionTtlMs later, however often it is saved. */
    loginMs?: number;
  }
}

/**
 * @fastify/session's store in the cloud's own meta store (MySQL/MariaDB or the embedded SQLite
 * file), so every instance sees every session. Keyed by the SHA-256 of the session id: a copy of
 * the table logs nobody in. A session past its expiry reads as none.
 */
export class MetaSessionStore implements SessionStore {
  constructor(
    private readonly users: UserStore,
    private readonly now: () => number,
    private readonly ttlMs: number,
  ) {}

  set(sessionId: string, session: Session, callback: (err?: unknown) => void): void {
    const expires = (session.loginMs ?? this.now()) + this.ttlMs;
    this.users
      .setSession({
        idHash: hashSecret(sessionId),
        userId: session.userId ?? null,
        orgId: session.orgId ?? null,
        expiresMs: expires,
        data: JSON.stringify(session),
      })
      .then(() => callback(), callback);
  }

  get(sessionId: string, callback: (err: unknown, result?: Session | null) => void): void {
    this.users.getSession(hashSecret(sessionId), this.now()).then(
      (data) => callback(null, data === null ? null : (JSON.parse(data) as Session)),
      (err) => callback(err),
    );
  }

  destroy(sessionId: string, callback: (err?: unknown) => void): void {
    this.users.destroySession(hashSecret(sessionId)).then(() => callback(), callback);
  }
}
