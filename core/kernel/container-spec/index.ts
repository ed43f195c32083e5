export * from './types.js';
export * from './edits.js';
export * from './device.js';
