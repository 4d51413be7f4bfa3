import { chmodSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SvError } from '../../shared/errors.js';
import { type Preset, PresetFile, type PresetSpec } from '../../shared/presets.js';
import { formatIssues } from '../../shared/zod-issues.js';

/**
 * The gateway's cook presets: one small JSON file in the data directory (0600), replaced
 * atomically (write a temp file, rename). Read per request; presets are few and rarely change.
 */
export const PRESETS_FILE = 'presets.json';

export class PresetStore {
  private readonly file: string;

  constructor(dataDir: string) {
    this.file = join(dataDir, PRESETS_FILE);
  }

  list(): Preset[] {
    let text: string;
    try {
      text = readFileSync(this.file, 'utf8');
    } catch {
      return [];
    }
    const r = PresetFile.safeParse(JSON.parse(text));
    if (!r.success) throw new SvError('SV_ERR_STORE_FAILED', `${this.file} is not a preset file`, formatIssues(r.error, PRESETS_FILE));
    return r.data.presets;
  }

  get(name: string): Preset | null {
    return this.list().find((p) => p.name === name) ?? null;
  }

  put(name: string, spec: PresetSpec, nowMs: number): Preset {
    const preset: Preset = { name, spec, updatedTs: nowMs };
    this.write([...this.list().filter((p) => p.name !== name), preset].sort((a, b) => a.name.localeCompare(b.name)));
    return preset;
  }

  delete(name: string): boolean {
    const all = this.list();
    const left = all.filter((p) => p.name !== name);
    if (left.length === all.length) return false;
    this.write(left);
    return true;
  }

  private write(presets: Preset[]): void {
    const tmp = `${this.file}.tmp`;
    writeFileSync(tmp, `${JSON.stringify({ v: 1, presets })}\n`, { mode: 0o600 });
    chmodSync(tmp, 0o600);
    renameSync(tmp, this.file);
  }
}
