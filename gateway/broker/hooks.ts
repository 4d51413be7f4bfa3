import type { AuthenticateError, Client, PublishPacket, Subscription } from 'aedes';
import type { Logger } from '../../shared/log.js';
import { maySubscribe, ownUplinkSuffix, parseTopic } from '../../shared/topics.js';
import type { Authenticator } from '../devices/authenticator.js';
import type { Stats } from '../stats.js';
import type { AuthThrottle, TokenBucket } from './limits.js';
import type { IngestPort, SecurityRecorder } from './ports.js';
import { isCounted, markCounted } from './refusal.js';

export interface HookDeps {
  auth: Authenticator;
  throttle: AuthThrottle;
  publishLimit: TokenBucket;
  ingest: IngestPort;
  stats: Stats;
  security: SecurityRecorder;
  log: Logger;
  isConnected: (clientId: string) => boolean;
}

const remoteOf = (client: Client | null): string | null => (client?.conn as { remoteAddress?: string } | undefined)?.remoteAddress ?? null;

/** Aedes hooks: authentication, ACL (deny by default), rate limits, and the ingestion hand-off. */
export function brokerHooks(d: HookDeps) {
  return {
    authenticate(
      client: Client,
      username: string | undefined,
      password: Buffer | undefined,
      done: (e: AuthenticateError | null, ok: boolean | null) => void,
    ) {
      const remote = remoteOf(client) ?? 'unknown';
      // A CONNECT followed by garbage: the parser already closed the connection and counted it.
      if (isCounted(client.conn)) return done(markCounted(new Error('connection closed')) as AuthenticateError, false);
      const refuse = (reason: string, returnCode: 2 | 4 | 5, delayMs: number) => {
        // Counted once per connection: not again if the parser closed it while scrypt ran.
        if (!isCounted(client.conn)) {
          d.stats.incLabel('auth_failed', reason);
          d.security.record('auth_failed', client.id || null, remote, reason);
        }
        const err = markCounted(Object.assign(new Error(`authentication refused: ${reason}`), { returnCode })) as AuthenticateError;
        if (delayMs > 0) setTimeout(() => done(err, false), delayMs).unref();
        else done(err, false);
      };
      if (d.throttle.isBanned(remote)) return refuse('banned', 5, 0);
      d.auth.authenticate(client.id, username, password, client.conn).then(
        (r) => {
          if (r.ok) {
            d.throttle.succeed(remote);
            d.stats.inc('auth_ok');
            if (d.isConnected(client.id)) {
              d.stats.inc('client_replaced');
              d.log.warn({ deviceId: client.id, remote }, 'a new connection replaces the connected one (same client id)');
            }
            return done(null, true);
          }
          const { delayMs, banned } = d.throttle.fail(remote);
          if (banned) d.log.warn({ remote, reason: r.reason }, 'address banned after repeated authentication failures');
          refuse(r.reason, r.reason === 'bad_client_id' ? 2 : r.reason === 'bad_secret' || r.reason === 'no_credentials' ? 4 : 5, delayMs);
        },
        (err: Error) => {
          d.log.error({ err, deviceId: client.id }, 'authentication error');
          refuse('internal', 5, 0);
        },
      );
    },

    authorizePublish(client: Client | null, packet: PublishPacket, done: (err?: Error | null) => void) {
      if (client === null) return done(null); // the gateway's own publishes (commands)
      // A guard (packet size) may have closed the socket while Aedes still parses what it had
      // read: nothing from a closed connection is processed (it cannot be acknowledged anyway).
      // The Last Will is the exception: Aedes publishes it after the connection has ended (its
      // PUBACK goes nowhere), and it must go through even when the gateway ended the session.
      const isWill = packet === (client as { will?: unknown }).will;
      if (!isWill && (client.conn as { destroyed?: boolean }).destroyed) return done(markCounted(new Error('connection closed')));
      const suffix = ownUplinkSuffix(client.id, packet.topic);
      if (suffix === null) {
        d.stats.incLabel('acl_denied', 'publish');
        d.security.record('acl_denied', client.id, remoteOf(client), `publish ${packet.topic.slice(0, 200)}`);
        return done(markCounted(new Error('publish outside the device namespace'))); // MQTT 3.1.1: connection closed
      }
      if (!isWill && !d.publishLimit.take(client.id)) {
        d.stats.incLabel('rate_limited', 'publish');
        d.security.record('rate_limited', client.id, remoteOf(client), 'publish rate');
        return done(markCounted(new Error('publish rate limit'))); // not acknowledged: the device resends later
      }
      const payload = typeof packet.payload === 'string' ? Buffer.from(packet.payload) : (packet.payload as Buffer);
      // A store failure closes the connection too; it is counted as store_fail.
      d.ingest.handle(client.id, suffix, packet.topic, payload, packet.qos, (err) => done(err && markCounted(err)));
    },

    authorizeSubscribe(client: Client, sub: Subscription, done: (err: Error | null, sub?: Subscription | null) => void) {
      if (maySubscribe(client.id, sub.topic)) return done(null, sub);
      d.stats.incLabel('acl_denied', 'subscribe');
      d.security.record('acl_denied', client.id, remoteOf(client), `subscribe ${sub.topic.slice(0, 200)}`);
      done(markCounted(new Error('subscription outside the device namespace'))); // PROTOCOL (3.1.1): connection closed
    },

    /** Commands go only to their own device (a second line of defence after the subscribe ACL). */
    authorizeForward(client: Client, packet: { topic: string }) {
      const t = parseTopic(packet.topic);
      return t !== null && t.deviceId === client.id && t.suffix === 'cmd' ? packet : null;
    },
  };
}
