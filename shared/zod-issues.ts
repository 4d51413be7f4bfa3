import type { z } from 'zod';

/**
 * Turns zod issues into `field: reason` lines, the one format every bad input is reported in
 * (config at boot, device payloads, API requests, CLI arguments).
 */
export function formatIssues(error: z.ZodError, prefix = ''): string[] {
  const lines: string[] = [];
  for (const issue of error.issues) {
    const base = [prefix, ...issue.path.map(String)].filter((p) => p !== '').join('.');
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) {
        lines.push(`${base ? `${base}.` : ''}${key}: unknown field`);
      }
      continue;
    }
    lines.push(`${base || '(root)'}: ${issue.message}`);
  }
  return lines;
}

/** The first field a list of formatted issues names (for counters and dead-letter reasons). */
export function firstField(lines: readonly string[]): string | undefined {
  const first = lines[0];
  if (first === undefined) return undefined;
  const i = first.indexOf(':');
  return i > 0 ? first.slice(0, i) : undefined;
}
