import { z } from 'zod';
import { defineConfig, type loadConfig } from '../shared/config/load.js';
import { opt } from '../shared/config/spec.js';

const Port = z.number().int().min(0).max(65535);
const Path = z.string().min(1);
const Url = z.url({ protocol: /^https?$/ });

/** Gateway config (docs/config.md is generated from this; `npm run gen:docs`). */
export const gatewayConfig = defineConfig('gateway', 'SV_GATEWAY_', {
  dataDir: opt(Path, {
    kind: 'string',
    unit: 'path',
    default: './data/gateway',
    help: 'Directory for the SQLite store, certificates and keys.',
  }),
  name: opt(z.string().min(1).max(64), { kind: 'string', default: 'gateway', help: 'Human name of this gateway (logs, cloud).' }),
  mqtt: {
    port: opt(Port, { kind: 'int', unit: 'port', default: 8883, help: 'MQTT over TLS listener port (0 = any free port).' }),
    host: opt(z.string(), { kind: 'string', default: '0.0.0.0', help: 'Address the TLS listener binds to.' }),
    tlsCert: opt(Path.optional(), {
      kind: 'string',
      unit: 'path',
      help: 'Server certificate (PEM). Unset: a CA and server certificate are created in the data dir on first run.',
    }),
    tlsKey: opt(Path.optional(), { kind: 'string', unit: 'path', help: 'Server private key (PEM), with mqtt.tls-cert.' }),
    plainPort: opt(Port.optional(), {
      kind: 'int',
      unit: 'port',
      help: 'Plain-TCP MQTT listener port; unset = off (PROTOCOL: TLS by default).',
    }),
    plainHost: opt(z.string(), { kind: 'string', default: '127.0.0.1', help: 'Address the plain-TCP listener binds to when enabled.' }),
  },
  http: {
    port: opt(Port, { kind: 'int', unit: 'port', default: 8080, help: 'Local HTTP API, /metrics and /healthz port.' }),
    host: opt(z.string(), { kind: 'string', default: '127.0.0.1', help: 'Address the local HTTP API binds to.' }),
  },
  cloud: {
    url: opt(Url.optional(), { kind: 'string', unit: 'url', help: 'Cloud base URL (https://…); unset = run offline.' }),
    token: opt(z.string().min(16).optional(), {
      kind: 'string',
      secret: true,
      help: 'Gateway token issued by `sousvide cloud gateway add`.',
    }),
  },
  log: {
    level: opt(z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']), {
      kind: 'string',
      default: 'info',
      help: 'Log level.',
    }),
    snapshot: opt(z.boolean(), { kind: 'bool', default: false, help: 'Log the once-a-second pipeline snapshot (deltas and totals).' }),
  },
});
export type GatewayConfig = ReturnType<typeof loadConfig<typeof gatewayConfig.spec>>;
