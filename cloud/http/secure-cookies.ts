import type { CloudConfig } from '../config.js';

/**
 * Whether the cloud's cookies are marked Secure: always when it serves TLS itself; behind a
 * trusted proxy when the proxy says the client used HTTPS ('auto'); not on plain HTTP.
 */
export function secureCookies(config: CloudConfig): boolean | 'auto' {
  if (config.tls.certFile && config.tls.keyFile) return true;
  return config.http.trustProxy.length > 0 ? 'auto' : false;
}
