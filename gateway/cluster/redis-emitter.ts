import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

/** What the gateway needs of the emitter: Aedes takes it whole as its `mq`; the node closes it. */
export interface SharedEmitter {
  close(cb: () => void): void;
}

type Factory = (opts: { connectionString: string }) => SharedEmitter & {
  state: { on(event: 'error', fn: (err: Error) => void): void };
};

/**
 * The broker nodes' shared emitter (DESIGN.md, scale): mqemitter-redis, the engine Aedes itself
 * documents for clustering. Commands published by the gateway process reach the node that holds
 * the kit's subscription, and a kit connecting on one node closes its older connection on
 * another (Aedes' `$SYS/+/new/clients`). Kits' uplinks never go through it (uplink-routing.ts).
 */
export function openRedisEmitter(url: string, onError: (err: Error) => void): SharedEmitter {
  const mq = (require('mqemitter-redis') as Factory)({ connectionString: url });
  mq.state.on('error', onError);
  return mq;
}
