import { z } from 'zod';
import { defineConfig, type loadConfig } from '../shared/config/load.js';
import { opt } from '../shared/config/spec.js';

const Port = z.number().int().min(0).max(65535);

/** Cloud config (docs/config.md is generated from this). With no store URLs the embedded SQLite back-end is used. */
export const cloudConfig = defineConfig('cloud', 'SV_CLOUD_', {
  dataDir: opt(z.string().min(1), {
    kind: 'string',
    unit: 'path',
    default: './data/cloud',
    help: 'Directory for the embedded store and keys.',
  }),
  port: opt(Port, { kind: 'int', unit: 'port', default: 8443, help: 'HTTP(S) listener port (0 = any free port).' }),
  host: opt(z.string(), { kind: 'string', default: '0.0.0.0', help: 'Address the HTTP(S) listener binds to.' }),
  influx: {
    url: opt(z.url({ protocol: /^https?$/ }).optional(), {
      kind: 'string',
      unit: 'url',
      help: 'InfluxDB base URL (v1 HTTP API: /write, /query); unset = embedded store.',
    }),
    db: opt(z.string().regex(/^[A-Za-z0-9_]+$/, 'letters, digits and _ only'), {
      kind: 'string',
      default: 'sousvide',
      help: 'InfluxDB database (1.x) or DBRP-mapped bucket (2.x/3.x).',
    }),
    token: opt(z.string().optional(), { kind: 'string', secret: true, help: 'InfluxDB token (2.x/3.x v1-compatibility auth).' }),
  },
  redis: {
    url: opt(z.url({ protocol: /^rediss?$/ }).optional(), {
      kind: 'string',
      unit: 'url',
      secret: true,
      help: 'Redis URL (redis://host:port/db).',
    }),
  },
  mysql: {
    url: opt(z.url({ protocol: /^mysql$/ }).optional(), {
      kind: 'string',
      unit: 'url',
      secret: true,
      help: 'MySQL/MariaDB URL (mysql://user:pass@host:port/db).',
    }),
  },
  log: {
    level: opt(z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']), {
      kind: 'string',
      default: 'info',
      help: 'Log level.',
    }),
  },
});
export type CloudConfig = ReturnType<typeof loadConfig<typeof cloudConfig.spec>>;
