import type { Command } from 'commander';

// Filled in by the loader work: `tsbook schema [playbook|inventory]`.
export function registerSchema(_program: Command): void {}
