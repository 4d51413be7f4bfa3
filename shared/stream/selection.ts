import type { Framed } from './message.js';

/**
 * What one stream carries (ADR 034): messages about its gateway only (a gateway-limited key on the
 * cloud), and about the kits it asked for with `?devices=` (null: the whole fleet). Messages that
 * are about no kit (a gateway's own event) pass the device filter. Pure.
 */
export interface Selection {
  gatewayId: string | null;
  /** Sorted, without duplicates; null = every kit (a fleet stream). */
  devices: readonly string[] | null;
}

export const FLEET: Selection = { gatewayId: null, devices: null };

/** A selection from a sink's fields: devices sorted and deduplicated, so equal selections have equal keys. */
export function selectionOf(gatewayId: string | null | undefined, devices: readonly string[] | null | undefined): Selection {
  return { gatewayId: gatewayId || null, devices: devices ? [...new Set(devices)].sort() : null };
}

/** Streams with the same key receive the same bytes: the hub encodes one chunk per key per flush. */
export function selectionKey(s: Selection): string {
  return `${s.gatewayId ?? ''}\u0000${s.devices === null ? '*' : s.devices.join(',')}`;
}

/** A predicate over framed messages for one selection (the device list turned into a set once). */
export function matcher(s: Selection): (f: Framed) => boolean {
  const devices = s.devices === null ? null : new Set(s.devices);
  const gatewayId = s.gatewayId;
  if (devices === null && gatewayId === null) return () => true;
  return (f) => (gatewayId === null || f.gatewayId === gatewayId) && (devices === null || f.deviceId === null || devices.has(f.deviceId));
}
