import type { Aedes, Client, PublishPacket } from 'aedes';
import { ownUplinkSuffix } from '../../shared/topics.js';

type Publish = (packet: PublishPacket, client: Client | null, done?: (err?: Error) => void) => void;

/**
 * Kits' uplinks (telemetry, status, ack) are consumed by the ingestion hook (authorizePublish)
 * and have no MQTT subscriber: the ACL lets a kit subscribe to its own `cmd` topic only, and the
 * gateway itself listens to ingestion events, not to topics. Aedes would still route each one
 * after its PUBACK (retained-store check, offline-queue lookup in the persistence trie,
 * mqemitter fan-out, the `publish` event), a few microseconds of pure overhead per message on
 * the broker's thread. This skips that routing for uplinks from a connected kit; commands (the
 * gateway's own publishes, client null) and anything else still take Aedes' normal path.
 */
export function skipUplinkRouting(aedes: Aedes): void {
  const route = aedes.publish.bind(aedes) as unknown as Publish;
  const publish: Publish = (packet, client, done) => {
    if (typeof client === 'object' && client !== null && ownUplinkSuffix(client.id, packet.topic) !== null) {
      done?.();
      return;
    }
    route(packet, client, done);
  };
  (aedes as unknown as { publish: Publish }).publish = publish;
}
