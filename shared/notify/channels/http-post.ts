import { type Fetch, httpFailure, SEND_TIMEOUT_MS } from './channel.js';

/** What stands for the configured URL, or a part of it, in a failure's text. */
const HIDDEN = '<url>';

/**
 * The texts of `url` that a failure may repeat and that must not reach the log, the store or the
 * API (hook URLs carry tokens in their path or query, ntfy URLs a password): the URL as written
 * and as parsed, its path with the query, the query alone and its user name and password.
 */
function urlParts(url: string): string[] {
  const parts = [url];
  try {
    const u = new URL(url);
    parts.push(u.href, `${u.pathname}${u.search}`, u.search, decodeURIComponent(u.password), u.password, decodeURIComponent(u.username));
  } catch {
    // not a URL: the text as written is all there is to hide
  }
  // Longest first, so that a whole URL is hidden as one; a part of one or two characters ("/") is no secret.
  return [...new Set(parts)].filter((p) => p.length > 2).sort((a, b) => b.length - a.length);
}

/** `text` with every part of `url` replaced by `<url>`. */
export function hideUrl(text: string, url: string): string {
  let out = text;
  for (const part of urlParts(url)) out = out.split(part).join(HIDDEN);
  return out;
}

type Cause = Error & { code?: unknown; errors?: unknown[]; cause?: unknown };

/** The first errno-style code (ECONNREFUSED, ENOTFOUND, UND_ERR_SOCKET …) in an error's causes. */
function causeCode(err: unknown, depth = 0): string | undefined {
  if (depth > 4 || typeof err !== 'object' || err === null) return undefined;
  const e = err as Cause;
  if (typeof e.code === 'string' && e.code !== '') return e.code;
  for (const inner of e.errors ?? []) {
    const code = causeCode(inner, depth + 1);
    if (code) return code;
  }
  return causeCode(e.cause, depth + 1);
}

/** Why fetch threw, in a few words: the timeout, or its message with the code of its cause. */
function fetchReason(err: unknown): string {
  const e = err as Cause;
  if (e?.name === 'TimeoutError') return `no answer within ${SEND_TIMEOUT_MS / 1000} s (timeout)`;
  const code = causeCode(e.cause);
  const inner = e.cause instanceof Error ? e.cause.message : '';
  return `${e?.message ?? String(err)}${code ? `: ${code}` : inner ? `: ${inner}` : ''}`;
}

/**
 * POSTs a notification to a receiver; resolves when it answered 2xx. A failure is thrown as one
 * short line (the cause's code, or the receiver's status and the start of its answer) in which
 * no part of `shownUrl`, the URL as configured, appears.
 */
export async function postNotification(fetchImpl: Fetch, url: string, init: RequestInit, shownUrl: string = url): Promise<void> {
  const hide = (text: string) => hideUrl(hideUrl(text, shownUrl), url);
  let res: Response;
  try {
    res = await fetchImpl(url, { ...init, signal: AbortSignal.timeout(SEND_TIMEOUT_MS) });
  } catch (err) {
    throw new Error(hide(fetchReason(err)).slice(0, 300));
  }
  if (!res.ok) throw new Error(hide((await httpFailure(res)).message));
  await res.body?.cancel();
}
