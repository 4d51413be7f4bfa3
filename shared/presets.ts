import { z } from 'zod';
import { CookSpec } from './cook.js';

/**
 * A named cook preset (food, target, time, thickness): what a cook needs, minus the override a
 * user must give per cook. A cook started from a preset runs its spec.
 */
export const PresetName = z
  .string()
  .regex(/^[a-z0-9][a-z0-9-]{0,47}$/, 'must match ^[a-z0-9][a-z0-9-]{0,47}$ (lower-case letters, digits, dashes)');

export const PresetSpec = CookSpec.omit({ lowTempOverride: true });
export type PresetSpec = z.infer<typeof PresetSpec>;

export const Preset = z.strictObject({ name: PresetName, spec: PresetSpec, updatedTs: z.number().int().min(0) });
export type Preset = z.infer<typeof Preset>;

export const PresetFile = z.strictObject({ v: z.literal(1), presets: z.array(Preset).max(500) });
