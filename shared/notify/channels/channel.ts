import type { Notification } from '../message.js';

/** One way out for notifications. `send` resolves when the receiver accepted it, throws otherwise. */
export interface Channel {
  readonly name: ChannelName;
  send(n: Notification): Promise<void>;
  close?(): void;
}

export type ChannelName = 'webhook' | 'ntfy' | 'email';

/** The fetch a channel uses (the cloud passes one that refuses private addresses). */
export type Fetch = typeof fetch;

/** How long one attempt may take before it counts as failed. */
export const SEND_TIMEOUT_MS = 15_000;

/** A receiver's non-2xx answer, named with its status and the start of its body (never our secrets). */
export async function httpFailure(res: Response): Promise<Error> {
  const text = (await res.text().catch(() => '')).slice(0, 200).replace(/\s+/g, ' ').trim();
  return new Error(`HTTP ${res.status}${text ? `: ${text}` : ''}`);
}

/** A failed attempt in one line for the delivery row and the log: code, message and cause (at most 300 characters). */
export function describeFailure(err: unknown): string {
  const e = err as Error & { cause?: Error & { code?: string }; code?: string };
  const cause = e.cause ? `: ${e.cause.code ?? e.cause.message}` : '';
  return `${e.code ? `${e.code} ` : ''}${e.message}${cause}`.slice(0, 300);
}
