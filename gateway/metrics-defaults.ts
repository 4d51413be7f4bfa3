import { readdirSync, statSync } from 'node:fs';
import { collectDefaultMetrics, Gauge, type Registry } from 'prom-client';

/**
 * prom-client's default metrics whose scrape walks every open handle: the active handles and
 * resources lists (an array of ~10,000 socket objects or strings per scrape at 10k kits) and
 * process_open_fds (a readdir of /proc/self/fd). At 10k kits they cost a few per cent of the
 * broker's thread at a 2 s scrape, and their garbage (ADR 038). The connection gauges carry what
 * the handle lists said; open fds are kept, counted without the list.
 */
const PER_HANDLE_SCANS = [
  'nodejs_active_handles',
  'nodejs_active_handles_total',
  'nodejs_active_resources',
  'nodejs_active_resources_total',
  'process_open_fds',
] as const;

/** Node's default metrics without the per-handle scans; `process_open_fds` counted cheaply. */
export function registerDefaultMetrics(r: Registry): void {
  collectDefaultMetrics({ register: r });
  for (const name of PER_HANDLE_SCANS) r.removeSingleMetric(name);
  if (process.platform !== 'linux') return;
  new Gauge({
    name: 'process_open_fds',
    help: 'Number of open file descriptors.',
    registers: [r],
    collect() {
      this.set(openFds());
    },
  });
}

/** Linux ≥ 6.2 reports the count as the size of /proc/self/fd; older kernels answer 0 there, then the directory is read. */
export function openFds(): number {
  try {
    const size = statSync('/proc/self/fd').size;
    if (size > 0) return size;
    return readdirSync('/proc/self/fd').length - 1; // minus the descriptor readdir itself used
  } catch {
    return 0;
  }
}
