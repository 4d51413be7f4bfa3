import type { Aedes } from 'aedes';
import { topics } from '../../shared/topics.js';

/** Publishes a command to a kit as the gateway itself (no client): QoS 1 on `sv/<id>/cmd`, not retained. */
export function sendCommand(aedes: Pick<Aedes, 'publish'>, deviceId: string, payload: string): void {
  aedes.publish(
    { cmd: 'publish', topic: topics.cmd(deviceId), payload: Buffer.from(payload), qos: 1, retain: false, dup: false },
    () => {},
  );
}
