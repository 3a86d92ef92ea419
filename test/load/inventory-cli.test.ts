import { describe, expect, it, vi } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { parse as parseYamlText } from 'yaml';
import { UsageError, VaultError } from '../../src/model/errors.js';
import { inventoryCommand, registerInventory } from '../../src/cli/inventory.js';
import { pyRepr, pythonJson } from '../../src/cli/inventory-format.js';
import { formatListHosts } from '../../src/cli/list-hosts.js';
import { loadInventory } from '../../src/load/inventory.js';
import { selectHosts } from '../../src/load/patterns.js';
import { ANSIBLE_ENV, FIXTURES, RUN_ORACLE, requireAnsible, runOracle } from './inventory-oracle-support.js';

const homelab = '../../../inventory/homelab.yaml';

describe('tsbook inventory options', () => {
  const usage = async (group: string | undefined, options: Parameters<typeof inventoryCommand>[1]): Promise<string> => {
    const err = await inventoryCommand(group, options, FIXTURES).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(UsageError);
    return (err as UsageError).message;
  };

  it('requires exactly one action', async () => {
    expect(await usage(undefined, { inventory: [homelab] })).toBe('No action selected, at least one of --host, --graph or --list needs to be specified.');
    expect(await usage(undefined, { inventory: [homelab], list: true, graph: true })).toBe(
      'Conflicting options used, only one of --host, --graph or --list can be used at the same time.',
    );
  });
  it('needs --host to match a single host and --graph a group', async () => {
    expect(await usage(undefined, { inventory: [homelab], host: 'pis' })).toBe('You must pass a single valid host to --host parameter');
    expect(await usage('pi01', { inventory: [homelab], graph: true })).toBe('Pattern must be valid group name when using --graph');
    expect(await usage(undefined, { inventory: [homelab], list: true, toml: true })).toContain('TOML');
  });
  it('starts --graph at a group', async () => {
    const r = await inventoryCommand('k8s_worker', { inventory: [homelab], graph: true }, FIXTURES);
    expect(r.stdout.split('\n').slice(0, 3)).toEqual(['@k8s_worker:', '  |--@pis:', '  |  |--pi01']);
  });
  it('fails like Ansible when --graph --vars would need a vault secret', async () => {
    await expect(inventoryCommand(undefined, { inventory: ['vault.yaml'], graph: true, vars: true }, FIXTURES)).rejects.toBeInstanceOf(VaultError);
  });
  it('prints through the registered commander command', async () => {
    const program = new Command().exitOverride();
    registerInventory(program);
    const writes: string[] = [];
    const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      writes.push(String(chunk));
      return true;
    });
    try {
      await program.parseAsync(['node', 'tsbook', 'inventory', '-i', join(FIXTURES, 'multi-a.ini'), '-i', join(FIXTURES, 'multi-b.yaml'), '--host', 'w2']);
    } finally {
      spy.mockRestore();
    }
    expect(JSON.parse(writes.join(''))).toEqual({ color: 'blue', source: 'b', only_a: 1 });
  });
});

describe('Python-compatible rendering', () => {
  it('dumps JSON like json.dumps(indent=4, sort_keys=True)', () => {
    expect(pythonJson({ b: [], a: { z: 1, y: [true, null] }, c: {} })).toBe(
      '{\n    "a": {\n        "y": [\n            true,\n            null\n        ],\n        "z": 1\n    },\n    "b": [],\n    "c": {}\n}',
    );
  });
  it('renders values like Python repr()', () => {
    expect(pyRepr({ a: [1, 'x', null, true], "it's": 1.5 })).toBe(`{'a': [1, 'x', None, True], "it's": 1.5}`);
    expect(pyRepr(1e-7)).toBe('1e-07');
  });
});

describe.runIf(RUN_ORACLE)('tsbook inventory vs ansible-inventory (YAML and --export)', () => {
  it('--list --yaml and --list --export give the same data', async () => {
    const cases: string[][] = [[homelab], ['dir-mixed'], ['nested.yaml'], ['multi-a.ini', 'multi-b.yaml']];
    const runs = cases.flatMap((src) => [
      { cwd: FIXTURES, args: [...src.flatMap((s) => ['-i', s]), '--list', '--yaml'] },
      { cwd: FIXTURES, args: [...src.flatMap((s) => ['-i', s]), '--list', '--export'] },
    ]);
    const exp = runOracle<{ rc: number; stdout: string }[]>('inventory_oracle.py', { runs });
    for (const [i, src] of cases.entries()) {
      const yaml = await inventoryCommand(undefined, { inventory: src, list: true, yaml: true }, FIXTURES);
      expect(parseYamlText(yaml.stdout), src.join(' ')).toEqual(parseYamlText(exp[2 * i]!.stdout));
      const exported = await inventoryCommand(undefined, { inventory: src, list: true, export: true }, FIXTURES);
      expect(JSON.parse(exported.stdout), src.join(' ')).toEqual(JSON.parse(exp[2 * i + 1]!.stdout));
    }
  });
});

describe.runIf(RUN_ORACLE)('formatListHosts vs ansible-playbook --list-hosts', () => {
  it('prints the same text (plays with at most one host, where Ansible order is fixed)', async () => {
    requireAnsible();
    const dir = mkdtempSync(join(tmpdir(), 'tsbook-lh-'));
    try {
      const plays = [
        { name: 'Bootstrap the first control plane', hosts: 'k8s_control_plane[0]', tags: ['kubeadm'] },
        { name: 'GPU node', hosts: ['gpu'], tags: [] },
        { name: "it's quoted", hosts: 'nomatch', tags: [] },
        { name: 'pis:&k8s_worker[1]', hosts: 'pis:&k8s_worker[1]', tags: [] },
        { name: 'two patterns', hosts: ['pi08', 'gpu01:&pis'], tags: ['a'] },
      ];
      const book = join(dir, 'site.yml');
      writeFileSync(
        book,
        plays.map((p) => `- name: ${JSON.stringify(p.name)}\n  hosts: ${JSON.stringify(p.hosts)}\n  gather_facts: false\n  tags: ${JSON.stringify(p.tags)}\n  tasks: []\n`).join(''),
      );
      const invPath = join(FIXTURES, homelab);
      const expected = execFileSync('ansible-playbook', ['-i', invPath, '--list-hosts', 'site.yml'], { cwd: dir, env: ANSIBLE_ENV, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
      const inv = await loadInventory([invPath]);
      const got = formatListHosts(
        'site.yml',
        plays.map((p) => ({ name: p.name, pattern: p.hosts, hosts: selectHosts(inv, p.hosts), tags: p.tags })),
      );
      expect(got).toBe(expected);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
