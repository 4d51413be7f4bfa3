/** The test harness: private real servers for tests (docs/design.md invariant 6: real parts). */

export { capturedLogger } from './captured-log.js';
export { sousvide } from './cli.js';
export { FaultProxy, type ProxyMode } from './fault-proxy.js';
export { startInflux } from './influx.js';
export { startMariaDb } from './mariadb.js';
export { type MosquittoOptions, startMosquitto } from './mosquitto.js';
export { BINARIES, findBinary } from './packages.js';
export { freePort, waitFor } from './ports.js';
export { startRedis } from './redis.js';
export type { TestService } from './service.js';
