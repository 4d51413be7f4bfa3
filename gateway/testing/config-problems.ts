import { loadConfig } from '../../shared/config/load.js';
import { isSvError } from '../../shared/errors.js';
import { checkGatewayConfig, gatewayConfig } from '../config.js';

/**
 * The `key: reason` lines a gateway config given as command-line flags is refused with (loading
 * and the rules across keys, files included), or none: what a test of a config rule asserts on.
 */
export function configProblems(flags: Record<string, string>): string[] {
  try {
    checkGatewayConfig(loadConfig(gatewayConfig, { flags }));
    return [];
  } catch (err) {
    if (!isSvError(err, 'SV_ERR_CONFIG_INVALID')) throw err;
    return [...err.details];
  }
}
