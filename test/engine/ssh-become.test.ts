/**
 * sudo with a password over SSH through the CLI: a non-root login user becomes root with
 * `ansible_become_password`, and the password never appears in any output (plain -vvv or --json).
 * Needs the privileged fleet (its `tsbook` user has a sudo password); runs the built CLI.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fleetSupport, startFleet, type Fleet } from '../support/fleet.js';

const REPO = resolve(import.meta.dirname, '..', '..');
const support = fleetSupport();
// The become user exists only in the privileged (root) fleet; CI must provide it.
const skip = !support.available || (!support.privileged && !process.env.CI);
const skipReason = !support.available ? support.reason : 'not root: the fleet has no sudo user';

interface CliRun {
  readonly rc: number;
  readonly stdout: string;
  readonly stderr: string;
}

function tsbook(args: readonly string[], cwd: string): Promise<CliRun> {
  return new Promise((done) => {
    const env: NodeJS.ProcessEnv = { ...process.env, ANSIBLE_NOCOLOR: '1' };
    delete env['ANSIBLE_HOST_KEY_CHECKING'];
    const child = spawn(process.execPath, [join(REPO, 'bin', 'tsbook'), 'run', ...args], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('close', (code) => done({ rc: code ?? 1, stdout, stderr }));
  });
}

type Json = Record<string, unknown>;

function debugMsgs(stdout: string): Map<string, unknown> {
  const out = new Map<string, unknown>();
  for (const line of stdout.split('\n')) {
    if (!line.startsWith('{')) continue;
    const e = JSON.parse(line) as Json;
    const task = e['task'] as Json | undefined;
    const result = e['result'] as Json | undefined;
    if (e['event'] === 'task_result' && task?.['name'] === 'who' && result) out.set(String(result['host']), (result['values'] as Json)['msg']);
  }
  return out;
}

const PLAYBOOK = `- hosts: fleet
  gather_facts: false
  tasks:
    - name: as the login user
      command: whoami
      register: plain
      changed_when: false
    - name: as root via sudo
      command: whoami
      become: true
      register: elevated
      changed_when: false
    - name: root can read the shadow file
      command: test -r /etc/shadow
      become: true
      changed_when: false
    - name: who
      debug:
        msg: "{{ plain.stdout }} {{ elevated.stdout }}"
`;

describe.skipIf(skip)(`sudo become with a password over SSH${skip ? ` [SKIPPED: ${skipReason}]` : ''}`, () => {
  let fleet: Fleet;
  let scratch: string;
  let playbook: string;

  beforeAll(async () => {
    scratch = mkdtempSync(join(tmpdir(), 'tsbook-ssh-become-'));
    fleet = await startFleet({ hosts: 2 });
    playbook = join(scratch, 'become.yml');
    writeFileSync(playbook, PLAYBOOK);
  });

  afterAll(async () => {
    await fleet?.stop();
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  });

  /** The fleet inventory, logging in as the sudo user with the given become password. */
  function inventory(name: string, password: string): string {
    const user = fleet.becomeUser;
    if (!user) throw new Error('the fleet has no become user (needs root)');
    const file = join(scratch, `${name}.ini`);
    // inventoryText ends inside [fleet:vars]: switch the login user and add the password there.
    const text = fleet.inventoryText.replace(`ansible_user=${fleet.user}\n`, `ansible_user=${user.name}\n`);
    if (!text.includes(`ansible_user=${user.name}\n`)) throw new Error('unexpected fleet inventory text');
    writeFileSync(file, `${text.trimEnd()}\nansible_become_password=${password}\n`);
    return file;
  }

  it('become: true with ansible_become_password runs as root; the password is in no output', async () => {
    const user = fleet.becomeUser;
    if (!user) throw new Error('the fleet has no become user (needs root)');
    const inv = inventory('good', user.password);
    const json = await tsbook(['-i', inv, playbook, '--json'], scratch);
    expect(json.rc, `${json.stdout.slice(-3000)}\n${json.stderr}`).toBe(0);
    const msgs = debugMsgs(json.stdout);
    for (const h of fleet.hosts) expect(msgs.get(h.name), h.name).toBe(`${user.name} root`);
    const plain = await tsbook(['-i', inv, playbook, '-vvv'], scratch);
    expect(plain.rc, `${plain.stdout}\n${plain.stderr}`).toBe(0);
    expect(plain.stdout).toContain(`${user.name} root`);
    for (const [label, text] of Object.entries({ 'json stdout': json.stdout, 'json stderr': json.stderr, 'plain stdout': plain.stdout, 'plain stderr': plain.stderr })) {
      expect(text.includes(user.password), `the password appears in ${label}`).toBe(false);
    }
  }, 120_000);

  it('a wrong become password fails the become task (not the login) and is not echoed', async () => {
    const wrong = `wrong-${Date.now().toString(36)}-pw`;
    const inv = inventory('wrong', wrong);
    const r = await tsbook(['-i', inv, playbook, '-vvv'], scratch);
    const info = `${r.stdout}\n--- stderr ---\n${r.stderr}`;
    expect(r.rc, info).toBe(2);
    for (const h of fleet.hosts) {
      expect(r.stdout, info).toMatch(new RegExp(`^${h.name}\\s+: ok=1 .*unreachable=0 +failed=1 `, 'm'));
    }
    expect(r.stdout).toMatch(/sudo|password/i);
    expect(`${r.stdout}${r.stderr}`.includes(wrong), 'the wrong password is echoed').toBe(false);
  }, 120_000);
});
