import { Histogram } from '../histogram.js';

/**
 * Publish → visible through the cloud API, end to end: a few sample kits' latest state is read
 * through `GET /v1/devices/:id` every `everyMs`; each new `(boot, seq)` seen counts
 * `seen − ts`, where `ts` is the device time the kit stamped when it published. The load
 * generator runs on the cloud's host, so both times come from the same clock; the poll interval
 * adds up to `everyMs` to each figure (reported beside the percentiles).
 */
export class VisibilityProbe {
  readonly latency = new Histogram();
  errors = 0;
  private readonly last = new Map<string, string>();
  private timer: NodeJS.Timeout | undefined;
  private busy = false;

  constructor(
    private readonly base: string,
    private readonly apiKey: string,
    private readonly deviceIds: readonly string[],
    readonly everyMs = 200,
  ) {}

  start(): void {
    this.timer = setInterval(() => void this.poll(), this.everyMs);
  }

  stop(): void {
    clearInterval(this.timer);
  }

  private async poll(): Promise<void> {
    if (this.busy) return; // a slow cloud skips polls rather than piling them up
    this.busy = true;
    try {
      await Promise.all(this.deviceIds.map((id) => this.read(id)));
    } finally {
      this.busy = false;
    }
  }

  private async read(id: string): Promise<void> {
    try {
      const res = await fetch(`${this.base}/v1/devices/${encodeURIComponent(id)}`, {
        headers: { authorization: `Bearer ${this.apiKey}` },
        signal: AbortSignal.timeout(5000),
      });
      if (res.status === 404) return; // not ingested yet
      if (!res.ok) {
        this.errors++;
        return;
      }
      const seenAt = Date.now();
      const body = (await res.json()) as { state: { boot: number | null; seq: number | null; ts: number | null } | null };
      const s = body.state;
      if (!s || s.seq === null || s.ts === null) return;
      const key = `${s.boot}/${s.seq}`;
      if (this.last.get(id) === key) return;
      const first = !this.last.has(id);
      this.last.set(id, key);
      // The first state seen may be old (published before polling began): not a latency sample.
      if (!first) this.latency.record(Math.max(0, seenAt - s.ts));
    } catch {
      this.errors++;
    }
  }
}
