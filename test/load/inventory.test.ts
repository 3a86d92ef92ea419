import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { LoadError } from '../../src/model/errors.js';
import { VaultText } from '../../src/model/values.js';
import { groupNamesOf, groupsMap, inventoryVarsFor, loadInventory, loadVarsLayer, type LoadInventoryOptions } from '../../src/load/inventory.js';
import { expandHostPattern, expandHostnameRange, parseAddress } from '../../src/load/inventory-address.js';
import { FIXTURES } from './inventory-oracle-support.js';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'tsbook-inv-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function write(rel: string, text: string): string {
  const path = join(dir, rel);
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, text);
  return path;
}

async function loadText(name: string, text: string, options: LoadInventoryOptions = {}) {
  return loadInventory([write(name, text)], options);
}

async function loadError(name: string, text: string): Promise<LoadError> {
  const err = await loadText(name, text).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(LoadError);
  return err as LoadError;
}

const hostNames = (inv: { hosts: ReadonlyMap<string, unknown> }): string[] => [...inv.hosts.keys()];

describe('host ranges and addresses', () => {
  it('expands numeric ranges with zero padding', () => {
    expect(expandHostnameRange('pi[01:08]')).toEqual(['pi01', 'pi02', 'pi03', 'pi04', 'pi05', 'pi06', 'pi07', 'pi08']);
  });
  it('expands alphabetic ranges', () => {
    expect(expandHostnameRange('node-[a:c].lab')).toEqual(['node-a.lab', 'node-b.lab', 'node-c.lab']);
  });
  it('expands ranges with a stride', () => {
    expect(expandHostnameRange('s[1:10:2]')).toEqual(['s1', 's3', 's5', 's7', 's9']);
    expect(expandHostnameRange('z[0:20:5]')).toEqual(['z0', 'z5', 'z10', 'z15', 'z20']);
  });
  it('expands several ranges in one name, left to right', () => {
    expect(expandHostnameRange('r[1:2]-u[a:b]')).toEqual(['r1-ua', 'r1-ub', 'r2-ua', 'r2-ub']);
  });
  it('defaults an empty begin to 0', () => {
    expect(expandHostnameRange('h[:2]')).toEqual(['h0', 'h1', 'h2']);
  });
  it('rejects malformed ranges with Ansible messages', () => {
    expect(() => expandHostnameRange('h[01:3]')).toThrow('host range must specify equal-length begin and end formats');
    expect(() => expandHostnameRange('h[1:]')).toThrow('host range must specify end value');
    expect(() => expandHostnameRange('h[c:a]')).toThrow('host range must have begin <= end');
    expect(() => expandHostnameRange('h[1]')).toThrow('host range must be begin:end or begin:end:step');
  });
  it('splits ports off hosts and bracketed IPv6 addresses', () => {
    expect(parseAddress('db1:2222', true)).toEqual({ host: 'db1', port: 2222 });
    expect(parseAddress('[2001:db8::1]:8022', true)).toEqual({ host: '2001:db8::1', port: 8022 });
    expect(parseAddress('2001:db8::1', true)).toEqual({ host: '2001:db8::1' });
    expect(parseAddress('10.0.0.1', false)).toEqual({ host: '10.0.0.1' });
    expect(() => parseAddress('web[1:2]', false)).toThrow('Detected range in host');
    expect(() => parseAddress('bad_', true)).toThrow('Not a valid network hostname');
  });
  it('keeps a pattern that is not an address as it is (port not split)', () => {
    expect(expandHostPattern('my_host_:22')).toEqual({ hosts: ['my_host_:22'] });
    expect(expandHostPattern('edge[1:2]:2222')).toEqual({ hosts: ['edge1', 'edge2'], port: 2222 });
  });
});

describe('YAML inventories', () => {
  it('reads all/children/hosts/vars nesting in order', async () => {
    const inv = await loadInventory([join(FIXTURES, 'yaml-basic.yml')]);
    expect(hostNames(inv)).toEqual(['bastion', 'web01.example.com', 'web02.example.com', 'web03.example.com', 'web-legacy', 'db1', 'db2', 'nas01']);
    expect(inv.groups.get('web')!.hosts).toEqual(['web01.example.com', 'web02.example.com', 'web03.example.com', 'web-legacy']);
    expect(inv.groups.get('db')!.children).toEqual(['db_replicas']);
    expect(inv.groups.get('all')!.children).toEqual(['ungrouped', 'web', 'db', 'empty_group', 'storage']);
    expect(inv.groups.get('ungrouped')!.hosts).toEqual(['bastion']);
    expect(inv.hosts.get('web-legacy')!.vars.ansible_port).toBe(2222);
    expect(inv.groups.get('storage')!.hosts).toEqual(['nas01']);
  });

  it('uses YAML 1.1 scalars as Ansible does (yes/on, octal)', async () => {
    const inv = await loadInventory([join(FIXTURES, 'yaml-basic.yml')]);
    expect(inv.groups.get('all')!.vars).toMatchObject({ flag: true, octal: 493 });
    expect(inv.groups.get('web')!.vars).toMatchObject({ enabled: true, tier: 'frontend' });
  });

  it('records the source position of hosts and groups', async () => {
    const inv = await loadInventory([join(FIXTURES, 'yaml-basic.yml')]);
    expect(inv.hosts.get('db1')!.source).toMatchObject({ line: 20, col: 9 });
    expect(inv.groups.get('db')!.source).toMatchObject({ line: 18, col: 5 });
  });

  it('keeps !vault values as VaultText', async () => {
    const inv = await loadInventory([join(FIXTURES, 'vault.yaml')]);
    const v = inv.hosts.get('secret_host')!.vars.password;
    expect(v).toBeInstanceOf(VaultText);
    expect((v as VaultText).ciphertext).toMatch(/^\$ANSIBLE_VAULT;1\.1;AES256\n6231/);
  });

  it('reads JSON inventories', async () => {
    const inv = await loadInventory([join(FIXTURES, 'inventory.json')]);
    expect(inv.groups.get('servers')!.hosts).toEqual(['srv1', 'srv2']);
    expect(inventoryVarsFor(inv, 'srv1')).toMatchObject({ env: 'json', role: 'server', ansible_host: '10.2.0.1', yes_string: 'yes' });
  });

  it('warns about unexpected keys and non-mapping groups, as Ansible does', async () => {
    const warnings: string[] = [];
    await loadText('warn.yml', 'all:\n  hostz:\n    a:\nbad: [1]\n', { onWarning: (w) => warnings.push(w) });
    expect(warnings).toContain('Skipping unexpected key (hostz) in group (all), only "vars", "children" and "hosts" are valid');
    expect(warnings).toContain("Skipping 'bad' as this is not a valid group definition");
  });

  it('fails on a child group that is not a mapping (Ansible cannot add it)', async () => {
    const err = await loadError('e-child.yml', 'all:\n  children:\n    bad: [1]\n');
    expect(err.message).toBe('bad is not a known host nor group');
    expect(err.source).toMatchObject({ line: 3, col: 5 });
  });

  it('reports structural errors at line:col', async () => {
    const err = await loadError('e-hosts.yml', 'all:\n  children:\n    web:\n      hosts: [a, b]\n');
    expect(err.message).toBe(`Invalid "hosts" entry for "web" group, requires a dictionary, found "<class 'list'>" instead.`);
    expect(err.source).toMatchObject({ line: 4, col: 14 });
    expect(err.frame).toContain('> 4 |       hosts: [a, b]');
  });

  it('reports bad host ranges at the host key', async () => {
    const err = await loadError('e-range.yml', 'all:\n  hosts:\n    h[1:x]:\n');
    expect(err.message).toBe("Invalid host pattern 'h[1:x]': invalid literal for int() with base 10: 'x'");
    expect(err.source).toMatchObject({ line: 3, col: 5 });
  });

  it('reports host vars that are not a mapping', async () => {
    const err = await loadError('e-vars.yaml', 'web:\n  hosts:\n    a: 1\n');
    expect(err.message).toMatch(/^Invalid data from file, expected dictionary/);
    expect(err.source).toMatchObject({ line: 3, col: 8 });
  });

  it('reports YAML syntax errors of .yml files (not the INI fallback)', async () => {
    const err = await loadError('e-syntax.yml', 'all:\n  hosts: [\n');
    expect(err.message).toMatch(/^YAML syntax error/);
    expect(err.source?.file).toMatch(/e-syntax\.yml$/);
  });

  it('rejects group cycles', async () => {
    const err = await loadError('e-cycle.yml', 'a:\n  children:\n    b:\n      children:\n        a:\n');
    // b -> a is added first (while b is parsed), then a -> b closes the loop.
    expect(err.message).toBe("Adding group 'b' as child to 'a' creates a recursive dependency loop.");
    expect(err.source).toMatchObject({ line: 3, col: 5 });
  });

  it('rejects inventory plugin configuration files', async () => {
    const err = await loadError('aws_ec2.yml', 'plugin: amazon.aws.aws_ec2\nregions: [eu-west-1]\n');
    expect(err.message).toContain('inventory plugin configuration files are not supported');
  });

  it('gives an empty inventory for an empty or comment-only file', async () => {
    const inv = await loadText('empty.yml', '# nothing yet\n');
    expect(hostNames(inv)).toEqual([]);
    expect([...inv.groups.keys()]).toEqual(['all', 'ungrouped']);
  });
});

describe('INI inventories', () => {
  it('parses groups, children declared before their groups, and ungrouped hosts', async () => {
    const inv = await loadInventory([join(FIXTURES, 'ini-basic.ini')]);
    expect(hostNames(inv)).toEqual(['jumphost', 'localhost', 'web1', 'web2', 'web3', 'api1', 'api2', 'api3']);
    expect(inv.groups.get('app')!.children).toEqual(['web', 'backend']);
    expect(inv.groups.get('all')!.children).toEqual(['ungrouped', 'app']);
    expect(inv.groups.get('ungrouped')!.hosts).toEqual(['jumphost', 'localhost']);
  });

  it('evaluates host-line values as Python literals', async () => {
    const inv = await loadInventory([join(FIXTURES, 'ini-basic.ini')]);
    expect(inv.hosts.get('web1')!.vars).toMatchObject({ http_port: 80, weight: 1.5, tags: ['a', 'b'], cfg: { k: 1 }, quoted: '007' });
    expect(inv.hosts.get('web2')!.vars).toMatchObject({ ansible_port: 8022, enabled: true, nothing: null, text: 'hello world' });
  });

  it('evaluates [group:vars] values the same way (ansible-core 2.14 behaviour)', async () => {
    const inv = await loadInventory([join(FIXTURES, 'ini-basic.ini')]);
    expect(inv.groups.get('web')!.vars).toEqual({
      nginx_version: 1.24,
      proxy: 'on',
      max_conn: 1024,
      note: 'spaces are kept ; not a comment',
      empty: '',
    });
    expect(inv.groups.get('all')!.vars).toEqual({ domain: 'example.org', ntp: 'pool.ntp.org' });
  });

  it('parses ranges, ports and IPv6 hosts', async () => {
    const inv = await loadInventory([join(FIXTURES, 'ranges.ini')]);
    expect(inv.groups.get('pis')!.hosts).toHaveLength(8);
    expect(inv.groups.get('stride')!.hosts).toEqual(['s1', 's4', 's7', 's10', 'z0.lab', 'z5.lab', 'z10.lab', 'z15.lab', 'z20.lab']);
    expect(inv.groups.get('multi')!.hosts).toEqual(['rack1-ua', 'rack1-ub', 'rack2-ua', 'rack2-ub']);
    expect(inv.groups.get('ports')!.hosts).toEqual(['edge1', 'edge2', '2001:db8::1', '10.9.9.1', '10.9.9.2', '10.9.9.3']);
    expect(inv.hosts.get('edge2')!.vars).toMatchObject({ ansible_port: 2222, role: 'edge' });
    expect(inv.hosts.get('2001:db8::1')!.vars).toMatchObject({ ansible_port: 8022 });
  });

  it('reads an extension-less INI file after the YAML attempt fails', async () => {
    const inv = await loadText('hosts', '[web]\nw1\nw2 x=1\n');
    expect(inv.groups.get('web')!.hosts).toEqual(['w1', 'w2']);
  });

  const cases: [string, string, string, number, number][] = [
    ['e1.ini', '[web]\nweb1\n[web:vars]\nnovalue\n', 'Expected key=value, got: novalue', 4, 1],
    ['e2.ini', '[web]\nh1 a=1 b\n', 'Expected key=value host variable assignment, got: b', 2, 8],
    ['e3.ini', '[a:children]\n  missing\n', 'Section [a:children] includes undefined group: missing', 2, 3],
    ['e4.ini', '[ghost:vars]\nx=1\n', 'Section [ghost:vars] not valid for undefined group: ghost', 1, 1],
    ['e5.ini', '[web:kids]\nh1\n', 'Section [web:kids] has unknown type: kids', 1, 1],
    ['e6.ini', '[web]\nh[01:3]\n', "Invalid host pattern 'h[01:3]': host range must specify equal-length begin and end formats", 2, 1],
    ['e7.ini', '[web]\nh1 x="unterminated\n', `Error parsing host definition 'h1 x="unterminated': No closing quotation`, 2, 1],
    ['e8.ini', '[web]\n  host: \n', "Invalid host pattern 'host:' supplied, ending in ':' is not allowed, this character is reserved to provide a port.", 2, 3],
    ['e9.ini', '[bad name]\n', "Invalid section entry: '[bad name]'. Please make sure that there are no spaces in the section entry, and that there are no other invalid characters", 1, 1],
    ['e10.ini', '[web]\nh1 d="{[1]: 2}"\n', 'unhashable type: \'list\'', 2, 4],
  ];
  for (const [name, text, message, line, col] of cases) {
    it(`reports "${message.slice(0, 40)}..." at ${line}:${col}`, async () => {
      const err = await loadError(name, text);
      expect(err.message).toBe(message);
      expect(err.source).toMatchObject({ line, col });
      expect(err.frame).toMatch(new RegExp(`^> +${line} \\|`, 'm'));
    });
  }
});

describe('directories, host lists and several sources', () => {
  it('reads every inventory file of a directory, skipping Ansible-ignored names (.ini, .md)', async () => {
    const inv = await loadInventory([join(FIXTURES, 'dir-mixed')]);
    expect(hostNames(inv)).toEqual(['web1', 'web2', 'db1', 'web3', 'mon1', 'web4']);
    expect(inv.groups.has('ignored')).toBe(false);
    expect(inv.hosts.get('web4')!.vars.inventory_file).toBe(join(FIXTURES, 'dir-mixed', 'sub', '03-nested.yml'));
    expect(inv.hosts.get('web4')!.vars.inventory_dir).toBe(join(FIXTURES, 'dir-mixed', 'sub'));
  });

  it('reads comma-separated host lists into ungrouped, with ports', async () => {
    const inv = await loadInventory(['h1, h2:2222,[::1]:22,h1,']);
    expect(hostNames(inv)).toEqual(['h1', 'h2', '::1']);
    expect(inv.groups.get('ungrouped')!.hosts).toEqual(['h1', 'h2', '::1']);
    expect(inv.hosts.get('h2')!.vars).toMatchObject({ ansible_port: 2222, inventory_file: 'h1, h2:2222,[::1]:22,h1,', inventory_dir: 'None' });
  });

  it('merges sources in order: later vars win, memberships add up', async () => {
    const inv = await loadInventory([join(FIXTURES, 'multi-a.ini'), join(FIXTURES, 'multi-b.yaml')]);
    expect(hostNames(inv)).toEqual(['w1', 'w2', 'd1', 'w3', 'c1']);
    expect(inv.groups.get('web')!.vars).toEqual({ source: 'b', only_a: 1 });
    expect(inv.hosts.get('w2')!.vars.color).toBe('blue');
    expect(groupNamesOf(inv, 'w1')).toEqual(['cache', 'web']);
    expect(groupNamesOf(inv, 'd1')).toEqual(['db', 'db_primary']);
  });

  it('resolves relative sources against options.cwd', async () => {
    const inv = await loadInventory(['nested.yaml'], { cwd: FIXTURES });
    expect(inv.hosts.has('n4')).toBe(true);
  });

  it('fails on a missing source in strict mode, warns otherwise', async () => {
    await expect(loadInventory([join(dir, 'nope.yml')])).rejects.toThrow('inventory source not found');
    const warnings: string[] = [];
    const inv = await loadInventory([join(dir, 'nope.yml')], { strict: false, onWarning: (w) => warnings.push(w) });
    expect(hostNames(inv)).toEqual([]);
    expect(warnings).toEqual([`Unable to parse ${join(dir, 'nope.yml')} as an inventory source`, 'No inventory was parsed, only implicit localhost is available']);
  });

  it('never executes inventory scripts', async () => {
    const path = write('script-inv', '#!/bin/sh\necho \'{"all": {"hosts": ["x"]}}\'\n');
    chmodSync(path, 0o755);
    await expect(loadInventory([path])).rejects.toThrow('inventory scripts are not supported');
  });

  it('warns about names used by both a group and a host', async () => {
    const warnings: string[] = [];
    await loadText('clash.ini', '[web]\nweb\n', { onWarning: (w) => warnings.push(w) });
    expect(warnings).toContain('Found both group and host with same name: web');
  });
});

describe('variable layering', () => {
  it('orders groups by depth, then ansible_group_priority, then name', async () => {
    const inv = await loadInventory([join(FIXTURES, 'nested.yaml')]);
    // n1: all < site(1) < monitoring(1, prio 10) < dc1(2, prio 5) < rack_a(3); n2's host var last.
    expect(inventoryVarsFor(inv, 'n1').level).toBe('rack_a');
    expect(inventoryVarsFor(inv, 'n2').level).toBe('host-n2');
    // n4: dc2 is deeper (2) than monitoring (1), so dc2 wins despite monitoring's priority.
    expect(inventoryVarsFor(inv, 'n4').level).toBe('dc2');
    // n3: alpha and beta are at depth 1 with priority 1: beta sorts last.
    expect(inventoryVarsFor(inv, 'n3').shared).toBe('from-beta');
    expect(inv.groups.get('dc1')!.priority).toBe(5);
    expect(inv.groups.get('dc1')!.vars).not.toHaveProperty('ansible_group_priority');
  });

  it('applies group_vars files over inline group vars, and host_vars last', async () => {
    const inv = await loadInventory([join(FIXTURES, 'precedence', 'hosts.yml')]);
    const h1 = inventoryVarsFor(inv, 'h1');
    // group_vars/all.yml beats every inline group var (all_plugins_inventory comes after groups_inventory).
    expect(h1).toMatchObject({ x: 'all-file', y: 'all-file', z: 'child-file', v_all_inline: 'inline' });
    const h2 = inventoryVarsFor(inv, 'h2');
    expect(h2).toMatchObject({ x: 'h2-file', z: 'child-file' });
  });

  it('loads group_vars/NAME as a file, NAME.yml or a folder (the first that exists wins)', async () => {
    const inv = await loadInventory([join(FIXTURES, 'dir-mixed')]);
    expect(inventoryVarsFor(inv, 'db1')).toMatchObject({ db_engine: 'mysql', json_host: true, from_group_vars_all: true });
    expect(inventoryVarsFor(inv, 'web2')).toMatchObject({ web_port: 8080, web_list: ['a'], inline_web: 'overridden-by-all-file' });
    expect(inventoryVarsFor(inv, 'web1')).toMatchObject({ web_port: 9090, host_specific: true });
    expect(inventoryVarsFor(inv, 'mon1')).toMatchObject({ interval: 30, inline_web: 'overridden-by-all-file' });
    expect(inventoryVarsFor(inv, 'db1')).not.toHaveProperty('not');
  });

  it('loads group_vars/ and host_vars/ next to an inventory file', async () => {
    const inv = await loadInventory([join(FIXTURES, 'file-vars', 'hosts.yaml')]);
    expect(inventoryVarsFor(inv, 'node1')).toMatchObject({ scope: 'file-node1', cni: 'calico', all_only: 2 });
    expect(inventoryVarsFor(inv, 'node2')).toMatchObject({ scope: 'inline-node2', cni: 'calico' });
  });

  it('applies playbook-adjacent group_vars above the inventory ones', async () => {
    const inv = await loadInventory([join(FIXTURES, 'precedence', 'hosts.yml')]);
    write('play/group_vars/child.yml', 'z: play-child\n');
    write('play/host_vars/h1.yml', 'y: play-h1\n');
    const layer = await loadVarsLayer(inv, join(dir, 'play'));
    expect(inventoryVarsFor(inv, 'h1', { playbookLayers: [layer] })).toMatchObject({ z: 'play-child', y: 'play-h1' });
  });

  it('reports vars files that are not mappings', async () => {
    write('badvars/hosts.yml', 'all:\n  hosts:\n    a:\n');
    write('badvars/group_vars/all.yml', '- 1\n- 2\n');
    const err = await loadInventory([join(dir, 'badvars', 'hosts.yml')]).then(
      () => undefined,
      (e: unknown) => e as LoadError,
    );
    expect(err).toBeInstanceOf(LoadError);
    expect(err!.message).toContain("expected dicts but got a 'dict' and a 'list'");
    expect(err!.source).toMatchObject({ line: 1, col: 1 });
  });

  it('gives the implicit localhost all-group vars and a local connection', async () => {
    const inv = await loadInventory([join(FIXTURES, 'precedence', 'hosts.yml')]);
    expect(inventoryVarsFor(inv, 'localhost')).toMatchObject({ ansible_connection: 'local', x: 'all-file', v_all_inline: 'inline' });
    expect(groupNamesOf(inv, 'localhost')).toEqual([]);
  });

  it('builds the groups and group_names magic vars', async () => {
    const inv = await loadInventory([join(FIXTURES, 'ungrouped.yaml')]);
    expect(groupsMap(inv)).toEqual({
      // all's own hosts first, then its children's (ansible all --list-hosts gives the same order).
      all: ['lonely', 'both', 'explicit_ungrouped'],
      ungrouped: ['explicit_ungrouped', 'lonely'],
      g1: ['both'],
      g2: [],
    });
    expect(groupNamesOf(inv, 'lonely')).toEqual(['ungrouped']);
    expect(groupNamesOf(inv, 'both')).toEqual(['g1']);
  });

  it('loads the homelab inventory', async () => {
    const inv = await loadInventory([join(FIXTURES, '../../../inventory/homelab.yaml')]);
    expect(inv.groups.get('pis')!.hosts).toEqual(['pi01', 'pi02', 'pi03', 'pi04', 'pi05', 'pi06', 'pi07', 'pi08']);
    expect(inv.groups.get('k8s_worker')!.children).toEqual(['pis', 'gpu']);
    expect(inventoryVarsFor(inv, 'gpu01')).toMatchObject({ arch: 'amd64', node_taints: ['nvidia.com/gpu=true:NoSchedule'], k8s_control_plane_endpoint: 'k8s-api.lab.internal:6443' });
    expect(inventoryVarsFor(inv, 'pi03')).toMatchObject({ arch: 'arm64', ansible_host: '10.4.0.23', node_role: 'worker' });
    expect(groupNamesOf(inv, 'cp01')).toEqual(['k8s_cluster', 'k8s_control_plane']);
  });
});
