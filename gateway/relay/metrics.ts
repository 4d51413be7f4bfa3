import { Gauge, type Registry } from 'prom-client';
import type { Relay } from './relay.js';
import { relayStatus } from './status.js';

const LINK_STATES = ['starting', 'up', 'retrying', 'throttled', 'unauthorized', 'refused', 'stopped'] as const;

/** Backlog and link gauges in the gateway's registry; each reads the relay at scrape time. */
export function registerRelayMetrics(registry: Registry, relay: Relay): void {
  const snap = () => relayStatus(relay, Date.now());
  const gauge = (name: string, help: string, value: () => number | null) =>
    new Gauge({
      name,
      help,
      registers: [registry],
      collect() {
        const v = value();
        this.set(v ?? Number.NaN);
      },
    });
  gauge('relay_backlog_records', 'Records waiting in the outbox', () => snap().backlog.records);
  gauge('relay_backlog_bytes', 'Bytes of records waiting in the outbox (the quota counts these)', () => snap().backlog.bytes);
  gauge('relay_backlog_oldest_age_seconds', 'Age of the oldest record in the outbox', () => {
    const a = snap().backlog.oldestAgeMs;
    return a === null ? 0 : a / 1000;
  });
  gauge('relay_send_records_per_second', 'Records acknowledged by the cloud per second (last 10 s)', () => snap().sendPerS);
  gauge('relay_inflow_records_per_second', 'Records queued in the outbox per second', () => snap().inflowPerS);
  gauge('relay_drain_eta_seconds', 'Time to empty the outbox at the current net rate (NaN while it grows)', () => snap().drainEtaS);
  gauge('relay_since_last_success_seconds', 'Time since the last batch the cloud acknowledged (NaN before the first)', () => {
    const s = snap().sinceLastSuccessMs;
    return s === null ? null : s / 1000;
  });
  gauge('relay_batch_target_records', 'Current adaptive batch size', () => relay.batchTarget);
  new Gauge({
    name: 'relay_dropped_records',
    help: 'Records dropped since start, by reason (quota:<kind>, rejected:<kind>)',
    labelNames: ['reason'],
    registers: [registry],
    collect() {
      this.reset();
      for (const [reason, n] of Object.entries(relay.drops.totals)) this.set({ reason }, n);
    },
  });
  new Gauge({
    name: 'relay_link_state',
    help: 'Cloud link state (1 for the current one)',
    labelNames: ['state'],
    registers: [registry],
    collect() {
      for (const s of LINK_STATES) this.set({ state: s }, relay.state === s ? 1 : 0);
    },
  });
}
