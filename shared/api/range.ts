import { SvError } from '../errors.js';

/**
 * The one rule of a `?from=&to=` range on both APIs: `from` before `to` (a range is [from, to)).
 * A bound left out is open, so only a range with both bounds can be backwards.
 */
export function rangeProblem(from: number | undefined, to: number | undefined): string | null {
  return from !== undefined && to !== undefined && from >= to ? 'query.from: must be before query.to' : null;
}

/** Throws the 400 of a backwards range (rangeProblem); the bounds pass through unchanged. */
export function requireRange<R extends { from?: number | undefined; to?: number | undefined }>(range: R): R {
  const problem = rangeProblem(range.from, range.to);
  if (problem) throw new SvError('SV_ERR_VALIDATION', 'invalid query', [problem]);
  return range;
}
