import { Command, V2ProxyProtocol } from 'proxy-protocol-js';

/**
 * The PROXY protocol v2 header a TLS terminator in front of the gateway (HAProxy with
 * `send-proxy-v2`) writes before the kit's first byte: who the kit really is on the network, so
 * that per-address limits, bans and the security log name the kit's address, not the terminator's.
 * Parsing is the maintained `proxy-protocol-js`; this module only finds where the header ends in
 * a stream and turns its address into the string Node would give as `remoteAddress`.
 */
export type ProxyHeader =
  | { kind: 'more' }
  | { kind: 'bad'; reason: string }
  /** `source` null: a LOCAL header (the terminator's own health check) or an address family without one. */
  | { kind: 'ok'; length: number; source: string | null };

const SIGNATURE = Buffer.from([0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a]);
const FIXED = 16;
/** HAProxy's own headers (addresses and a few TLVs) are well under this; a longer one is refused. */
export const MAX_PROXY_HEADER_BYTES = 1024;

export function readProxyHeader(head: Buffer): ProxyHeader {
  const n = Math.min(head.length, SIGNATURE.length);
  if (!head.subarray(0, n).equals(SIGNATURE.subarray(0, n))) return { kind: 'bad', reason: 'no PROXY protocol v2 signature' };
  if (head.length < FIXED) return { kind: 'more' };
  const length = FIXED + head.readUInt16BE(14);
  if (length > MAX_PROXY_HEADER_BYTES) return { kind: 'bad', reason: `header of ${length} bytes (at most ${MAX_PROXY_HEADER_BYTES})` };
  if (head.length < length) return { kind: 'more' };
  let parsed: V2ProxyProtocol;
  try {
    parsed = V2ProxyProtocol.parse(new Uint8Array(head.buffer, head.byteOffset, length));
  } catch (err) {
    return { kind: 'bad', reason: (err as Error).message };
  }
  if (parsed.command === Command.LOCAL) return { kind: 'ok', length, source: null };
  return { kind: 'ok', length, source: addressOf(parsed.proxyAddress) };
}

function addressOf(a: unknown): string | null {
  const bytes = (a as { sourceAddress?: { address?: number[] } }).sourceAddress?.address;
  if (!Array.isArray(bytes)) return null; // UNSPEC or UNIX: no network address
  if (bytes.length === 4) return bytes.join('.');
  if (bytes.length === 16) {
    const groups = Array.from({ length: 8 }, (_, i) => (((bytes[2 * i] ?? 0) << 8) | (bytes[2 * i + 1] ?? 0)).toString(16));
    return compressIpv6(groups);
  }
  return null;
}

/** The longest run of zero groups as `::`, as Node prints IPv6 addresses (RFC 5952). */
function compressIpv6(groups: string[]): string {
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== '0') {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === '0') j++;
    if (j - i > bestLen) [best, bestLen] = [i, j - i];
    i = j;
  }
  if (best < 0) return groups.join(':');
  return `${groups.slice(0, best).join(':')}::${groups.slice(best + bestLen).join(':')}`;
}

/** 127.0.0.0/8, ::1 and localhost: only this machine can connect. */
export function isLoopbackHost(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}
