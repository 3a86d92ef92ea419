/**
 * Unreachable hosts through the CLI, one per reason: unresolvable name, refused port, rejected key,
 * unknown host key, changed host key. Each counts unreachable=1 with a one-line reason, the reachable
 * hosts carry on, and the exit code is 4. Runs the built CLI (`npm run build` first) on the fleet.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fleetSupport, startFleet, type Fleet, type FleetHost } from '../support/fleet.js';

const REPO = resolve(import.meta.dirname, '..', '..');
const support = fleetSupport();

interface CliRun {
  readonly rc: number;
  readonly stdout: string;
  readonly stderr: string;
}

function tsbook(args: readonly string[], cwd: string, extraEnv: Record<string, string> = {}): Promise<CliRun> {
  return new Promise((done) => {
    const env: NodeJS.ProcessEnv = { ...process.env, ANSIBLE_NOCOLOR: '1', ...extraEnv };
    if (!('ANSIBLE_HOST_KEY_CHECKING' in extraEnv)) delete env['ANSIBLE_HOST_KEY_CHECKING'];
    delete env['SSH_AUTH_SOCK'];
    const child = spawn(process.execPath, [join(REPO, 'bin', 'tsbook'), 'run', ...args], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('close', (code) => done({ rc: code ?? 1, stdout, stderr }));
  });
}

type RecapRow = Record<'ok' | 'changed' | 'unreachable' | 'failed' | 'skipped' | 'rescued' | 'ignored', number>;

/** Parses the plain output's PLAY RECAP rows: `host : ok=1 changed=0 unreachable=0 ...`. */
function plainRecap(stdout: string): Record<string, RecapRow> {
  const at = stdout.lastIndexOf('PLAY RECAP');
  const out: Record<string, RecapRow> = {};
  if (at < 0) return out;
  for (const line of stdout.slice(at).split('\n').slice(1)) {
    const m = /^(\S+)\s+:\s+(.*)$/.exec(line.trim());
    if (!m) continue;
    const row: Record<string, number> = {};
    for (const pair of (m[2] as string).trim().split(/\s+/)) {
      const [k, v] = pair.split('=');
      if (k && v !== undefined) row[k] = Number(v);
    }
    out[m[1] as string] = row as RecapRow;
  }
  return out;
}

/** The output lines that report `host` unreachable. */
function unreachableLines(stdout: string, host: string): string[] {
  return stdout.split('\n').filter((l) => l.includes(`[${host}]`) && l.includes('UNREACHABLE'));
}

function keygen(file: string): string {
  const r = spawnSync('/usr/bin/ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'not-authorized', '-f', file], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`ssh-keygen failed: ${r.stderr}`);
  const [type, b64] = readFileSync(`${file}.pub`, 'utf8').trim().split(/\s+/);
  return `${type} ${b64}`;
}

function knownHostsName(h: FleetHost): string {
  return h.port === 22 ? h.address : `[${h.address}]:${h.port}`;
}

const PLAYBOOK = `- hosts: all
  gather_facts: false
  tasks:
    - name: first
      command: echo one
      changed_when: false
    - name: second
      command: echo two
      changed_when: false
    - name: last
      debug:
        msg: done
`;

describe.skipIf(!support.available)(`unreachable hosts over SSH through the CLI${support.available ? '' : ` [SKIPPED: ${support.reason}]`}`, () => {
  let fleet: Fleet;
  let scratch: string;
  let playbook: string;
  let wrongKey: string;
  let otherKeyLine: string;

  beforeAll(async () => {
    scratch = mkdtempSync(join(tmpdir(), 'tsbook-ssh-unreach-'));
    fleet = await startFleet({ hosts: 2 });
    playbook = join(scratch, 'play.yml');
    writeFileSync(playbook, PLAYBOOK);
    wrongKey = join(scratch, 'wrong_ed25519');
    keygen(wrongKey);
    otherKeyLine = keygen(join(scratch, 'other_host_key'));
  });

  afterAll(async () => {
    await fleet?.stop();
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  });

  /** An inventory: group `good` (both fleet hosts) plus the given bad host lines; fleet defaults in all:vars. */
  function inventory(name: string, badLines: readonly string[]): string {
    const [a, b] = fleet.hosts as [FleetHost, FleetHost];
    const file = join(scratch, `${name}.ini`);
    writeFileSync(
      file,
      [
        '[good]',
        `good1 ansible_host=${a.address} ansible_port=${a.port}`,
        `good2 ansible_host=${b.address} ansible_port=${b.port}`,
        '',
        '[bad]',
        ...badLines,
        '',
        '[all:vars]',
        `ansible_user=${fleet.user}`,
        `ansible_ssh_private_key_file=${fleet.clientKey.privateKeyFile}`,
        `ansible_ssh_common_args='-o UserKnownHostsFile=${fleet.knownHostsFile} -o StrictHostKeyChecking=yes'`,
        'ansible_python_interpreter=/usr/bin/python3',
        '',
      ].join('\n'),
    );
    return file;
  }

  function strictKnownHosts(file: string): string {
    return `ansible_ssh_common_args='-o UserKnownHostsFile=${file} -o StrictHostKeyChecking=yes'`;
  }

  it('each unreachable reason counts unreachable=1 with a one-line reason; the others carry on; rc 4', async () => {
    const [a, b] = fleet.hosts as [FleetHost, FleetHost];
    const empty = join(scratch, 'empty_known_hosts');
    writeFileSync(empty, '');
    const changed = join(scratch, 'changed_known_hosts');
    writeFileSync(changed, `${knownHostsName(b)} ${otherKeyLine}\n`);
    const inv = inventory('classes', [
      'dns ansible_host=nonexistent.invalid',
      'refused ansible_host=127.0.0.1 ansible_port=1',
      `authfail ansible_host=${b.address} ansible_port=${b.port} ansible_ssh_private_key_file=${wrongKey}`,
      `unknownkey ansible_host=${a.address} ansible_port=${a.port} ${strictKnownHosts(empty)}`,
      `changedkey ansible_host=${b.address} ansible_port=${b.port} ${strictKnownHosts(changed)}`,
    ]);
    const r = await tsbook(['-i', inv, playbook], scratch);
    const info = `${r.stdout}\n--- stderr ---\n${r.stderr}`;
    expect(r.rc, info).toBe(4);
    const recap = plainRecap(r.stdout);
    for (const good of ['good1', 'good2']) expect(recap[good], info).toMatchObject({ ok: 3, unreachable: 0, failed: 0 });
    const reasons: Record<string, RegExp> = {
      dns: /could not resolve hostname nonexistent\.invalid/i,
      refused: /127\.0\.0\.1.*refused|refused.*127\.0\.0\.1/i,
      authfail: /authentication failed|permission denied/i,
      unknownkey: /host key .*unknown|not in known_hosts/i,
      changedkey: /REMOTE HOST IDENTIFICATION HAS CHANGED/,
    };
    for (const [host, reason] of Object.entries(reasons)) {
      expect(recap[host], `${host}\n${info}`).toMatchObject({ ok: 0, unreachable: 1, failed: 0 });
      const lines = unreachableLines(r.stdout, host);
      expect(lines, `${host} is reported unreachable once\n${info}`).toHaveLength(1);
      expect(lines[0], `${host}: the reason is on the UNREACHABLE line`).toMatch(reason);
    }
    // Nothing is fixed silently: the empty known_hosts stays empty, and no stack trace is printed.
    expect(readFileSync(empty, 'utf8')).toBe('');
    expect(`${r.stdout}${r.stderr}`).not.toMatch(/\n\s+at .*\.js:\d+/);
  }, 120_000);

  it('--host-key-checking accept-new adds an unknown key but still refuses a changed one', async () => {
    const [a, b] = fleet.hosts as [FleetHost, FleetHost];
    const empty = join(scratch, 'accept_new_known_hosts');
    writeFileSync(empty, '');
    const changed = join(scratch, 'accept_new_changed');
    writeFileSync(changed, `${knownHostsName(b)} ${otherKeyLine}\n`);
    const inv = inventory('accept-new', [
      `unknownkey ansible_host=${a.address} ansible_port=${a.port} ${strictKnownHosts(empty)}`,
      `changedkey ansible_host=${b.address} ansible_port=${b.port} ${strictKnownHosts(changed)}`,
    ]);
    const r = await tsbook(['-i', inv, playbook, '--host-key-checking', 'accept-new'], scratch);
    const info = `${r.stdout}\n--- stderr ---\n${r.stderr}`;
    expect(r.rc, info).toBe(4);
    const recap = plainRecap(r.stdout);
    expect(recap['unknownkey'], info).toMatchObject({ ok: 3, unreachable: 0 });
    expect(recap['changedkey'], info).toMatchObject({ ok: 0, unreachable: 1 });
    expect(unreachableLines(r.stdout, 'changedkey')[0], info).toMatch(/REMOTE HOST IDENTIFICATION HAS CHANGED/);
    // The new key was recorded under the name ssh looks up, and the changed entry was left alone.
    expect(readFileSync(empty, 'utf8')).toContain(`${knownHostsName(a)} ${a.hostKeyPubLine}`);
    expect(readFileSync(changed, 'utf8')).toBe(`${knownHostsName(b)} ${otherKeyLine}\n`);
  }, 120_000);

  it('ANSIBLE_HOST_KEY_CHECKING=False connects despite unknown and changed keys', async () => {
    const [a, b] = fleet.hosts as [FleetHost, FleetHost];
    const empty = join(scratch, 'off_known_hosts');
    writeFileSync(empty, '');
    const changed = join(scratch, 'off_changed');
    writeFileSync(changed, `${knownHostsName(b)} ${otherKeyLine}\n`);
    const inv = inventory('off', [
      `unknownkey ansible_host=${a.address} ansible_port=${a.port} ${strictKnownHosts(empty)}`,
      `changedkey ansible_host=${b.address} ansible_port=${b.port} ${strictKnownHosts(changed)}`,
    ]);
    const r = await tsbook(['-i', inv, playbook], scratch, { ANSIBLE_HOST_KEY_CHECKING: 'False' });
    const info = `${r.stdout}\n--- stderr ---\n${r.stderr}`;
    expect(r.rc, info).toBe(0);
    const recap = plainRecap(r.stdout);
    for (const h of ['good1', 'good2', 'unknownkey', 'changedkey']) expect(recap[h], `${h}\n${info}`).toMatchObject({ ok: 3, unreachable: 0 });
    expect(readFileSync(empty, 'utf8')).toBe('');
  }, 120_000);
});
