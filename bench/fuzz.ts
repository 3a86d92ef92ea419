/**
 * Nightly loader fuzzing: `npm run fuzz -- [--iterations N] [--seed S] [--save DIR]`.
 * Mutates the shipped playbooks, inventories and test fixtures with a seeded PRNG and runs every
 * loader in-process (see test/security/fuzz-lib.ts). Exits 1 and prints each failing seed and its
 * mutated input when anything other than success or a located TsbookError comes out.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fuzz, formatFailures } from '../test/security/fuzz-lib.js';

function option(name: string, fallback: string): string {
  const at = process.argv.indexOf(`--${name}`);
  return at >= 0 && process.argv[at + 1] !== undefined ? process.argv[at + 1]! : fallback;
}

const iterations = Number(option('iterations', '20000'));
const seed = Number(option('seed', String(Date.now() % 2 ** 31)));
const saveDir = option('save', '');
if (!Number.isInteger(iterations) || iterations <= 0 || !Number.isInteger(seed)) {
  console.error('usage: npm run fuzz -- [--iterations N] [--seed S] [--save DIR]');
  process.exit(2);
}

if (saveDir) mkdirSync(saveDir, { recursive: true });
console.log(`fuzzing the loaders: ${iterations} iterations from seed ${seed}`);
const stats = await fuzz({
  seed,
  iterations,
  saveDir: saveDir || undefined,
  crashFile: saveDir ? join(saveDir, 'current-input') : undefined,
  onProgress: (done, s) => console.log(`  ${done}/${iterations}: ${s.ok} ok, ${s.typed} typed errors, ${s.failures} failures`),
});
console.log(`${stats.iterations} iterations in ${(stats.ms / 1000).toFixed(1)} s: ${stats.ok} loaded, ${stats.typedErrors} typed errors, ${stats.failures.length} failures`);
console.log(`by kind: ${Object.entries(stats.byKind).map(([k, n]) => `${k} ${n}`).join(', ')}`);
console.log(`slowest: ${stats.slowest.map((s) => `${s.ms} ms seed ${s.seed} ${s.file} [${s.mutations.join('; ')}]`).join('\n         ')}`);
if (stats.failures.length > 0) {
  console.log(`\n${formatFailures(stats.failures, 20)}`);
  process.exit(1);
}
