import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { inventoryCommand } from '../../src/cli/inventory.js';
import { INVENTORY_CASES } from './inventory-oracle-cases.js';
import { ANSIBLE_ENV, FIXTURES, RUN_ORACLE, requireAnsible, runOracle } from './inventory-oracle-support.js';

interface OracleRun {
  readonly rc: number;
  readonly stdout: string;
}

const MODES: readonly (readonly string[])[] = [['--graph'], ['--list'], ['--graph', '--vars'], ['--graph', 'all']];

/** Cases whose vars hold !vault values: --graph --vars would need the vault password. */
const needsVault = (c: readonly string[]): boolean => c.some((s) => s.includes('vault'));

function runs(): { sources: readonly string[]; mode: readonly string[] }[] {
  return INVENTORY_CASES.flatMap((sources) => MODES.filter((m) => !(needsVault(sources) && m.includes('--vars'))).map((mode) => ({ sources, mode })));
}

async function ours(sources: readonly string[], mode: readonly string[]): Promise<string> {
  const positional = mode.find((m) => !m.startsWith('--'));
  const r = await inventoryCommand(positional, { inventory: [...sources], list: mode.includes('--list'), graph: mode.includes('--graph'), vars: mode.includes('--vars') }, FIXTURES);
  return `${r.stdout}\n`;
}

describe.runIf(RUN_ORACLE)('tsbook inventory vs ansible-inventory', () => {
  const all = runs();
  let oracle: OracleRun[] | undefined;
  const expected = (i: number): OracleRun => {
    oracle ??= runOracle<OracleRun[]>('inventory_oracle.py', {
      runs: all.map(({ sources, mode }) => ({ cwd: FIXTURES, args: [...sources.flatMap((s) => ['-i', s]), ...mode] })),
    });
    return oracle[i]!;
  };

  it('covers at least 10 inventories', () => {
    expect(INVENTORY_CASES.length).toBeGreaterThanOrEqual(10);
  });

  all.forEach(({ sources, mode }, i) => {
    it(`${sources.join(' + ')} ${mode.join(' ')}`, async () => {
      const exp = expected(i);
      expect(exp.rc).toBe(0);
      const got = await ours(sources, mode);
      if (mode.includes('--list')) {
        expect(JSON.parse(got)).toEqual(JSON.parse(exp.stdout));
        // Python's json.dumps(indent=4, sort_keys=True) layout, except floats like 1.0.
        if (!/\d\.0\b/.test(exp.stdout)) expect(got).toBe(exp.stdout);
      } else {
        expect(got).toBe(exp.stdout);
      }
    });
  });

  it('the in-process oracle agrees with the ansible-inventory binary', () => {
    requireAnsible();
    for (const args of [['-i', 'dir-mixed', '--list'], ['-i', 'nested.yaml', '--graph', '--vars']]) {
      const binary = execFileSync('ansible-inventory', args, { cwd: FIXTURES, env: ANSIBLE_ENV, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
      const [inProcess] = runOracle<OracleRun[]>('inventory_oracle.py', { runs: [{ cwd: FIXTURES, args }] });
      expect(inProcess!.stdout).toBe(binary);
    }
  });

  it('--host matches ansible-inventory --host', async () => {
    const cases: [string[], string][] = [
      [['precedence/hosts.yml'], 'h1'],
      [['precedence/hosts.yml'], 'h2'],
      [['dir-mixed'], 'db1'],
      [['ini-basic.ini'], 'web2'],
      [['../../../inventory/homelab.yaml'], 'gpu01'],
    ];
    const exp = runOracle<OracleRun[]>('inventory_oracle.py', { runs: cases.map(([src, host]) => ({ cwd: FIXTURES, args: [...src.flatMap((s) => ['-i', s]), '--host', host] })) });
    for (const [i, [src, host]] of cases.entries()) {
      const r = await inventoryCommand(undefined, { inventory: src, host }, FIXTURES);
      expect(JSON.parse(r.stdout)).toEqual(JSON.parse(exp[i]!.stdout));
      expect(`${r.stdout}\n`).toBe(exp[i]!.stdout);
    }
  });
});
