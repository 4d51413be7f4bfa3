import { readFileSync } from 'node:fs';
import { Pool } from 'undici';
import { INSTANCE_HEADER, MAX_TARGET_HEADER, RelayReply, SENT_AT_HEADER } from '../../shared/relay/batch.js';
import { parseRetryAfter } from './pacing.js';

export interface TransportOptions {
  url: string;
  token: string;
  requestTimeoutMs: number;
  tlsCaFile?: string | undefined;
  tlsCertFile?: string | undefined;
  tlsKeyFile?: string | undefined;
  /** Keep-alive connections: one per batch in flight (ADR 022). Default 1. */
  connections?: number | undefined;
  /** The highest cook target this gateway accepts, sent with every batch (MAX_TARGET_HEADER). */
  maxTargetC?: number | undefined;
  /** This gateway process's random id, sent with every batch (INSTANCE_HEADER). */
  instance?: string | undefined;
}

/** What one POST /v1/ingest came to, classified for the relay loop. */
export type SendOutcome =
  | { kind: 'ok'; status: number; reply: RelayReply | undefined; invalidReply?: string }
  /** 429/503 and other 5xx: the cloud is alive but not taking data now. */
  | { kind: 'busy'; status: number; retryAfterMs: number | undefined }
  /**
   * The cloud says the batch is too large (413, or its code SV_ERR_BODY_TOO_LARGE), or names a
   * record of it (a detail `body.records.<index>…`): halve it, and dead-letter one record refused alone.
   */
  | { kind: 'rejected'; status: number; code: string | undefined; detail: string; tooLarge: boolean }
  /**
   * 400/422 for the batch itself (the envelope: a relay version the cloud does not take, a proxy's
   * own 400): no record is at fault, so nothing is dead-lettered; the batch waits, like a 401/403.
   */
  | { kind: 'refused'; status: number; code: string | undefined; detail: string }
  /** 401/403: the token is wrong or revoked; nothing will pass until an operator fixes it. */
  | { kind: 'unauthorized'; status: number }
  | { kind: 'network'; error: string };

/** The cloud's error codes that say the body is too large (shared/errors.ts; Fastify's body limit maps to the first). */
const TOO_LARGE_CODES = new Set(['SV_ERR_BODY_TOO_LARGE', 'SV_ERR_PAYLOAD_TOO_LARGE']);
/** A detail naming a record of the batch, as the cloud names fields (`body.records.12.tempC: …`). */
const RECORD_DETAIL = /^body\.records\.\d+[.:]/;

/**
 * A 400/413/422, told apart by the cloud's answer (`{error: {code, message, details}}`,
 * shared/http/errors.ts), never by guesswork: too large (413 or its code) or a record named → a
 * record-level refusal (bisect); anything else → the batch as a whole is refused. The cloud keeps
 * an invalid record itself and answers 200 (cloud/ingest/parse.ts), so its 400 is the envelope's
 * (`SV_ERR_PAYLOAD_INVALID` naming `body.v`, `body.batchId`…), and a proxy's 400 names nothing.
 */
export function refusal(status: number, text: string): Extract<SendOutcome, { kind: 'rejected' | 'refused' }> {
  let code: string | undefined;
  let details: string[] = [];
  try {
    const err = (JSON.parse(text) as { error?: { code?: unknown; details?: unknown } } | null)?.error;
    if (typeof err?.code === 'string') code = err.code;
    if (Array.isArray(err?.details)) details = err.details.filter((d): d is string => typeof d === 'string');
  } catch {
    // not the cloud's JSON (a proxy's page): no code, no details
  }
  const detail = (code ? `${code}: ${details.join('; ') || text}` : text).slice(0, 500);
  const tooLarge = status === 413 || (code !== undefined && TOO_LARGE_CODES.has(code));
  if (tooLarge || (code !== undefined && details.some((d) => RECORD_DETAIL.test(d)))) {
    return { kind: 'rejected', status, code, detail, tooLarge };
  }
  return { kind: 'refused', status, code, detail };
}

/**
 * The relay's HTTP client: one undici keep-alive pool to the cloud origin (a connection per batch
 * in flight, no HTTP pipelining), gzip bodies, the gateway token, optional mTLS.
 */
export class CloudTransport {
  private readonly pool: Pool;
  private readonly path: string;

  constructor(private readonly opts: TransportOptions) {
    const base = new URL(opts.url.endsWith('/') ? opts.url : `${opts.url}/`);
    this.path = new URL('v1/ingest', base).pathname;
    const tls = {
      ...(opts.tlsCaFile ? { ca: readFileSync(opts.tlsCaFile) } : {}),
      ...(opts.tlsCertFile ? { cert: readFileSync(opts.tlsCertFile) } : {}),
      ...(opts.tlsKeyFile ? { key: readFileSync(opts.tlsKeyFile) } : {}),
    };
    this.pool = new Pool(base.origin, {
      connections: opts.connections ?? 1,
      keepAliveTimeout: 30_000,
      connect: { timeout: Math.min(10_000, opts.requestTimeoutMs), ...tls },
    });
  }

  async send(body: Uint8Array, nowMs: () => number): Promise<SendOutcome> {
    let status: number;
    let text: string;
    let retryAfter: string | string[] | undefined;
    try {
      const res = await this.pool.request({
        path: this.path,
        method: 'POST',
        headers: {
          authorization: `Bearer ${this.opts.token}`,
          'content-type': 'application/json',
          'content-encoding': 'gzip',
          ...(this.opts.maxTargetC !== undefined ? { [MAX_TARGET_HEADER]: String(this.opts.maxTargetC) } : {}),
          ...(this.opts.instance !== undefined ? { [INSTANCE_HEADER]: this.opts.instance } : {}),
          // This attempt's time on the gateway's clock (a retried body keeps the sentAt it was made with).
          [SENT_AT_HEADER]: String(Math.trunc(nowMs())),
        },
        body,
        headersTimeout: this.opts.requestTimeoutMs,
        bodyTimeout: this.opts.requestTimeoutMs,
      });
      status = res.statusCode;
      retryAfter = res.headers['retry-after'];
      text = await res.body.text();
    } catch (err) {
      return { kind: 'network', error: (err as Error).message };
    }
    if (status >= 200 && status < 300) {
      // A 2xx means every sink committed (cloud ADR 013): the batch is delivered whatever the body says.
      try {
        const parsed = RelayReply.safeParse(JSON.parse(text));
        if (parsed.success) return { kind: 'ok', status, reply: parsed.data };
        return { kind: 'ok', status, reply: undefined, invalidReply: parsed.error.issues[0]?.message ?? 'invalid' };
      } catch (err) {
        return { kind: 'ok', status, reply: undefined, invalidReply: (err as Error).message };
      }
    }
    if (status === 401 || status === 403) return { kind: 'unauthorized', status };
    if (status === 400 || status === 413 || status === 422) return refusal(status, text);
    return { kind: 'busy', status, retryAfterMs: parseRetryAfter(retryAfter, nowMs()) };
  }

  /** Closes the pool, aborting a request in flight. */
  async close(): Promise<void> {
    await this.pool.destroy().catch(() => {});
  }
}
