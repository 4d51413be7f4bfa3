import { createLogger } from '../../shared/log.js';
import { GatewayBroker } from '../broker/broker.js';
import { Authenticator } from '../devices/authenticator.js';
import { DeviceDirectory } from '../devices/directory.js';
import { Stats } from '../stats.js';
import { openStore } from '../store/open.js';
import { pkiPaths } from '../tls/pki.js';
import type { NodeMessage, PrimaryMessage } from './messages.js';
import { NodeReporter } from './node-report.js';
import { openRedisEmitter } from './redis-emitter.js';
import { RemoteIngest } from './remote-ingest.js';

type Init = Extract<PrimaryMessage, { t: 'init' }>;

const send = (m: NodeMessage) => {
  if (process.connected) process.send?.(m);
};

/**
 * A broker node: one of `mqtt.nodes` processes forked by the gateway process (cluster.ts), all
 * accepting on the same MQTT port. Each runs the whole broker policy (TLS, authentication from
 * the devices table read-only, ACL, limits, strict parse) on its own core and hands uplinks to
 * the gateway process, which alone writes the store and runs control. Aedes nodes share
 * routing through Redis (mqemitter-redis).
 */
export function runBrokerNode(): void {
  const onInit = (m: PrimaryMessage) => {
    if (m.t !== 'init') return;
    process.off('message', onInit);
    start(m).catch((err: Error) => {
      send({ t: 'failed', error: err.message });
      process.exit(1);
    });
  };
  process.on('message', onInit);
  // The gateway process is gone: its kits reconnect to the next one, nothing here can commit.
  process.once('disconnect', () => process.exit(1));
  send({ t: 'hello' });
}

async function start({ config, index, nodes }: Init): Promise<void> {
  const log = createLogger({ name: `gateway-node-${index}`, level: config.log.level });
  const url = config.mqtt.clusterRedisUrl;
  if (url === undefined) throw new Error('mqtt.clusterRedisUrl: required when mqtt.nodes > 1');
  const reader = openStore(config.dataDir, { readonly: true });
  let broker: GatewayBroker | undefined;
  const auth = {
    current: undefined as Authenticator | undefined,
  };
  const directory = new DeviceDirectory(reader, (changed) => {
    for (const id of changed) {
      auth.current?.forget(id);
      if (broker?.disconnect(id)) log.info({ deviceId: id }, 'credentials changed: device disconnected');
    }
  });
  directory.start();
  auth.current = new Authenticator(directory);
  const mq = openRedisEmitter(url, {
    down: (err) => log.error({ err: err.message }, 'cluster Redis unreachable: commands to kits wait, uplinks go on'),
    up: () => log.info('cluster Redis reachable again'),
  });
  const stats = new Stats();
  const ingest = new RemoteIngest(send, config.mqtt.nodeBatchMs);
  broker = new GatewayBroker({
    config,
    pki: pkiPaths(config.dataDir),
    auth: auth.current,
    ingest,
    security: { record: (kind, deviceId, remote, detail) => send({ t: 'sec', kind, deviceId, remote, detail }) },
    stats,
    log,
    cluster: { mq, nodes },
  });
  const reporter = new NodeReporter(
    stats,
    () => ({ connections: broker?.connections ?? 0, clients: broker?.connectedClients ?? 0 }),
    () => {
      const taken = ingest.pubackMs;
      ingest.pubackMs = [];
      return taken;
    },
    send,
  );
  const live = broker;
  let stopping = false;
  process.on('message', (m: PrimaryMessage) => {
    if (m.t === 'done') ingest.settle(m.ok, m.fail);
    else if (m.t === 'disconnect') live.disconnect(m.deviceId);
    else if (m.t === 'stop' && !stopping) {
      stopping = true;
      ingest.drain();
      reporter.stop();
      directory.stop();
      live
        .stop()
        .catch((err: Error) => log.error({ err: err.message }, 'broker node stop failed'))
        .finally(() => {
          reader.close();
          process.exit(0);
        });
    }
  });
  await broker.start();
  reporter.start();
  send({ t: 'ready', mqttPort: broker.mqttPort, plainPort: broker.plainPort, proxyPort: broker.proxyPort });
}
