/**
 * Loader fuzzing in CI: 2,000 seeded mutations of the shipped playbooks, inventories, vars files,
 * `-e` values and template expressions (test/security/fuzz-lib.ts). Each must load or fail with a
 * TsbookError (located in the file for load errors); a TypeError, RangeError or stack overflow fails
 * the test, which prints the seed, the mutations and the mutated input. `npm run fuzz` runs 20,000.
 */
import { describe, expect, it } from 'vitest';
import { fuzz, formatFailures, mutate, Rng } from './fuzz-lib.js';

const SEED = 20240611;
const ITERATIONS = 2000;

describe('loader fuzzing', () => {
  it('the PRNG and the mutations are reproducible from the seed', () => {
    const input = Buffer.from('- hosts: all\n  tasks:\n    - debug: msg=hi\n');
    const a = mutate(new Rng(7), input);
    const b = mutate(new Rng(7), input);
    expect(a.out.equals(b.out)).toBe(true);
    expect(a.labels).toEqual(b.labels);
    const outs = new Set(Array.from({ length: 50 }, (_, i) => mutate(new Rng(i), input).out.toString('latin1')));
    expect(outs.size).toBeGreaterThan(40);
  });

  it(`${ITERATIONS} mutated inputs give success or a typed, located error`, async () => {
    const stats = await fuzz({ seed: SEED, iterations: ITERATIONS });
    if (stats.failures.length > 0) console.error(formatFailures(stats.failures));
    expect(stats.failures.map((f) => `seed ${f.seed}: ${f.error.split('\n')[0]}`)).toEqual([]);
    expect(stats.ok + stats.typedErrors).toBe(ITERATIONS);
    // the mutations neither destroy every input nor leave them all valid
    expect(stats.ok).toBeGreaterThan(ITERATIONS * 0.1);
    expect(stats.typedErrors).toBeGreaterThan(ITERATIONS * 0.3);
    for (const kind of Object.keys(stats.byKind) as (keyof typeof stats.byKind)[]) expect(stats.byKind[kind], kind).toBeGreaterThan(50);
  }, 120_000);
});
