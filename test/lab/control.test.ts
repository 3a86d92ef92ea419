import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import ssh2 from 'ssh2';
import { labDown, labStatus, labUp, type LabUpResult } from '../../src/lab/control.js';
import { RunError, UsageError } from '../../src/model/errors.js';
import { processAlive } from '../../src/lab/state.js';
import { formatStatus, formatUp } from '../../src/cli/lab.js';
import { runProcess } from './helpers.js';

const { Client } = ssh2;
const repo = resolve(new URL('../..', import.meta.url).pathname);
/** The daemon from source: vite-node runs the TypeScript entry. */
const daemonCommand = [join(repo, 'node_modules/.bin/vite-node'), join(repo, 'test/lab/daemon-entry.ts'), '--'];

let root: string;
let labDir: string;
let up: LabUpResult;

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'tsbook-lab-ctl-'));
  labDir = join(root, 'lab');
  up = await labUp({ dir: 'lab', cwd: root, hosts: 'web[1:3]', daemonCommand });
});

afterAll(async () => {
  if (root) {
    await labDown({ dir: labDir }).catch(() => undefined);
    rmSync(root, { recursive: true, force: true });
  }
});

function execOverSsh(port: number, hostKeyLine: string, command: string): Promise<string> {
  const expected = Buffer.from(hostKeyLine.split(' ')[1]!, 'base64');
  return new Promise((resolvePromise, reject) => {
    const c = new Client();
    c.once('error', reject);
    c.once('ready', () => {
      c.exec(command, (err, ch) => {
        if (err) return reject(err);
        let out = '';
        ch.on('data', (d: Buffer) => (out += d.toString()));
        ch.on('close', () => {
          c.end();
          resolvePromise(out);
        });
        ch.end();
      });
    });
    c.connect({
      host: '127.0.0.1',
      port,
      username: up.state.user,
      privateKey: readFileSync(join(labDir, 'id_ed25519')),
      hostVerifier: (key: Buffer) => key.equals(expected),
    });
  });
}

describe('lab up', () => {
  it('starts a detached daemon and writes the lab files', () => {
    expect(up.state.hosts.map((h) => h.name)).toEqual(['web1', 'web2', 'web3']);
    expect(up.state.pid).not.toBe(process.pid);
    expect(processAlive(up.state.pid)).toBe(true);
    expect(new Set(up.state.hosts.map((h) => h.port)).size).toBe(3);
    expect(statSync(join(labDir, 'id_ed25519')).mode & 0o777).toBe(0o600);
    expect(readFileSync(join(labDir, '.gitignore'), 'utf8')).toMatch(/^\*$/m);
    expect(statSync(join(labDir, 'bin', 'hostname')).mode & 0o111).not.toBe(0);
    for (const h of up.state.hosts) expect(statSync(join(labDir, 'hosts', h.name)).isDirectory()).toBe(true);
    const state = JSON.parse(readFileSync(join(labDir, 'state.json'), 'utf8')) as { pid: number; hosts: Array<{ port: number }>; topology: { origin: string } };
    expect(state.pid).toBe(up.state.pid);
    expect(state.topology.origin).toBe('--hosts web[1:3]');
    const knownHosts = readFileSync(join(labDir, 'known_hosts'), 'utf8');
    for (const h of up.state.hosts) expect(knownHosts).toContain(`[127.0.0.1]:${h.port} ssh-ed25519 `);
    const inventory = readFileSync(join(labDir, 'inventory.yaml'), 'utf8');
    expect(inventory).toContain(`ansible_port: ${up.state.hosts[1]!.port}`);
    expect(inventory).toContain(`ansible_ssh_known_hosts_file: ${join(labDir, 'known_hosts')}`);
    expect(formatUp(up.state, up.paths.inventoryFile, up.paths.knownHostsFile, root)).toContain('inventory:   lab/inventory.yaml');
  });

  it('serves each host under its own name', async () => {
    const web2 = up.state.hosts[1]!;
    expect(await execOverSsh(web2.port, web2.hostKey, 'hostname; pwd')).toBe(`web2\n${join(labDir, 'hosts', 'web2')}\n`);
  });

  it('works with `ssh -o UserKnownHostsFile=lab/known_hosts -i lab/id_ed25519 -p PORT` and strict checking', async () => {
    if (!existsSync('/usr/bin/ssh')) {
      if (process.env.CI) throw new Error('OpenSSH client required in CI');
      return;
    }
    const web3 = up.state.hosts[2]!;
    const r = await runProcess('/usr/bin/ssh', [
      '-F', '/dev/null', '-o', 'StrictHostKeyChecking=yes', '-o', 'BatchMode=yes', '-o', 'IdentityAgent=none',
      '-o', `UserKnownHostsFile=${join(labDir, 'known_hosts')}`, '-i', join(labDir, 'id_ed25519'),
      '-p', String(web3.port), `${up.state.user}@127.0.0.1`, 'hostname',
    ]);
    expect(r.stderr).not.toContain('denied');
    expect(r.status).toBe(0);
    expect(r.stdout).toBe('web3\n');
  });

  it('refuses to start a second lab in the same directory', async () => {
    await expect(labUp({ dir: labDir, hosts: '1', daemonCommand })).rejects.toThrow(UsageError);
    await expect(labUp({ dir: labDir, hosts: '1', daemonCommand })).rejects.toThrow(/already running/);
  });

  it('reports status with every host reachable', async () => {
    const s = await labStatus({ dir: labDir });
    expect(s.alive).toBe(true);
    expect(s.state?.pid).toBe(up.state.pid);
    expect([...s.reachable.values()]).toEqual([true, true, true]);
    expect(formatStatus(s, root)).toMatch(/^lab in lab: running \(pid \d+/);
  });
});

describe('lab down', () => {
  it('stops the daemon by PID, removes the run files, and a restart keeps the host keys', async () => {
    const knownBefore = readFileSync(join(labDir, 'known_hosts'), 'utf8');
    const keysBefore = knownBefore.split('\n').filter(Boolean).map((l) => l.split(' ').slice(1).join(' '));
    const r = await labDown({ dir: labDir });
    expect(r.stopped).toBe(up.state.pid);
    expect(processAlive(up.state.pid)).toBe(false);
    for (const f of ['state.json', 'inventory.yaml', 'known_hosts', 'lab.json']) expect(existsSync(join(labDir, f))).toBe(false);
    const s = await labStatus({ dir: labDir });
    expect(s.state).toBeUndefined();
    expect(formatStatus(s, root)).toBe('no lab in lab');
    expect((await labDown({ dir: labDir })).hadState).toBe(false);

    up = await labUp({ dir: labDir, hosts: 'web[1:3]', daemonCommand });
    const keysAfter = readFileSync(join(labDir, 'known_hosts'), 'utf8').split('\n').filter(Boolean).map((l) => l.split(' ').slice(1).join(' '));
    expect(keysAfter).toEqual(keysBefore);
    const down = await labDown({ dir: labDir, purge: true });
    expect(down.stopped).toBe(up.state.pid);
    expect(existsSync(labDir)).toBe(false);
  });

  it('never kills a process that is not the lab daemon', async () => {
    const dir = join(root, 'foreign');
    await labUp({ dir, hosts: '1', daemonCommand }).then((r) => labDown({ dir: r.paths.dir }));
    // A state file naming this test process (alive, but not a lab daemon for that directory).
    const fake = { version: 1, pid: process.pid, labDir: dir, address: '127.0.0.1', user: 'x', startedAt: 'now', hosts: [], topology: { origin: 'x', hosts: [], groups: [], allVars: {} } };
    writeFileSync(join(dir, 'state.json'), JSON.stringify(fake));
    const s = await labStatus({ dir });
    expect(s.alive).toBe(false);
    const r = await labDown({ dir });
    expect(r.stopped).toBeUndefined();
    expect(r.foreignPid).toBe(process.pid);
    expect(existsSync(join(dir, 'state.json'))).toBe(false);
  });

  it('reports a daemon that dies at start, with its log', async () => {
    const dir = join(root, 'broken');
    const err = await labUp({ dir, hosts: '1', daemonCommand: ['/bin/sh', '-c', 'echo boom-from-daemon >&2; exit 3', 'sh'] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RunError);
    expect((err as Error).message).toMatch(/lab did not start/);
    expect((err as Error).message).toContain('boom-from-daemon');
    expect(existsSync(join(dir, 'state.json'))).toBe(false);
  });
});
