export * from './municipalities.js';
export * from './distribution.js';
export * from './registrations.js';
export * from './audit.js';
export * from './outbox.js';
export * from './shelter.js';
export * from './documents.js';
export * from './maatwerk.js';
