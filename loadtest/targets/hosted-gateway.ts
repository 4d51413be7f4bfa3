import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { addSecretDevicesBulk } from '../../gateway/devices/registry.js';
import { issueOperatorToken, tokenFilePath } from '../../gateway/http/operator-token.js';
import { openStore } from '../../gateway/store/open.js';
import { ensurePki, type Pki } from '../../gateway/tls/pki.js';
import { freePort } from '../../shared/net/free-port.js';
import { type GatewayProcess, startGatewayProcess } from './gateway-process.js';
import { startTlsTerminator, type TlsTerminator, type TlsTerminatorKind } from './haproxy.js';

/**
 * A gateway the load tool hosts itself: a data dir with `count` provisioned kits (ids
 * `<prefix>-00000…`), its own CA, an operator token, and the gateway started as its own process
 * with the limits a load test needs (no per-address connection rate: every kit comes from here).
 */
export interface HostedGateway {
  dataDir: string;
  pki: Pki;
  kits: { id: string; secret: string }[];
  token: string;
  /**
   * `nodes` > 1: that many broker node processes routing through the Redis at `clusterRedisUrl`
   * (ADR 024). `tlsTerminator` haproxy: HAProxy in front (ADR 065), sized for `kits` (default all
   * provisioned); `mqttPort` is then its port, and `stop()` stops it too.
   */
  start(
    logFile: string,
    opts?: { nodes?: number; clusterRedisUrl?: string; main?: string; tlsTerminator?: TlsTerminatorKind; kits?: number },
  ): Promise<GatewayProcess & { mqttPort: number; httpPort: number; terminator?: TlsTerminator }>;
}

export async function prepareHostedGateway(dir: string, count: number, prefix = 'lt'): Promise<HostedGateway> {
  const dataDir = join(dir, 'gateway');
  mkdirSync(dataDir, { recursive: true });
  const { pki } = ensurePki(dataDir);
  const db = openStore(dataDir);
  const kits = await addSecretDevicesBulk(
    db,
    Array.from({ length: count }, (_, i) => `${prefix}-${String(i).padStart(5, '0')}`),
  );
  db.close();
  const token = issueOperatorToken(tokenFilePath(dataDir));
  return {
    dataDir,
    pki,
    kits,
    token,
    async start(logFile, opts = {}) {
      const cluster =
        (opts.nodes ?? 1) > 1 ? ['--mqtt-nodes', String(opts.nodes), '--mqtt-cluster-redis-url', String(opts.clusterRedisUrl)] : [];
      const [mqttPort, httpPort] = [await freePort(), await freePort()];
      const proxyPort = opts.tlsTerminator === 'haproxy' ? await freePort() : undefined;
      const gw = await startGatewayProcess({
        dataDir,
        mqttPort,
        httpPort,
        logFile,
        main: opts.main,
        extraArgs: [
          ...['--mqtt-conn-rate-per-addr', '0', '--mqtt-max-connections', String(count + 1000), '--log-level', 'warn'],
          ...cluster,
          ...(proxyPort === undefined ? [] : ['--mqtt-proxy-port', String(proxyPort)]),
        ],
      });
      if (proxyPort === undefined) return Object.assign(gw, { mqttPort, httpPort });
      const terminator = await startTlsTerminator({
        dir,
        port: await freePort(),
        backendPort: proxyPort,
        certFile: pki.serverCertFile,
        keyFile: pki.serverKeyFile,
        kits: opts.kits ?? count,
      }).catch(async (err: unknown) => {
        await gw.stop();
        throw err;
      });
      const stopGateway = gw.stop;
      return Object.assign(gw, {
        mqttPort: terminator.port,
        httpPort,
        terminator,
        async stop() {
          await terminator.stop();
          await stopGateway();
        },
      });
    },
  };
}

/** Starts a cook on each kit through the gateway's local API, so that control traffic is real. */
export async function startCooks(httpPort: number, token: string, ids: string[], targetC = 70): Promise<void> {
  for (const id of ids) {
    const res = await fetch(`http://127.0.0.1:${httpPort}/v1/devices/${id}/cook`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ targetC }),
    });
    if (!res.ok) throw new Error(`could not start a cook on ${id}: ${res.status} ${await res.text()}`);
  }
}
