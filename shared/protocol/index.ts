export * from './device-id.js';
export * from './messages.js';
export * from './parse.js';
