export * from './config.js';
export * from './device-control.js';
export * from './engine/index.js';
export * from './records.js';
export * from './types.js';
export * from './watchdog/index.js';
