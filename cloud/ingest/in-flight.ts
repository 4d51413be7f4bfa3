/**
 * How many ingest requests each gateway and each org has open on this instance, so that one org's
 * flood of concurrent batches cannot hold every meta-store connection while other orgs wait
 * (docs/adr/074-ingest-in-flight-per-gateway-and-org.md). A request counts from the moment its token is verified, body
 * upload included, until its answer is written or its connection closes. Pure: the route hook
 * enters and leaves.
 */
export interface InFlightLimits {
  perGateway: number;
  perOrg: number;
}

/** Which limit a refused request met, named as its config key. */
export type InFlightRefusal = { key: 'ingest.maxInFlightPerGateway' | 'ingest.maxInFlightPerOrg'; limit: number };

export class InFlight {
  private readonly gateways = new Map<string, number>();
  private readonly orgs = new Map<string, number>();

  constructor(private readonly limits: InFlightLimits) {}

  /** Counts one more request of the gateway, or says which limit it would pass (then nothing is counted). */
  enter(gatewayId: string, orgId: string): InFlightRefusal | null {
    const g = this.gateways.get(gatewayId) ?? 0;
    if (g >= this.limits.perGateway) return { key: 'ingest.maxInFlightPerGateway', limit: this.limits.perGateway };
    const o = this.orgs.get(orgId) ?? 0;
    if (o >= this.limits.perOrg) return { key: 'ingest.maxInFlightPerOrg', limit: this.limits.perOrg };
    this.gateways.set(gatewayId, g + 1);
    this.orgs.set(orgId, o + 1);
    return null;
  }

  /** Ends one counted request (call once per successful `enter`). */
  leave(gatewayId: string, orgId: string): void {
    drop(this.gateways, gatewayId);
    drop(this.orgs, orgId);
  }

  /** Requests open now: of one gateway, of one org, or in all. */
  count(of: { gatewayId: string } | { orgId: string } | null = null): number {
    if (of === null) {
      let n = 0;
      for (const v of this.orgs.values()) n += v;
      return n;
    }
    return 'gatewayId' in of ? (this.gateways.get(of.gatewayId) ?? 0) : (this.orgs.get(of.orgId) ?? 0);
  }
}

/** Decrements, deleting the entry at zero so that the maps hold only what is open. */
function drop(m: Map<string, number>, k: string): void {
  const n = m.get(k) ?? 0;
  if (n <= 1) m.delete(k);
  else m.set(k, n - 1);
}
