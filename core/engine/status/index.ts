export * from './tracker.js';
export * from './command.js';
export * from './termination.js';
export * from './hints.js';
