import type { Command } from 'commander';

// Filled in by the loader work: `tsbook validate FILE...`.
export function registerValidate(_program: Command): void {}
