/**
 * Drop-in measurement on a realistic homelab Ansible repository (test/fixtures/homelab-repo): its own
 * ansible.cfg (inventory, roles_path, library, vault_password_file...), an INI inventory with
 * host_vars/group_vars and a vault-encrypted group_vars/all/vault, 11 playbooks over 13 roles.
 * tsbook must accept every playbook ansible-playbook --syntax-check accepts (one known exception: a
 * custom Python module from ./library), and show the same inventory as ansible-inventory.
 */
import { spawn, spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadTaskFile } from '../../src/load/tasks.js';

const REPO = fileURLToPath(new URL('../fixtures/homelab-repo/', import.meta.url));
const BIN = fileURLToPath(new URL('../../bin/tsbook', import.meta.url));
const PLAYBOOKS = readdirSync(REPO).filter((f) => f.endsWith('.yml')).sort();
const HAVE_ANSIBLE = spawnSync('sh', ['-c', 'command -v ansible-playbook'], { encoding: 'utf8' }).status === 0;
if (!HAVE_ANSIBLE && process.env.CI) throw new Error('ansible-core is required in CI for the homelab drop-in test');

/** Playbooks tsbook rejects on purpose, with the reason it gives. */
const KNOWN_REJECTIONS: Record<string, RegExp> = {
  'inventory-report.yml': /inventory-report\.yml:7:7: module homelab_facts is a Python module from library path .*\/library; tsbook cannot run Python modules/,
};

/**
 * Task files (only reached through include_role, so --syntax-check does not load them) that use
 * module options tsbook does not implement yet.
 */
const KNOWN_TASK_FILE_GAPS: Record<string, RegExp> = {};

const ENV: NodeJS.ProcessEnv = { ...process.env, ANSIBLE_NOCOLOR: '1', NO_COLOR: '1', ANSIBLE_DEPRECATION_WARNINGS: '0' };

interface Ran {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

function run(command: string, args: readonly string[]): Promise<Ran> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: REPO, env: ENV });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

const tsbook = (...args: string[]) => run(process.execPath, [BIN, ...args]);

/** ansible-playbook's verdict when a collection (ansible.posix, community.general) is not installed. */
const MISSING_COLLECTION = /couldn't resolve module\/action '(?!ansible\.builtin\.)[a-z_]+\.[a-z_]+\.[a-z_]+'/;

/**
 * The playbooks ansible-playbook --syntax-check accepts: one process for all (it checks every
 * playbook given and stops at the first error); one per playbook only when that fails, which must
 * then be for a collection missing on this machine (a bare ansible-core install).
 */
async function ansibleAccepted(): Promise<string[]> {
  const all = await run('ansible-playbook', ['--syntax-check', ...PLAYBOOKS]);
  if (all.status === 0) {
    expect(all.stdout.trim().split(/\n+/)).toEqual(PLAYBOOKS.map((pb) => `playbook: ${pb}`));
    return [...PLAYBOOKS];
  }
  const each = await Promise.all(PLAYBOOKS.map((pb) => run('ansible-playbook', ['--syntax-check', pb])));
  const rejected = PLAYBOOKS.filter((_, i) => each[i]!.status !== 0);
  const unexplained = rejected.filter((pb) => !MISSING_COLLECTION.test(each[PLAYBOOKS.indexOf(pb)]!.stderr));
  expect(unexplained.map((pb) => `${pb}: ${each[PLAYBOOKS.indexOf(pb)]!.stderr}`)).toEqual([]);
  console.log(`[homelab-repo] ansible-playbook rejects ${rejected.join(', ')} here: a collection is not installed`);
  return PLAYBOOKS.filter((pb) => !rejected.includes(pb));
}

describe('homelab repository fixture', () => {
  it('is a real repository layout: ansible.cfg, 10+ playbooks, 12+ roles, a vault-encrypted group_vars file', () => {
    expect(readFileSync(join(REPO, 'ansible.cfg'), 'utf8')).toMatch(/inventory = \.\/inventory[\s\S]*vault_password_file = \.\/\.vault-pass[\s\S]*pipelining = True/);
    expect(PLAYBOOKS.length).toBeGreaterThanOrEqual(10);
    expect(readdirSync(join(REPO, 'roles')).length).toBeGreaterThanOrEqual(12);
    expect(readFileSync(join(REPO, 'group_vars/all/vault'), 'utf8')).toMatch(/^\$ANSIBLE_VAULT;1\.1;AES256\n/);
  });

  it('every role task file loads: all modules of the mix resolve (FQCNs included)', async () => {
    const unresolved: string[] = [];
    for (const role of readdirSync(join(REPO, 'roles')).sort()) {
      const dir = join(REPO, 'roles', role, 'tasks');
      for (const file of readdirSync(dir).filter((f) => f.endsWith('.yml'))) {
        try {
          await loadTaskFile(join(dir, file));
        } catch (err) {
          unresolved.push(`${role}/tasks/${file}: ${err instanceof Error ? err.message : String(err)}`);
        }
      }
    }
    const unexpected = unresolved.filter((u) => !Object.entries(KNOWN_TASK_FILE_GAPS).some(([file, reason]) => u.startsWith(`${file}: `) && reason.test(u)));
    expect(unexpected).toEqual([]);
    // a gap that closed must leave the list
    expect(Object.keys(KNOWN_TASK_FILE_GAPS).filter((file) => !unresolved.some((u) => u.startsWith(`${file}: `)))).toEqual([]);
  });

  it.runIf(HAVE_ANSIBLE)('tsbook run --syntax-check accepts every playbook ansible-playbook --syntax-check accepts', async () => {
    const accepted = await ansibleAccepted();
    const plain = PLAYBOOKS.filter((pb) => !(pb in KNOWN_REJECTIONS));
    const [all, ...known] = await Promise.all([tsbook('run', '--syntax-check', ...plain), ...Object.keys(KNOWN_REJECTIONS).map((pb) => tsbook('run', '--syntax-check', pb))]);
    expect(all.status, all.stderr).toBe(0);
    expect(all.stdout.trim().split(/\n+/)).toEqual(plain.map((pb) => `playbook: ${pb}`));
    Object.values(KNOWN_REJECTIONS).forEach((reason, i) => {
      expect(known[i]!.status).toBe(4);
      expect(known[i]!.stderr).toMatch(reason);
    });
    expect(accepted.filter((pb) => !plain.includes(pb) && !(pb in KNOWN_REJECTIONS))).toEqual([]);
  }, 120_000);

  it.runIf(HAVE_ANSIBLE)('tsbook inventory --graph equals ansible-inventory --graph (ansible.cfg inventory)', async () => {
    const [a, t] = await Promise.all([run('ansible-inventory', ['--graph']), tsbook('inventory', '--graph')]);
    expect(a.status).toBe(0);
    expect(t.status).toBe(0);
    expect(t.stdout).toBe(a.stdout);
    expect(t.stdout).toContain('|--@backup_clients:');
  }, 60_000);

  it.runIf(HAVE_ANSIBLE)('tsbook inventory --list equals ansible-inventory --list, vault vars decrypted with ansible.cfg\'s password file', async () => {
    const [a, t] = await Promise.all([run('ansible-inventory', ['--list']), tsbook('inventory', '--list')]);
    expect(t.status, t.stderr).toBe(0);
    const ours = JSON.parse(t.stdout) as { _meta: { hostvars: Record<string, Record<string, unknown>> } };
    expect(ours).toEqual(JSON.parse(a.stdout));
    expect(ours._meta.hostvars.pve1).toMatchObject({
      vault_restic_password: 'r3stic-S3cret-fixture',
      vault_wireguard_private_keys: { pve1: 'cFixtureWireguardKeyPve1AAAAAAAAAAAAAAAAAAA=' },
      sysctl_settings: { 'net.ipv4.ip_forward': 1 },
    });
    expect(ours._meta.hostvars['pi-kitchen']).toMatchObject({ ansible_user: 'pi', gpu_mem: 16 });
  }, 60_000);
});
