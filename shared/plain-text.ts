import { z } from 'zod';

/**
 * Text a person typed that is shown again (a food's name on a dashboard, a report, a
 * notification): 1..max characters without control characters (NUL, newlines, escape codes) or
 * the invisible marks that reorder text (bidirectional overrides and isolates), which would make
 * what is shown differ from what was typed. Letters, emoji and their joiners are all fine.
 */
const HIDDEN = /[\p{Cc}\u061C\u200E\u200F\u202A-\u202E\u2066-\u2069]/u;

export function plainText(max: number) {
  return z
    .string()
    .min(1)
    .max(max)
    .refine((s) => !HIDDEN.test(s), { message: 'must be plain text (no control characters or text-direction marks)' });
}
