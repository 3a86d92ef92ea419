import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { UsageError } from '../../src/model/errors.js';
import { loadInventory, groupsOfHost, inventoryVarsFor } from '../../src/load/inventory.js';
import { builtinTopology, parseHostsSpec, topologyFromInventory, withoutConnectionVars } from '../../src/lab/topology.js';
import { renderInventory, renderKnownHosts, type LabHostState } from '../../src/lab/files.js';
import { chooseTopology } from '../../src/lab/control.js';

const repo = resolve(new URL('../..', import.meta.url).pathname);

function fakeStates(names: readonly string[]): LabHostState[] {
  return names.map((name, i) => ({ name, address: '127.0.0.1', port: 40000 + i, hostKey: `ssh-ed25519 KEY${i}`, stateDir: `/lab/hosts/${name}` }));
}

const conn = { user: 'tester', privateKeyFile: '/lab/id_ed25519', knownHostsFile: '/lab/known_hosts' };

async function loadRendered(text: string): Promise<Awaited<ReturnType<typeof loadInventory>>> {
  const dir = mkdtempSync(join(tmpdir(), 'tsbook-lab-inv-'));
  try {
    writeFileSync(join(dir, 'inventory.yaml'), text);
    return await loadInventory([join(dir, 'inventory.yaml')]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('--hosts specs', () => {
  it('expands a count to host1..hostN in group lab', () => {
    const t = parseHostsSpec('3');
    expect(t.hosts.map((h) => h.name)).toEqual(['host1', 'host2', 'host3']);
    expect(t.groups).toEqual([{ name: 'lab', vars: {}, hosts: ['host1', 'host2', 'host3'], children: [] }]);
  });

  it('expands ranges and keeps the order given', () => {
    const t = parseHostsSpec('web[1:3],db1');
    expect(t.hosts.map((h) => h.name)).toEqual(['web1', 'web2', 'web3', 'db1']);
    expect(t.groups.map((g) => g.name)).toEqual(['lab']);
  });

  it('puts group=pattern items in their group', () => {
    const t = parseHostsSpec('web=web[01:02],db=db1,cache1');
    expect(t.groups).toEqual([
      { name: 'web', vars: {}, hosts: ['web01', 'web02'], children: [] },
      { name: 'db', vars: {}, hosts: ['db1'], children: [] },
      { name: 'lab', vars: {}, hosts: ['cache1'], children: [] },
    ]);
  });

  it('rejects duplicates, bad names, bad ranges and empty specs', () => {
    expect(() => parseHostsSpec('a,a')).toThrow(/listed twice/);
    expect(() => parseHostsSpec('a b')).toThrow(UsageError);
    expect(() => parseHostsSpec('web[3:1]')).toThrow(UsageError);
    expect(() => parseHostsSpec('0')).toThrow(/no hosts/);
    expect(() => parseHostsSpec('all=x1')).toThrow(/group name/);
    expect(() => parseHostsSpec('1000')).toThrow(/at most/);
  });
});

describe('topology', () => {
  it('builtin topology is the homelab cluster', () => {
    const t = builtinTopology();
    expect(t.hosts.map((h) => h.name)).toEqual(['cp01', 'cp02', 'cp03', 'pi01', 'pi02', 'pi03', 'pi04', 'pi05', 'pi06', 'pi07', 'pi08', 'gpu01']);
    const g = Object.fromEntries(t.groups.map((x) => [x.name, x]));
    expect(g.k8s_worker!.children).toEqual(['pis', 'gpu']);
    expect(g.pis!.vars.arch).toBe('arm64');
    expect(g.gpu!.vars.arch).toBe('amd64');
    expect(g.k8s_control_plane!.vars).toMatchObject({ node_role: 'control-plane', arch: 'amd64' });
  });

  it('drops connection vars only', () => {
    expect(withoutConnectionVars({ ansible_host: '10.0.0.1', ansible_user: 'ops', ansible_port: 22, arch: 'arm64', inventory_file: '/x' })).toEqual({ arch: 'arm64' });
  });

  it('mirrors inventory/homelab.yaml when it exists, else uses the builtin topology', async () => {
    const t = await chooseTopology({ cwd: repo });
    const builtin = builtinTopology();
    if (existsSync(join(repo, 'inventory/homelab.yaml'))) expect(t.origin).toBe('inventory/homelab.yaml');
    expect(t.hosts.map((h) => h.name)).toEqual(builtin.hosts.map((h) => h.name));
    const empty = mkdtempSync(join(tmpdir(), 'tsbook-lab-cwd-'));
    try {
      expect((await chooseTopology({ cwd: empty })).origin).toBe('builtin');
      expect((await chooseTopology({ cwd: empty, hosts: '2' })).hosts.map((h) => h.name)).toEqual(['host1', 'host2']);
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });
});

describe('rendered inventory', () => {
  it('keeps every group, var and membership of the mirrored inventory, with lab connection vars', async () => {
    const src = await loadInventory([join(repo, 'inventory/homelab.yaml')]);
    const topo = topologyFromInventory(src, 'inventory/homelab.yaml');
    const states = fakeStates(topo.hosts.map((h) => h.name));
    const text = renderInventory(topo, states, conn);
    // The loader's inventory_file/inventory_dir belong to the mirrored file, not to the lab's.
    expect(text).not.toMatch(/inventory_(file|dir)/);
    const lab = await loadRendered(text);
    expect([...lab.hosts.keys()]).toEqual([...src.hosts.keys()]);
    expect([...lab.groups.keys()].sort()).toEqual([...src.groups.keys()].sort());
    for (const host of src.hosts.keys()) {
      expect([...groupsOfHost(lab, host)].sort()).toEqual([...groupsOfHost(src, host)].sort());
      const want = withoutConnectionVars(inventoryVarsFor(src, host));
      const got = inventoryVarsFor(lab, host);
      expect(withoutConnectionVars(got)).toEqual(want);
      const state = states.find((s) => s.name === host)!;
      expect(got).toMatchObject({
        ansible_host: '127.0.0.1',
        ansible_port: state.port,
        ansible_user: 'tester',
        ansible_ssh_private_key_file: '/lab/id_ed25519',
        ansible_ssh_known_hosts_file: '/lab/known_hosts',
      });
    }
  });

  it('is read the same way by ansible-inventory', () => {
    const have = spawnSync('ansible-inventory', ['--version'], { encoding: 'utf8' }).status === 0;
    if (!have) {
      if (process.env.CI) throw new Error('ansible-inventory is required in CI');
      return;
    }
    const topo = parseHostsSpec('web=web[1:2],db=db1');
    const dir = mkdtempSync(join(tmpdir(), 'tsbook-lab-ansinv-'));
    try {
      const file = join(dir, 'inventory.yaml');
      writeFileSync(file, renderInventory(topo, fakeStates(['web1', 'web2', 'db1']), conn));
      const r = spawnSync('ansible-inventory', ['-i', file, '--list'], { encoding: 'utf8', env: { ...process.env, ANSIBLE_NOCOLOR: '1' } });
      expect(r.status).toBe(0);
      const out = JSON.parse(r.stdout) as Record<string, { hosts?: string[] }> & { _meta: { hostvars: Record<string, Record<string, unknown>> } };
      expect(out.web!.hosts).toEqual(['web1', 'web2']);
      expect(out.db!.hosts).toEqual(['db1']);
      expect(out._meta.hostvars.db1).toMatchObject({ ansible_host: '127.0.0.1', ansible_port: 40002, ansible_user: 'tester' });
      expect(String(out._meta.hostvars.db1!.ansible_ssh_common_args)).toContain('StrictHostKeyChecking=yes');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('writes known_hosts lines in the [addr]:port form', () => {
    expect(renderKnownHosts(fakeStates(['a', 'b']))).toBe('[127.0.0.1]:40000 ssh-ed25519 KEY0\n[127.0.0.1]:40001 ssh-ed25519 KEY1\n');
  });
});
