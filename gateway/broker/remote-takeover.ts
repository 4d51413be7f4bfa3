import type { Aedes } from 'aedes';

/** The part of an Aedes emitter (mqemitter) that this needs. */
interface Emitter {
  on(topic: string, fn: (packet: { topic: string; payload: Buffer }, done: () => void) => void): void;
}

/**
 * With several broker nodes (ADR 024), a kit that connects on one node ends its older connection
 * on another: Aedes announces every new client on `$SYS/<broker id>/new/clients` and the node
 * holding that id closes it. The hooks see only their own node's clients, so this is where such
 * a replacement is noticed, counted (`client_replaced`) and logged, like one on the same node.
 * It must be registered on the emitter before Aedes registers its own listener (which closes
 * the client): call it before `new Aedes({ mq })`.
 */
export function watchRemoteTakeovers(mq: unknown, aedes: () => Aedes | undefined, onReplaced: (deviceId: string) => void): void {
  (mq as Emitter).on('$SYS/+/new/clients', (packet, done) => {
    const broker = aedes();
    const fromId = packet.topic.split('/')[1];
    const id = packet.payload.toString();
    const clients = (broker as unknown as { clients?: Record<string, { closed?: boolean }> } | undefined)?.clients;
    const local = clients?.[id];
    if (broker && fromId !== broker.id && local && !local.closed) onReplaced(id);
    done();
  });
}
