/** The one fetch wrapper: bearer key, JSON, and the API's error body ({error: {code, message, details}}) as an Error. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: string[],
  ) {
    super(message);
  }
}

/**
 * `key`: a bearer key (the gateway's operator token); or a session: the cookie goes by itself, the
 * CSRF token in a header. `as: 'text'` returns the body as text (CSV downloads).
 */
export function client(key: string | { csrf: () => string }) {
  return async function call<T>(method: string, path: string, body?: unknown, as: 'json' | 'text' = 'json'): Promise<T> {
    const auth: Record<string, string> =
      typeof key === 'string' ? { authorization: `Bearer ${key}` } : method === 'GET' ? {} : { 'x-csrf-token': key.csrf() };
    const res = await fetch(path, {
      method,
      credentials: 'same-origin',
      headers: { ...auth, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    if (res.ok && as === 'text') return text as T;
    const json = text === '' ? null : (JSON.parse(text) as unknown);
    if (!res.ok) {
      const e = (json as { error?: { code?: string; message?: string; details?: string[] } } | null)?.error;
      throw new ApiError(res.status, e?.code ?? `HTTP_${res.status}`, e?.message ?? `HTTP ${res.status}`, e?.details ?? []);
    }
    return json as T;
  };
}
export type Call = ReturnType<typeof client>;

/** An error in words for a person: the API's message with the details that name the field ("invalid body: body.targetC: …"). */
export function problem(err: unknown): string {
  if (err instanceof ApiError) return err.details.length > 0 ? `${err.message}: ${err.details.join('; ')}` : err.message;
  return (err as Error).message;
}
