import { type LookupAddress, lookup } from 'node:dns';
import { BlockList, isIP } from 'node:net';
import { Agent, fetch as undiciFetch } from 'undici';
import type { Fetch } from '../../shared/notify/channels/channel.js';

/**
 * Org admins choose where the cloud sends notifications; without a guard a webhook URL could make
 * the cloud POST into its own network (the stores' HTTP APIs, cloud metadata endpoints). Unless
 * `notify.allowPrivateTargets` is on, a target on a loopback, private, link-local, shared or
 * unique-local address is refused: an IP literal when the channel is added and again at send
 * time, a host name at connect time (the address checked is the one connected to, so DNS answers
 * that change in between do not get around it). SMTP is checked by a lookup before the send.
 */
const PRIVATE = new BlockList();
for (const [net, bits] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const)
  PRIVATE.addSubnet(net, bits, 'ipv4');
for (const [net, bits] of [
  ['::', 128],
  ['::1', 128],
  ['fc00::', 7],
  ['fe80::', 10],
  ['ff00::', 8],
] as const)
  PRIVATE.addSubnet(net, bits, 'ipv6');

/** Whether an address is one the cloud must not send to (IPv4-mapped IPv6 judged as its IPv4). */
export function isPrivateAddress(address: string): boolean {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address)?.[1];
  if (mapped) return PRIVATE.check(mapped, 'ipv4');
  const family = isIP(address);
  if (family === 0) return true;
  return PRIVATE.check(address, family === 4 ? 'ipv4' : 'ipv6');
}

/** The reason a URL's literal host is refused, or null (host names are checked when connecting). */
export function privateLiteral(url: string): string | null {
  const host = new URL(url).hostname.replace(/^\[|\]$/g, '');
  if (host === 'localhost' || host.endsWith('.localhost')) return 'points to this machine (localhost)';
  return isIP(host) !== 0 && isPrivateAddress(host) ? `points to a private address (${host})` : null;
}

/** Shown on the delivery row as its message (no code: the text says what was refused). */
export class PrivateTargetError extends Error {}

type LookupCb = (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

function guardedLookup(hostname: string, options: { all?: boolean; family?: number }, cb: LookupCb): void {
  lookup(hostname, { ...options, all: true }, (err, addresses) => {
    if (err) return cb(err, '');
    const bad = addresses.find((a) => isPrivateAddress(a.address));
    if (bad) return cb(new PrivateTargetError(`${hostname} resolves to a private address (${bad.address})`), '');
    const first = addresses[0];
    if (!first) return cb(Object.assign(new Error(`${hostname}: no address`), { code: 'ENOTFOUND' }), '');
    return options.all ? cb(null, addresses) : cb(null, first.address, first.family);
  });
}

/** A fetch that refuses private targets (literal or resolved at connect time). */
export function guardedFetch(): Fetch {
  const agent = new Agent({ connect: { lookup: guardedLookup as never } });
  return (async (input: string | URL | Request, init?: RequestInit) => {
    const url = typeof input === 'string' || input instanceof URL ? String(input) : input.url;
    const literal = privateLiteral(url);
    if (literal) throw new PrivateTargetError(`the target ${literal}`);
    return undiciFetch(url, { ...(init as object), dispatcher: agent } as never);
  }) as unknown as Fetch;
}

/** Before an e-mail goes out: the SMTP host must not be private (checked by a lookup; see above). */
export async function checkSmtpHost(smtpUrl: string): Promise<void> {
  const literal = privateLiteral(smtpUrl);
  if (literal) throw new PrivateTargetError(`the SMTP server ${literal}`);
  const host = new URL(smtpUrl).hostname;
  if (isIP(host) !== 0) return;
  await new Promise<void>((resolve, reject) => guardedLookup(host, { all: true }, (err) => (err ? reject(err) : resolve())));
}
