import { afterAll, describe, expect, it } from 'vitest';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UsageError } from '../../src/model/errors.js';
import type { Inventory } from '../../src/model/inventory.js';
import { loadInventory } from '../../src/load/inventory.js';
import { addHostToInventory, inventoryFormatOf, parseVarAssignment, removeHostFromInventory, type InventoryFormat } from '../../src/load/inventory-edit.js';
import { inventoryAdd, inventoryRemove } from '../../src/cli/inventory-edit.js';
import { ANSIBLE_ENV, RUN_ORACLE, requireAnsible } from './inventory-oracle-support.js';

const HOMELAB = new URL('../../inventory/homelab.yaml', import.meta.url).pathname;
const BIN = new URL('../../bin/tsbook', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'tsbook-inv-edit-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let counter = 0;
/** Writes `text` to a fresh file with `name`'s extension and loads it with the real loader. */
async function load(text: string, name: string): Promise<Inventory> {
  const path = join(dir, `${counter++}-${name}`);
  writeFileSync(path, text);
  return loadInventory([path]);
}

/** The lines of `after` that are not in `before`, asserting that everything else is byte-identical and in order. */
function insertedLines(before: string, after: string): string[] {
  const a = before.split('\n');
  const b = after.split('\n');
  let head = 0;
  while (head < a.length && a[head] === b[head]) head++;
  let tail = 0;
  while (tail < a.length - head && a[a.length - 1 - tail] === b[b.length - 1 - tail]) tail++;
  expect(head + tail).toBe(a.length);
  return b.slice(head, b.length - tail);
}

const hostsOf = (inv: Inventory, group: string): readonly string[] => inv.groups.get(group)?.hosts ?? [];

const COMMENTED_YAML = `# yaml-language-server: $schema=../schemas/inventory.schema.json
# a homelab

all:
  vars:
    octal: 0755          # YAML 1.1 octal, must stay as written
    list: [a, b]
  children:
    web:
      # the web tier
      hosts:
        web1:
          ansible_host: 10.0.0.1   # first
        web2:
          ansible_host: 10.0.0.2
      vars:
        http_port: 80

    db:
      hosts:
        db1: {ansible_host: 10.0.0.9}
    empty:
# trailing comment
`;

describe('inventory add/remove: YAML', () => {
  it('adds a block-style host after the last one, byte-identical elsewhere, and loads', async () => {
    const out = addHostToInventory(COMMENTED_YAML, 'yaml', { host: 'web3', group: 'web', vars: [['ansible_host', '10.0.0.3'], ['ansible_port', '2222']] });
    expect(insertedLines(COMMENTED_YAML, out)).toEqual(['        web3:', '          ansible_host: 10.0.0.3', '          ansible_port: 2222']);
    const inv = await load(out, 'a.yaml');
    expect(hostsOf(inv, 'web')).toEqual(['web1', 'web2', 'web3']);
    expect(inv.hosts.get('web3')!.vars).toMatchObject({ ansible_host: '10.0.0.3', ansible_port: 2222 });
    expect(inv.groups.get('all')!.vars['octal']).toBe(493);
  });

  it('copies the flow style of the previous host, without padding when it has none', () => {
    const out = addHostToInventory(COMMENTED_YAML, 'yaml', { host: 'db2', group: 'db', vars: [['ansible_host', '10.0.0.10'], ['note', 'a, b: c']] });
    expect(insertedLines(COMMENTED_YAML, out)).toEqual(['        db2: {ansible_host: 10.0.0.10, note: "a, b: c"}']);
  });

  it('round-trips: remove after add gives the original bytes back', () => {
    for (const [host, group] of [['web3', 'web'], ['db2', 'db'], ['new1', 'empty'], ['x1', 'brand_new'], ['top', 'all']] as const) {
      const added = addHostToInventory(COMMENTED_YAML, 'yaml', { host, group, vars: [['k', 'v']] });
      expect(added).not.toBe(COMMENTED_YAML);
      const removed = removeHostFromInventory(added, 'yaml', { host, group });
      if (group === 'web' || group === 'db') expect(removed).toBe(COMMENTED_YAML);
      else expect(removed).toContain(`${group}:`); // the created group (or hosts key) stays
    }
  });

  it('fills an empty group, adds hosts: to a group without it, and creates a missing group under all.children', async () => {
    const empty = addHostToInventory(COMMENTED_YAML, 'yaml', { host: 'e1', group: 'empty' });
    expect(insertedLines(COMMENTED_YAML, empty)).toEqual(['      hosts:', '        e1:']);
    const fresh = addHostToInventory(COMMENTED_YAML, 'yaml', { host: 'lb1', group: 'lbs', vars: [['ansible_host', '10.0.0.5']] });
    const inv = await load(fresh, 'b.yml');
    expect(hostsOf(inv, 'lbs')).toEqual(['lb1']);
    expect(inv.groups.get('all')!.children).toContain('lbs');
    expect(hostsOf(await load(empty, 'c.yaml'), 'empty')).toEqual(['e1']);
    const noHosts = 'all:\n  children:\n    pis:\n      vars:\n        arch: arm64\n';
    expect(addHostToInventory(noHosts, 'yaml', { host: 'pi01', group: 'pis' })).toBe('all:\n  children:\n    pis:\n      vars:\n        arch: arm64\n      hosts:\n        pi01:\n');
    expect(addHostToInventory('web:\n  hosts: {}\n', 'yaml', { host: 'w1', group: 'web' })).toBe('web:\n  hosts: { w1 }\n');
    expect(addHostToInventory('', 'yaml', { host: 'h1', group: 'g' })).toBe('g:\n  hosts:\n    h1:\n');
  });

  it('keeps a 4-space indentation step and CRLF line ends', () => {
    const text = 'all:\r\n    children:\r\n        g:\r\n            hosts:\r\n                h1:\r\n';
    expect(addHostToInventory(text, 'yaml', { host: 'h2', group: 'g', vars: [['a', '1']] })).toBe(`${text}                h2:\r\n                    a: 1\r\n`);
  });

  it('refuses a host already in the group and removing a host that is not listed', () => {
    expect(() => addHostToInventory(COMMENTED_YAML, 'yaml', { host: 'web1', group: 'web' })).toThrow(new UsageError("host 'web1' is already in group 'web'"));
    expect(() => removeHostFromInventory(COMMENTED_YAML, 'yaml', { host: 'nope' })).toThrow(new UsageError("host 'nope' is not listed in this inventory"));
    expect(() => removeHostFromInventory(COMMENTED_YAML, 'yaml', { host: 'web1', group: 'db' })).toThrow(new UsageError("host 'web1' is not listed in group 'db'"));
    expect(() => addHostToInventory(COMMENTED_YAML, 'yaml', { host: 'bad host', group: 'web' })).toThrow(UsageError);
    expect(() => addHostToInventory(COMMENTED_YAML, 'yaml', { host: 'h:22', group: 'web' })).toThrow(/ansible_port/);
    expect(() => addHostToInventory(COMMENTED_YAML, 'yaml', { host: 'h', group: 'bad-group' })).toThrow(/not a valid group name/);
    expect(() => parseVarAssignment('novalue')).toThrow(/NAME=VALUE/);
  });

  it('removes a host from every group that lists it', async () => {
    const text = 'a:\n  hosts:\n    h1:\n    h2: { x: 1 }\nb:\n  hosts: { h2, h3 }\n';
    const out = removeHostFromInventory(text, 'yaml', { host: 'h2' });
    expect(out).toBe('a:\n  hosts:\n    h1:\nb:\n  hosts: { h3 }\n');
    const inv = await load(out, 'd.yaml');
    expect(inv.hosts.has('h2')).toBe(false);
  });
});

const INI = `; homelab
[web]
web1 ansible_host=10.0.0.1
# web2 is retired

[web:vars]
http_port=80

[db]
db1
`;

describe('inventory add/remove: INI', () => {
  it('appends HOST k=v at the end of the [G] section (not its :vars), quoting values with spaces', async () => {
    const out = addHostToInventory(INI, 'ini', { host: 'web3', group: 'web', vars: [['ansible_host', '10.0.0.3'], ['motd', 'hello world']] });
    expect(insertedLines(INI, out)).toEqual(['web3 ansible_host=10.0.0.3 motd="hello world"']);
    expect(out.split('\n')[3]).toBe('web3 ansible_host=10.0.0.3 motd="hello world"');
    const inv = await load(out, 'a.ini');
    expect(hostsOf(inv, 'web')).toEqual(['web1', 'web3']);
    expect(inv.hosts.get('web3')!.vars).toMatchObject({ ansible_host: '10.0.0.3', motd: 'hello world' });
    expect(removeHostFromInventory(out, 'ini', { host: 'web3', group: 'web' })).toBe(INI);
  });

  it('creates a missing section at the end and keeps CRLF', async () => {
    const out = addHostToInventory(INI, 'ini', { host: 'pi09', group: 'pis', vars: [['ansible_port', '2222']] });
    expect(out).toBe(`${INI}\n[pis]\npi09 ansible_port=2222\n`);
    expect((await load(out, 'b.ini')).hosts.get('pi09')!.vars).toMatchObject({ ansible_port: 2222 });
    const crlf = INI.replace(/\n/g, '\r\n');
    expect(addHostToInventory(crlf, 'ini', { host: 'db2', group: 'db' })).toBe(`${crlf}db2\r\n`);
  });

  it('refuses duplicates (also host:port lines) and unknown hosts', () => {
    const text = '[db]\ndb1:2222\n';
    expect(() => addHostToInventory(text, 'ini', { host: 'db1', group: 'db' })).toThrow("host 'db1' is already in group 'db'");
    expect(addHostToInventory(text, 'ini', { host: 'db1', group: 'web' })).toBe('[db]\ndb1:2222\n\n[web]\ndb1\n');
    expect(() => removeHostFromInventory(text, 'ini', { host: 'db2' })).toThrow("host 'db2' is not listed in this inventory");
    expect(removeHostFromInventory(INI, 'ini', { host: 'web1' })).toBe(INI.replace('web1 ansible_host=10.0.0.1\n', ''));
  });

  it('picks the format from the file name, and from the text without an extension', () => {
    const cases: Array<[string, string, InventoryFormat]> = [
      ['hosts.yml', '', 'yaml'],
      ['hosts.ini', 'all:\n  hosts: {}\n', 'ini'],
      ['hosts', 'all:\n  hosts: {}\n', 'yaml'],
      ['hosts', '[web]\nweb1\n', 'ini'],
    ];
    for (const [path, text, format] of cases) expect(inventoryFormatOf(path, text)).toBe(format);
    expect(() => inventoryFormatOf('inv.json', '{}')).toThrow(/JSON/);
  });
});

describe('inventory add/remove: the homelab inventory', () => {
  const homelab = readFileSync(HOMELAB, 'utf8');

  it('adds a Pi to pis in the style of the others', async () => {
    const out = addHostToInventory(homelab, 'yaml', { host: 'pi09', group: 'pis', vars: [['ansible_host', '10.4.0.29']] });
    expect(insertedLines(homelab, out)).toEqual(['                pi09: { ansible_host: 10.4.0.29 }']);
    const inv = await load(out, 'homelab.yaml');
    expect(hostsOf(inv, 'pis').at(-1)).toBe('pi09');
    expect(removeHostFromInventory(out, 'yaml', { host: 'pi09' })).toBe(homelab);
  });

  it.runIf(RUN_ORACLE)('ansible-inventory --graph shows the added Pi and the added GPU node', () => {
    requireAnsible();
    const path = join(dir, 'homelab.yaml');
    writeFileSync(path, homelab);
    execFileSync(BIN, ['inventory', 'add', 'pi09', '-i', path, '--group', 'pis', '--var', 'ansible_host=10.4.0.29'], { encoding: 'utf8' });
    execFileSync(BIN, ['inventory', 'add', 'gpu02', '-i', path, '--group', 'gpu', '--var', 'ansible_host=10.4.0.32'], { encoding: 'utf8' });
    const graph = execFileSync('ansible-inventory', ['-i', path, '--graph', 'k8s_worker'], { encoding: 'utf8', env: ANSIBLE_ENV });
    expect(graph).toContain('  |  |--pi08\n  |  |--pi09\n');
    expect(graph).toContain('  |  |--gpu01\n  |  |--gpu02\n');
    const ours = execFileSync(BIN, ['inventory', '-i', path, '--graph', 'k8s_worker'], { encoding: 'utf8' });
    expect(ours).toBe(graph);
    const hostvars = JSON.parse(execFileSync('ansible-inventory', ['-i', path, '--host', 'pi09'], { encoding: 'utf8', env: ANSIBLE_ENV })) as Record<string, unknown>;
    expect(hostvars).toMatchObject({ ansible_host: '10.4.0.29', arch: 'arm64', board: 'raspberrypi-4b' });
  });
});

describe('tsbook inventory add/remove (CLI)', () => {
  it('edits the file atomically and reports usage errors without touching it', async () => {
    const path = join(dir, 'cli.ini');
    writeFileSync(path, INI);
    expect(await inventoryAdd('web9', { inventory: ['cli.ini'], group: 'web', var: ['ansible_host=10.0.0.9'] }, dir)).toBe('added web9 to group web in cli.ini');
    expect(readFileSync(path, 'utf8')).toContain('web1 ansible_host=10.0.0.1\nweb9 ansible_host=10.0.0.9\n');
    await expect(inventoryAdd('web9', { inventory: ['cli.ini'], group: 'web' }, dir)).rejects.toThrow("host 'web9' is already in group 'web'");
    await expect(inventoryAdd('x', { inventory: ['cli.ini'] }, dir)).rejects.toThrow('--group');
    await expect(inventoryRemove('nope', { inventory: ['cli.ini'] }, dir)).rejects.toThrow("host 'nope' is not in cli.ini");
    await expect(inventoryRemove('web9', { inventory: ['cli.ini'], group: 'nogroup' }, dir)).rejects.toThrow("group 'nogroup' is not in cli.ini");
    expect(await inventoryRemove('web9', { inventory: ['cli.ini'] }, dir)).toBe('removed web9 from cli.ini');
    expect(readFileSync(path, 'utf8')).toBe(INI);
  });

  it('refuses to remove a host that comes from a range', async () => {
    const path = join(dir, 'range.yaml');
    const text = 'pis:\n  hosts:\n    pi[01:03]:\n';
    writeFileSync(path, text);
    await expect(inventoryAdd('pi02', { inventory: [path], group: 'pis' }, dir)).rejects.toThrow("host 'pi02' is already in group 'pis'");
    await expect(inventoryRemove('pi02', { inventory: [path] }, dir)).rejects.toThrow(/host range/);
    expect(readFileSync(path, 'utf8')).toBe(text);
  });

  it('bin/tsbook exits 5 on a duplicate and leaves no temp files', () => {
    const sub = mkdtempSync(join(dir, 'bin-'));
    const path = join(sub, 'hosts.yaml');
    writeFileSync(path, 'web:\n  hosts:\n    web1:\n');
    const ok = spawnSync(BIN, ['inventory', 'add', 'web2', '-i', path, '--group', 'web'], { encoding: 'utf8' });
    expect([ok.status, ok.stdout]).toEqual([0, `added web2 to group web in ${path}\n`]);
    const dup = spawnSync(BIN, ['inventory', 'add', 'web2', '-i', path, '--group', 'web'], { encoding: 'utf8' });
    expect([dup.status, dup.stderr]).toEqual([5, "ERROR! host 'web2' is already in group 'web'\n"]);
    const missing = spawnSync(BIN, ['inventory', 'remove', 'web7', '-i', path], { encoding: 'utf8' });
    expect([missing.status, missing.stderr]).toEqual([5, `ERROR! host 'web7' is not in ${path}\n`]);
    expect(readFileSync(path, 'utf8')).toBe('web:\n  hosts:\n    web1:\n    web2:\n');
    expect(execFileSync('ls', ['-A', sub], { encoding: 'utf8' })).toBe('hosts.yaml\n');
    const graph = spawnSync(BIN, ['inventory', '-i', path, '--graph'], { encoding: 'utf8' });
    expect(graph.stdout).toContain('|--@web:\n  |  |--web1\n  |  |--web2\n');
  });
});
