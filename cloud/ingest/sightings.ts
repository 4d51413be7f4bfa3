import { PerGatewayDevices } from './per-gateway.js';

/**
 * When to write a device's `last_seen_ms` to the meta store. A kit reports once a second and a
 * gateway's batch carries about one reading of each of its kits, so writing every sighting costs
 * the meta store one row upsert per reading (at 10,000 kits, 10,000 a second). The exact time
 * of the latest reading is the latest state's (Redis), which every device view reads too; the
 * meta store's column only has to be right to within `everyMs`. So a device's sighting is written
 * when this instance has not written one for it within `everyMs` (by the readings' own times),
 * and always the first time this instance sees it. Another instance, or a restart, writes at most
 * once more. `everyMs` 0: every batch.
 */
export class DeviceSightings {
  /** Per gateway: device → the sighting last written for it. */
  private readonly written: PerGatewayDevices;

  constructor(
    private readonly everyMs: number,
    /** Past this many devices the memory is dropped (each device is then written once more). */
    maxDevices = 200_000,
  ) {
    this.written = new PerGatewayDevices(maxDevices);
  }

  /** The sightings of a batch that are due for the meta store (the rest are within `everyMs`). */
  due(gatewayId: string, devices: ReadonlyMap<string, number>): Map<string, number> {
    if (this.everyMs <= 0) return new Map(devices);
    const out = new Map<string, number>();
    const mine = this.written.of(gatewayId);
    for (const [id, seen] of devices) {
      const last = mine?.get(id);
      // An older sighting (a replay) would not move the store's column, which keeps the later one.
      if (last === undefined || seen - last >= this.everyMs) out.set(id, seen);
    }
    return out;
  }

  /** The meta store committed these sightings (each later than the one written before: `due`). */
  wrote(gatewayId: string, devices: ReadonlyMap<string, number>): void {
    if (this.everyMs > 0) this.written.set(gatewayId, devices);
  }
}
