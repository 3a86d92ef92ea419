import type { Command } from 'commander';

// Filled in by the inventory work: `tsbook inventory -i INV --list | --graph | --host NAME`.
export function registerInventory(_program: Command): void {}
