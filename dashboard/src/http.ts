/**
 * The one fetch wrapper: bearer key, JSON, and the API's error body ({error: {code, message, details}}) as an Error.
 * An answer that is not the API's (a proxy's HTML 502, an empty 504, a dropped connection) is said
 * in plain words ("The gateway did not answer (502)"), never as a JSON parse error; for a change
 * (PUT, POST, DELETE) it is `outcomeUnknown`: the server may or may not have made it.
 */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: string[],
    /** True when the answer did not come from the API (so a change may or may not have been made). */
    readonly outcomeUnknown = false,
  ) {
    super(message);
  }
}

/** The API's error body, or null when the text is not one (a proxy's page, an empty body). */
function apiError(text: string): { code?: string; message?: string; details?: string[] } | null {
  try {
    const e = (JSON.parse(text) as { error?: unknown } | null)?.error;
    return e !== null && typeof e === 'object' && typeof (e as { message?: unknown }).message === 'string' ? e : null;
  } catch {
    return null;
  }
}

/**
 * `key`: a bearer key (the gateway's operator token); or a session: the cookie goes by itself, the
 * CSRF token in a header. `as: 'text'` returns the body as text (CSV downloads). `server`: how the
 * errors name the server ("The gateway", "The cloud").
 */
export function client(key: string | { csrf: () => string }, server = 'The server') {
  return async function call<T>(method: string, path: string, body?: unknown, as: 'json' | 'text' = 'json'): Promise<T> {
    const auth: Record<string, string> =
      typeof key === 'string' ? { authorization: `Bearer ${key}` } : method === 'GET' ? {} : { 'x-csrf-token': key.csrf() };
    const change = method !== 'GET';
    const unknown = change ? ': the change may or may not have been made; the page shows what it reports now' : '';
    let res: Response;
    let text: string;
    try {
      res = await fetch(path, {
        method,
        credentials: 'same-origin',
        headers: { ...auth, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      text = await res.text();
    } catch {
      throw new ApiError(0, 'NETWORK', `${server} could not be reached${unknown}`, [], change);
    }
    if (res.ok && as === 'text') return text as T;
    if (!res.ok) {
      const e = apiError(text);
      if (e === null)
        throw new ApiError(res.status, `HTTP_${res.status}`, `${server} did not answer (${res.status})${unknown}`, [], change);
      throw new ApiError(res.status, e.code ?? `HTTP_${res.status}`, e.message ?? `HTTP ${res.status}`, e.details ?? []);
    }
    if (text === '') return null as T;
    try {
      return JSON.parse(text) as T;
    } catch {
      throw new ApiError(res.status, 'NOT_JSON', `${server} answered something that is not the API's${unknown}`, [], change);
    }
  };
}
export type Call = ReturnType<typeof client>;

/** An error in words for a person: the API's message with the details that name the field ("invalid body: body.targetC: …"). */
export function problem(err: unknown): string {
  if (err instanceof ApiError) return err.details.length > 0 ? `${err.message}: ${err.details.join('; ')}` : err.message;
  return (err as Error).message;
}

/** How a form says a failed change: refused by the API ("Not accepted: …"), or with an unknown outcome. */
export function refusal(err: unknown): string {
  return err instanceof ApiError && err.outcomeUnknown ? `Outcome unknown: ${problem(err)}` : `Not accepted: ${problem(err)}`;
}
