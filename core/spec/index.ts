export * from './types.js';
export * from './edits.js';
