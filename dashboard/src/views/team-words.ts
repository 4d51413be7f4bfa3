import { ApiError } from '../http.js';
import type { Member } from '../model.js';

/** What a field named in an error's details is, for a person on the Team page. */
const SUBJECT: Record<string, string> = {
  'params.id': 'this user',
  'body.email': 'e-mail',
  'body.role': 'role',
  'principal.role': 'your role',
};

/**
 * The API's refusal in plain words: its message, then each detail with the field said as a
 * person would ("this user: the only admin of the org", "e-mail: already taken").
 */
export function refusal(err: unknown): string {
  if (!(err instanceof ApiError)) return (err as Error).message;
  const why = err.details.map((d) => {
    const at = d.indexOf(': ');
    const subject = at > 0 ? SUBJECT[d.slice(0, at)] : undefined;
    return subject ? `${subject}: ${d.slice(at + 2)}` : d;
  });
  return why.length > 0 ? `${err.message} (${why.join('; ')})` : err.message;
}

export function memberState(u: Member): string {
  if (u.disabledMs !== null) return 'disabled';
  return u.passwordSet ? 'active' : 'invited, not accepted yet';
}
