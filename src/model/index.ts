export * from './source.js';
export * from './errors.js';
export * from './playbook.js';
export * from './inventory.js';
