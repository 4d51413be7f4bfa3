import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * What the demo keeps between runs besides the gateway's and the cloud's own stores: the
 * gateway's cloud token (shown once by the cloud, so it must be kept), each kit's secret and
 * boot counter (a restarted kit is a rebooted kit: boot + 1, or its readings would dedupe away),
 * and the bath temperatures. Secrets: the file is 0600, like the gateway's own key files.
 */
export interface DemoState {
  cloudGateway?: { id: string; token: string };
  adminKeyId?: string;
  kits: Record<string, { secret: string; boot: number; waterC?: number }>;
}

export const STATE_FILE = 'demo-state.json';

export function loadState(dataDir: string): DemoState {
  try {
    const s = JSON.parse(readFileSync(join(dataDir, STATE_FILE), 'utf8')) as DemoState;
    return { ...s, kits: s.kits ?? {} };
  } catch {
    return { kits: {} };
  }
}

export function saveState(dataDir: string, s: DemoState): void {
  const file = join(dataDir, STATE_FILE);
  // Write then rename: a Ctrl-C mid-write must not lose the only copy of the gateway token.
  writeFileSync(`${file}.tmp`, `${JSON.stringify(s, null, 2)}\n`, { mode: 0o600 });
  renameSync(`${file}.tmp`, file);
}
