import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createApiKey, createGateway, createOrg } from '../../cloud/admin.js';
import { buildCloud, type Cloud } from '../../cloud/app.js';
import { hashPassword } from '../../cloud/auth/password.js';
import { hashSecret } from '../../cloud/auth/tokens.js';
import { createUser } from '../../cloud/auth/users.js';
import { cloudConfig } from '../../cloud/config.js';
import { buildGateway, type Gateway } from '../../gateway/app.js';
import { gatewayConfig } from '../../gateway/config.js';
import { list, provisionSecret, rotate } from '../../gateway/devices/provision.js';
import { issueOperatorToken, tokenFilePath } from '../../gateway/http/operator-token.js';
import { openStore } from '../../gateway/store/open.js';
import { loadConfig } from '../../shared/config/load.js';
import { makeDir } from '../../shared/fs/paths.js';
import { privateDir } from '../../shared/fs/private.js';
import type { Logger } from '../../shared/log.js';
import { DEMO_KITS, type DemoKit } from './kits.js';
import { SimKit } from './sim-kit.js';
import { type DemoState, loadState, saveState } from './state.js';

export interface DemoOptions {
  /** Everything lives here (cloud/, gateway/, demo-state.json): a restart finds its data again. */
  dataDir: string;
  /** Cloud HTTP port (0 = any free port). */
  cloudPort: number;
  /** Gateway local API port (0 = any free port). */
  gatewayPort: number;
  /** Gateway MQTT/TLS port (0 = any free port). */
  mqttPort: number;
  /** Address the cloud and gateway HTTP listeners bind to. */
  host: string;
  log: Logger;
  kits?: readonly DemoKit[];
}

const DEMO_ORG = 'demo-kitchen';
const DEMO_EMAIL = 'cook@demo.local';

export interface Demo {
  cloudUrl: string;
  gatewayUrl: string;
  /** The demo org's dashboard user, with a fresh password each start. */
  login: { email: string; password: string };
  /** A fresh admin API key of the demo org, for scripts (the previous demo key is revoked). */
  adminKey: string;
  /** A fresh operator token for the gateway's dashboard (issuing one replaces the old one). */
  operatorToken: string;
  kits: ReadonlyMap<string, SimKit>;
  cloud: Cloud;
  gateway: Gateway;
  /** Stops the cloud only (the gateway keeps controlling: the internet-down case). */
  stopCloud(): Promise<void>;
  stop(): Promise<void>;
}

const GATEWAY_NAME = 'demo-gateway';

/**
 * The all-in-one demo: cloud on its embedded store → gateway relaying to it → simulated
 * kits over MQTT/TLS, in this process. Stops in reverse: kits, gateway, cloud (docs/design.md).
 */
export async function startDemo(o: DemoOptions): Promise<Demo> {
  const cloudDir = join(o.dataDir, 'cloud');
  const gatewayDir = join(o.dataDir, 'gateway');
  // The demo's own state (its kits' secrets among it) sits at the top: the whole tree is private.
  privateDir(o.dataDir);
  makeDir(cloudDir, 'data dir');
  makeDir(gatewayDir, 'data dir');
  const state: DemoState = loadState(o.dataDir);
  const level = o.log.level as 'info';

  const cloud = buildCloud(
    loadConfig(cloudConfig, {
      // A dashboard polls several routes a second; the per-key default (600/min) is for scripts.
      overrides: { dataDir: cloudDir, port: o.cloudPort, host: o.host, 'rateLimit.keyPerMin': 20_000, 'log.level': level },
    }),
    o.log.child({ part: 'cloud' }),
  );
  const { port: cloudPort } = await cloud.start();
  const cloudUrl = `http://127.0.0.1:${cloudPort}`;
  const stopAll: (() => Promise<void>)[] = [() => cloud.stop()];
  const stopStarted = async () => {
    for (const s of stopAll.reverse()) await s().catch((err: Error) => o.log.error({ err }, 'demo: stop failed'));
  };
  try {
    const meta = cloud.stores.meta;
    // A kept token the cloud no longer knows (its store was deleted): register the gateway again.
    // One org and one user: the demo kitchen (a store from before orgs keeps its gateway in the default org: register anew).
    const orgId = (await meta.findOrg(DEMO_ORG))?.id ?? (await createOrg(meta, DEMO_ORG, Date.now())).id;
    const registered = state.cloudGateway && (await meta.gatewayByTokenHash(hashSecret(state.cloudGateway.token)));
    if (!registered || registered.orgId !== orgId) {
      const taken = await meta.orgOf('gateways', GATEWAY_NAME);
      state.cloudGateway = await createGateway(
        meta,
        taken ? `${GATEWAY_NAME}-${Date.now().toString(36)}` : GATEWAY_NAME,
        orgId,
        Date.now(),
      );
      saveState(o.dataDir, state);
    }
    const gatewayToken = (state.cloudGateway as { token: string }).token;
    const scope = { orgId };
    if (state.adminKeyId) await meta.revokeApiKey(scope, state.adminKeyId, Date.now());
    const admin = await createApiKey(meta, { role: 'admin', owner: 'demo', orgId }, Date.now());
    state.adminKeyId = admin.id;
    // A new password each start, shown once (like the key was): only its hash is kept.
    const password = randomBytes(12).toString('base64url');
    const user = await meta.users.userByEmail(DEMO_EMAIL);
    if (user) await meta.users.setPassword(user.id, await hashPassword(password), Date.now());
    else await createUser(meta, { email: DEMO_EMAIL, orgId, role: 'admin', password, publicUrl: cloudUrl }, Date.now());

    const gwConfig = loadConfig(gatewayConfig, {
      overrides: {
        dataDir: gatewayDir,
        name: GATEWAY_NAME,
        'mqtt.port': o.mqttPort,
        'mqtt.host': '127.0.0.1',
        'http.port': o.gatewayPort,
        'http.host': o.host,
        'cloud.url': cloudUrl,
        'cloud.token': gatewayToken,
        'log.level': level,
      },
    });
    const kits = o.kits ?? DEMO_KITS;
    // The demo is the gateway's owner: it may create the store its kits are provisioned in.
    openStore(gatewayDir).close();
    const provisioned = new Set(
      list(gwConfig)
        .filter((d) => d.revokedAt === null)
        .map((d) => d.id),
    );
    for (const k of kits) {
      const saved = state.kits[k.id];
      if (saved && provisioned.has(k.id)) continue;
      const { secret } = provisioned.has(k.id) ? await rotate(gwConfig, k.id) : await provisionSecret(gwConfig, k.id);
      // Keep the boot counter: the cloud may still hold this kit's readings under (boot, seq).
      state.kits[k.id] = { secret, boot: saved?.boot ?? 0 };
    }
    const operatorToken = issueOperatorToken(tokenFilePath(gatewayDir, gwConfig.http.tokenFile));

    const gateway = buildGateway(gwConfig, o.log.child({ part: 'gateway' }));
    const ports = await gateway.start();
    stopAll.push(() => gateway.stop());

    const ca = readFileSync(gateway.pki.caFile);
    const sims = new Map<string, SimKit>();
    for (const k of kits) {
      const saved = state.kits[k.id] as DemoState['kits'][string];
      saved.boot += 1; // every demo start is a kit reboot
      const sim = new SimKit({
        kit: k,
        mqttUrl: `mqtts://127.0.0.1:${ports.mqttPort}`,
        ca,
        secret: saved.secret,
        boot: saved.boot,
        ...(saved.waterC !== undefined ? { startC: saved.waterC } : {}),
        onError: (err) => o.log.warn({ kit: k.id, err: err.message }, 'demo kit: MQTT error'),
      });
      sims.set(k.id, sim);
    }
    saveState(o.dataDir, state);
    await Promise.all([...sims.values()].map((s) => s.start()));
    stopAll.push(async () => {
      await Promise.all([...sims.values()].map((s) => s.stop()));
      for (const [id, s] of sims) {
        const saved = state.kits[id];
        if (saved) saved.waterC = Math.round(s.sim.waterC * 100) / 100;
      }
      saveState(o.dataDir, state);
    });

    let cloudStopped = false;
    let stopped = false;
    return {
      cloudUrl,
      gatewayUrl: `http://127.0.0.1:${ports.httpPort}`,
      adminKey: admin.key,
      login: { email: DEMO_EMAIL, password },
      operatorToken,
      kits: sims,
      cloud,
      gateway,
      async stopCloud() {
        if (cloudStopped) return;
        cloudStopped = true;
        await cloud.stop();
      },
      async stop() {
        if (stopped) return;
        stopped = true;
        if (cloudStopped) stopAll.shift(); // already stopped
        await stopStarted();
      },
    };
  } catch (err) {
    await stopStarted();
    throw err;
  }
}
