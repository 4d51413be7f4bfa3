import type { CookSpec } from '../../shared/cook.js';
import type { RelayReply } from '../../shared/relay/batch.js';

/** The desired state of a reply (already validated against shared/relay/batch.ts by the transport). */
export type DesiredState = NonNullable<RelayReply['desired']>;
export type DesiredCook = DesiredState['devices'][number]['cook'];

/**
 * Applies a desired state (the control integration: start/change/stop cooks through the same
 * path as the local API, audited with actor `cloud`). Resolves once applied; the relay then
 * reports `desired.version` as applied in its next batch. A rejection leaves the version
 * unchanged, so the cloud sends the state again with the next reply.
 */
export type DesiredHandler = (desired: DesiredState) => Promise<void>;

/** What the gateway runs on one device, as far as the sync rule needs it. */
export interface LocalCook {
  id: string;
  spec: CookSpec | null;
  /** The cook's stamp: when it was last started, changed or stopped (docs/sync.md). */
  updatedTs: number;
  /** 'cloud' when the cloud has it as its desired cook (it set it, or adopted it). */
  origin: 'cloud' | 'local';
}

export type CookDecision =
  | { action: 'keep'; why: 'same' | 'local-newer' | 'none' | 'local-not-stoppable' }
  | { action: 'apply'; cook: NonNullable<DesiredCook> }
  | { action: 'stop'; cookId: string };

/**
 * The sync rule of docs/sync.md for one device, local state vs the cloud's desired entry. Both
 * sides stamp a change (`updatedTs`) after the cook it replaces, and keep the other side's stamp
 * when they take its cook, so one order holds on both sides:
 * - the same cook id, not stamped later by the cloud: nothing to do (replays, the cloud echoing a
 *   cook it adopted, a cook that has since finished here);
 * - otherwise the later stamp wins; a tie goes to the cloud (one deterministic answer); a local
 *   change that wins stays, and its cook record (already in the outbox) makes the cloud adopt it;
 * - a cloud "no cook" (null) stops only a cook the cloud knows (it set it or adopted it): the
 *   contract carries no stamp for a stop, so it cannot prove it is newer than a cook started in
 *   the kitchen that the cloud has not seen yet.
 */
export function resolveCook(local: LocalCook | null, desired: DesiredCook): CookDecision {
  if (desired === null) {
    if (local === null || local.spec === null) return { action: 'keep', why: 'none' };
    if (local.origin === 'cloud') return { action: 'stop', cookId: local.id };
    return { action: 'keep', why: 'local-not-stoppable' };
  }
  if (local && local.id === desired.id && local.updatedTs >= desired.updatedTs) return { action: 'keep', why: 'same' };
  if (local && local.updatedTs > desired.updatedTs) return { action: 'keep', why: 'local-newer' };
  return { action: 'apply', cook: desired };
}
