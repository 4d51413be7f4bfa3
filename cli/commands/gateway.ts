import { buildGateway } from '../../gateway/app.js';
import { gatewayConfig } from '../../gateway/config.js';
import { createLogger } from '../../shared/log.js';
import type { Command } from '../command.js';
import { configFor } from '../run.js';
import { serveUntilStopped } from './serve.js';

export const gatewayCommand: Command = {
  name: 'gateway',
  summary: 'Run a gateway: embedded MQTT/TLS broker, local control, durable store, relay to the cloud.',
  usage: 'sousvide gateway [--data-dir DIR] [--mqtt-port N] [--http-port N] [--cloud-url URL] …',
  config: gatewayConfig,
  async run(ctx) {
    const config = configFor(gatewayConfig, ctx);
    const log = createLogger({ name: 'gateway', level: config.log.level });
    return serveUntilStopped(buildGateway(config, log), ctx.stopSignal, log);
  },
};
