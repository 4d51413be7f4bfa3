import type { z } from 'zod';
import type { CookRecord } from './batch.js';
import { cookIdOf } from './cook-id.js';

/** A device's desired cook in the cloud, as the sync rule sees it; `spec` is the stored JSON, null for "no cook". */
export interface DesiredEntry {
  cookId: string;
  spec: string | null;
  updatedTs: number;
}

type CookRecordLike = Pick<z.infer<typeof CookRecord>, 'id' | 'version' | 'state' | 'spec' | 'updatedTs'>;

const RUNNING = new Set(['heating', 'holding']);
const STATE_RANK: Record<string, number> = { heating: 0, holding: 1, done: 2, stopped: 2 };

/**
 * The cloud's side of the sync rule (docs/sync.md) for one device, pure: the desired entry after
 * the gateway's cook records, or undefined when they change nothing. A cook changed at the
 * kitchen becomes the desired cook when its stamp (`updatedTs`: when it was started, changed or
 * stopped) is later than the desired entry's; a tie goes to the cloud. A cook that ends (done,
 * stopped) with the stamp of the desired cook ends the desired entry too (`spec` null). The
 * decision is by stamp, never by arrival order: replays and records in any order give the same
 * result. The gateway's side is `resolveCook` (gateway/relay/downlink.ts).
 */
export function adoptCook(current: DesiredEntry | undefined, records: readonly CookRecordLike[]): DesiredEntry | undefined {
  let cur = current;
  let moved = false;
  const sorted = [...records].sort((a, b) => a.updatedTs - b.updatedTs || (STATE_RANK[a.state] ?? 0) - (STATE_RANK[b.state] ?? 0));
  for (const r of sorted) {
    const cookId = cookIdOf(r);
    const running = RUNNING.has(r.state);
    const newer = cur === undefined || r.updatedTs > cur.updatedTs;
    const endsDesired = cur !== undefined && cookId === cur.cookId && r.updatedTs >= cur.updatedTs && !running && cur.spec !== null;
    if (!newer && !endsDesired) continue;
    const spec = running ? JSON.stringify(r.spec) : null;
    if (cur && cur.cookId === cookId && cur.spec === spec && (spec === null || cur.updatedTs === r.updatedTs)) continue;
    cur = { cookId, spec, updatedTs: r.updatedTs };
    moved = true;
  }
  return moved ? cur : undefined;
}
