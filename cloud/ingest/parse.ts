import { z } from 'zod';
import { SvError } from '../../shared/errors.js';
import { MAX_BATCH_RECORDS, RelayBatch, RelayRecord } from '../../shared/relay/batch.js';
import { formatIssues } from '../../shared/zod-issues.js';
import type { DeadLetter } from '../stores/types.js';
import { fastTelemetry } from './fast-telemetry.js';

/** The batch envelope with records left unchecked: they are validated one by one. */
const EnvelopeOnly = RelayBatch.extend({ records: z.array(z.unknown()).max(MAX_BATCH_RECORDS) });

/**
 * A malformed envelope (version, batch id, backlog, not an array of at most MAX_BATCH_RECORDS) is
 * a 400 naming the fields: nothing of it can be trusted. An invalid record inside a well-formed
 * batch is dead-lettered and reported in the reply instead, so that one bad record does not hold
 * back thousands of good ones in the gateway's outbox (docs/design.md invariant 5).
 */
export function parseBatch(body: unknown): { batch: RelayBatch; rejected: DeadLetter[]; positions: number[] } {
  const env = EnvelopeOnly.safeParse(body);
  if (!env.success) {
    throw new SvError('SV_ERR_PAYLOAD_INVALID', 'batch does not match the relay contract', formatIssues(env.error, 'body').slice(0, 50));
  }
  const records: RelayRecord[] = [];
  /** Index in the received batch of each valid record. */
  const positions: number[] = [];
  const rejected: DeadLetter[] = [];
  env.data.records.forEach((raw, index) => {
    // Valid telemetry (nearly every record of a drain) skips zod; anything else gets zod's verdict.
    const fast = fastTelemetry(raw);
    if (fast) {
      records.push(fast);
      positions.push(index);
      return;
    }
    const r = RelayRecord.safeParse(raw);
    if (r.success) {
      records.push(r.data);
      positions.push(index);
    } else
      rejected.push({
        index,
        reasons: formatIssues(r.error, `records.${index}`).slice(0, 20),
        payload: JSON.stringify(raw).slice(0, 4096),
      });
  });
  return { batch: { ...env.data, records }, rejected, positions };
}
