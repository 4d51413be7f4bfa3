/** A cookie jar over fetch: what a browser keeps between calls (the session cookie, and the device cookie of its logins), for API tests. */
export function sessionClient(base: string) {
  let cookie = '';
  let device = '';
  let csrf = '';
  const call = async (method: string, path: string, body?: unknown, opts: { csrf?: boolean } = {}) => {
    const res = await fetch(`${base}${path}`, {
      method,
      headers: {
        ...(cookie || device ? { cookie: [cookie, device].filter(Boolean).join('; ') } : {}),
        ...(opts.csrf !== false && csrf ? { 'x-csrf-token': csrf } : {}),
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const set = res.headers.getSetCookie();
    for (const c of set) {
      const [pair] = c.split(';');
      if (pair?.startsWith('sv_session=')) cookie = /Expires=Thu, 01 Jan 1970/i.test(c) || pair === 'sv_session=' ? '' : pair;
      if (pair?.startsWith('sv_device=')) device = pair;
    }
    const text = await res.text();
    // biome-ignore lint/suspicious/noExplicitAny: test helper returns loosely typed JSON
    const json: any = text ? JSON.parse(text) : null;
    if (json?.csrfToken) csrf = json.csrfToken;
    return { status: res.status, body: json, setCookie: set };
  };
  return {
    call,
    login: (email: string, password: string) => call('POST', '/v1/auth/login', { email, password }),
    get cookie() {
      return cookie;
    },
    set cookie(v: string) {
      cookie = v;
    },
    /** The device cookie (`sv_device=…`) a login gave, or ''. */
    get device() {
      return device;
    },
    set device(v: string) {
      device = v;
    },
  };
}
