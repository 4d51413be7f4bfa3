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
  updatedTs: number;
  /** Who set it: a cloud desired state or a local change (local API, the kitchen). */
  origin: 'cloud' | 'local';
}

export type CookDecision =
  | { action: 'keep'; why: 'same' | 'local-newer' | 'none' | 'local-not-stoppable' }
  | { action: 'apply'; cook: NonNullable<DesiredCook> }
  | { action: 'stop'; cookId: string };

/**
 * The sync rule of docs/sync.md for one device, local state vs the cloud's desired entry:
 * - the same cook id and spec already running: nothing to do (replays after a restart are no-ops);
 * - otherwise the later `updatedTs` wins; a tie goes to the cloud (one deterministic answer);
 *   a local change that wins stays, and its cook record (already in the outbox) tells the cloud;
 * - a cloud "no cook" (null) stops only a cook that came from the cloud: the contract carries no
 *   timestamp for a stop, so it cannot prove it is newer than a cook started in the kitchen.
 */
export function resolveCook(local: LocalCook | null, desired: DesiredCook): CookDecision {
  if (desired === null) {
    if (local === null || local.spec === null) return { action: 'keep', why: 'none' };
    if (local.origin === 'cloud') return { action: 'stop', cookId: local.id };
    return { action: 'keep', why: 'local-not-stoppable' };
  }
  if (local && local.id === desired.id && JSON.stringify(local.spec) === JSON.stringify(desired.spec)) {
    return { action: 'keep', why: 'same' };
  }
  if (local && local.updatedTs > desired.updatedTs) return { action: 'keep', why: 'local-newer' };
  return { action: 'apply', cook: desired };
}
