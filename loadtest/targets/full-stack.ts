import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pkiPaths } from '../../gateway/tls/pki.js';
import { freePort } from '../../shared/net/free-port.js';
import { type Stores, Topology } from '../chaos/topology.js';
import { startTlsTerminator, type TlsTerminator, type TlsTerminatorKind } from './haproxy.js';

/**
 * The whole pipeline as a load-test target ("all sinks on"): private InfluxDB, Redis and MariaDB,
 * one cloud process on them, and the gateway as its own process relaying to it, as in
 * production (the chaos suite's topology, with no fault injected). Kits connect to the gateway;
 * the cloud's metrics give the business summary's sink counters and its API the end-to-end
 * visibility figure.
 */
export interface FullStack {
  topology: Topology;
  /** HAProxy in front of the gateway, when the run asked for it (ADR 065). */
  terminator?: TlsTerminator;
  /** Where the kits connect: the gateway's TLS port, or the terminator's. */
  mqttPort: number;
  httpPort: number;
  caFile: string;
  operatorToken: string;
  kits: { id: string; secret: string }[];
  cloudBase: string;
  viewerKey: string;
  gatewayMetrics(): Promise<string | undefined>;
  cloudMetrics(): Promise<string | undefined>;
  /** Waits until the gateway's outbox is empty (every record relayed); returns the wait in ms, or null on timeout. */
  drained(timeoutMs: number): Promise<number | null>;
  stop(): Promise<void>;
}

export async function startFullStack(
  stores: Stores,
  o: {
    runId: string;
    workDir: string;
    kits: number;
    gatewayNodes?: number;
    tlsTerminator?: TlsTerminatorKind;
    log: (line: string) => void;
  },
): Promise<FullStack> {
  // Broker nodes (ADR 024) route through the cloud's private Redis, directly (not through its fault proxy).
  const nodes =
    (o.gatewayNodes ?? 1) > 1 ? ['--mqtt-nodes', String(o.gatewayNodes), '--mqtt-cluster-redis-url', stores.redis.directUrl] : [];
  const proxyPort = o.tlsTerminator === 'haproxy' ? await freePort() : undefined;
  const proxied = proxyPort === undefined ? [] : ['--mqtt-proxy-port', String(proxyPort)];
  const topology = await Topology.start(
    {
      runId: o.runId,
      workDir: o.workDir,
      kits: o.kits,
      clouds: 1,
      // Every kit connects from this host: no per-address connection rate (as hosted-gateway.ts).
      gatewayArgs: ['--mqtt-conn-rate-per-addr', '0', ...nodes, ...proxied],
      // The visibility probe reads a few devices several times a second with one viewer key.
      cloudArgs: ['--rate-limit-key-per-min', '1000000', '--rate-limit-gateway-per-min', '1000000'],
      distinctSources: false,
    },
    stores,
    o.log,
  );
  const pki = pkiPaths(topology.dataDir);
  const terminator =
    proxyPort === undefined
      ? undefined
      : await startTlsTerminator({
          dir: o.workDir,
          port: await freePort(),
          backendPort: proxyPort,
          certFile: pki.serverCertFile,
          keyFile: pki.serverKeyFile,
          kits: o.kits,
        }).catch(async (err: unknown) => {
          await topology.close();
          throw err;
        });
  const caFile = join(o.workDir, 'gateway-ca.pem');
  writeFileSync(caFile, topology.ca);
  const cloud = topology.clouds[0];
  if (!cloud) throw new Error('the topology started no cloud');
  const backlog = async (): Promise<number | null> => {
    const m = await topology.gatewayMetrics();
    const v = m ? /^relay_backlog_records ([\d.e+-]+)$/m.exec(m)?.[1] : undefined;
    return v === undefined ? null : Number(v);
  };
  return {
    topology,
    terminator,
    mqttPort: terminator?.port ?? topology.mqttPort,
    httpPort: topology.gateway.port,
    caFile,
    operatorToken: topology.operatorToken,
    kits: topology.kits,
    cloudBase: cloud.base,
    viewerKey: topology.viewerKey,
    gatewayMetrics: () => topology.gatewayMetrics(),
    cloudMetrics: () => topology.cloudMetrics(0),
    async drained(timeoutMs) {
      const started = Date.now();
      while (Date.now() - started < timeoutMs) {
        if ((await backlog()) === 0) return Date.now() - started;
        await new Promise((r) => setTimeout(r, 250));
      }
      return null;
    },
    async stop() {
      await terminator?.stop();
      await topology.close();
    },
  };
}
