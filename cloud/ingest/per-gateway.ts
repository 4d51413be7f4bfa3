/**
 * A number per (gateway, device), kept in one map per gateway so that a lookup builds no key
 * string (the ingest caches look up every record of every batch). Bounded: past `max` devices
 * in all, it starts empty again, and its users treat a missing entry as "ask again".
 */
export class PerGatewayDevices {
  private readonly byGateway = new Map<string, Map<string, number>>();
  private size = 0;

  constructor(private readonly max: number) {}

  /** The gateway's devices, for many lookups in a row (undefined: none kept). */
  of(gatewayId: string): ReadonlyMap<string, number> | undefined {
    return this.byGateway.get(gatewayId);
  }

  /** Sets each device's value, making room for it first. */
  set(gatewayId: string, entries: Iterable<readonly [string, number]>): void {
    let mine = this.byGateway.get(gatewayId);
    for (const [id, value] of entries) {
      if (mine === undefined || (this.size >= this.max && !mine.has(id))) {
        if (mine !== undefined) this.clear();
        mine = new Map();
        this.byGateway.set(gatewayId, mine);
      }
      if (!mine.has(id)) this.size++;
      mine.set(id, value);
    }
  }

  /** Drops one device's entries under every gateway. */
  forget(deviceId: string): void {
    for (const mine of this.byGateway.values()) if (mine.delete(deviceId)) this.size--;
  }

  clear(): void {
    this.byGateway.clear();
    this.size = 0;
  }
}
