/**
 * Host trust through `bin/tsbook run` (needs dist/) with accept-new over runs: the key is learned
 * once, kept over later runs, and enforced when the server's key really changes (its sshd restarted
 * with a new host key on the same address). Unknown and changed keys with checking on, and accept-new
 * against an edited known_hosts, are covered by test/connection/ssh-fleet.test.ts and
 * test/engine/ssh-unreachable.test.ts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fleetSupport, SSHD, startFleet, type Fleet } from '../support/fleet.js';
import { hostLine, killHost, plainRecap, spawnTsbook } from './support.js';
import { shellQuote } from '../../src/connection/types.js';

const support = fleetSupport();

let scratch: string;
let fleet: Fleet;
let replacement: ChildProcess | undefined;

function fingerprint(pubLine: string): string {
  const blob = Buffer.from(pubLine.split(' ')[1]!, 'base64');
  return `SHA256:${createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`;
}

function accepts(address: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host: address, port });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

/** Replaces the host's sshd by one with a new host key on the same address; returns the key line. */
async function rotateHostKey(name: string): Promise<string> {
  const h = fleet.host(name);
  killHost(fleet, name);
  const key = join(scratch, 'new_host_key');
  const gen = spawnSync('/usr/bin/ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'rotated', '-f', key], { encoding: 'utf8' });
  if (gen.status !== 0) throw new Error(gen.stderr);
  const config = readFileSync(join(h.dir, 'sshd_config'), 'utf8')
    .replace(/^HostKey .*$/m, `HostKey ${key}`)
    .replace(/^PidFile .*$/m, `PidFile ${join(scratch, 'rotated.pid')}`);
  const configFile = join(scratch, 'rotated_sshd_config');
  writeFileSync(configFile, config);
  const log = openSync(join(scratch, 'rotated.log'), 'a');
  // the old listener may take a moment to release the address
  for (let attempt = 0; attempt < 50; attempt++) {
    replacement = spawn(SSHD, ['-D', '-e', '-f', configFile], { stdio: ['ignore', log, log] });
    const child = replacement;
    const started = await new Promise<boolean>((resolve) => {
      const poll = setInterval(() => {
        if (child.exitCode !== null) {
          clearInterval(poll);
          resolve(false);
        } else {
          void accepts(h.address, h.port).then((ok) => {
            if (ok) {
              clearInterval(poll);
              resolve(true);
            }
          });
        }
      }, 50);
    });
    if (started) break;
    replacement = undefined;
    await new Promise((r) => setTimeout(r, 100));
  }
  closeSync(log);
  if (!replacement) throw new Error(`could not restart sshd for ${name}: ${readFileSync(join(scratch, 'rotated.log'), 'utf8')}`);
  const [type, b64] = readFileSync(`${key}.pub`, 'utf8').trim().split(/\s+/);
  return `${type} ${b64}`;
}

beforeAll(async () => {
  if (!support.available) throw new Error(support.reason);
  scratch = mkdtempSync(join(tmpdir(), 'tsbook-trust-'));
  fleet = await startFleet({ hosts: 1 });
});

afterAll(async () => {
  if (replacement?.pid !== undefined && replacement.exitCode === null) {
    const exited = new Promise((r) => replacement!.once('exit', r));
    process.kill(replacement.pid, 'SIGTERM');
    await exited;
  }
  await fleet?.stop();
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

describe.skipIf(!support.available)('host trust over runs (accept-new)', () => {
  it('learns an unknown key once, keeps it over runs, and refuses the host once its key changes', async () => {
    const h = fleet.hosts[0]!;
    const knownHosts = join(scratch, 'known_hosts');
    writeFileSync(knownHosts, '');
    const inventory = join(scratch, 'hosts.ini');
    writeFileSync(inventory, [
      '[targets]',
      hostLine(fleet, h.name, 'web'),
      '[all:vars]',
      `ansible_user=${fleet.user}`,
      `ansible_ssh_private_key_file=${fleet.clientKey.privateKeyFile}`,
      `ansible_ssh_common_args='-o UserKnownHostsFile=${knownHosts} -o StrictHostKeyChecking=accept-new'`,
      '',
    ].join('\n'));
    const playbook = join(scratch, 'play.yml');
    writeFileSync(playbook, '- hosts: targets\n  gather_facts: false\n  tasks:\n    - command: hostname\n');
    const lookupName = h.port === 22 ? h.address : `[${h.address}]:${h.port}`;
    const learnedLine = `${lookupName} ${h.hostKeyPubLine}\n`;

    for (let run = 1; run <= 2; run++) {
      const cli = spawnTsbook(['-i', inventory, playbook], scratch);
      const rc = await cli.exited;
      expect(rc, `run ${run}\n${cli.stdout()}${cli.stderr()}`).toBe(0);
      expect(plainRecap(cli.stdout()).web).toMatchObject({ ok: 1, changed: 1, unreachable: 0 });
      expect(readFileSync(knownHosts, 'utf8'), `run ${run}`).toBe(learnedLine);
    }

    const newKey = await rotateHostKey(h.name);
    const cli = spawnTsbook(['-i', inventory, playbook], scratch);
    const rc = await cli.exited;
    const info = `${cli.stdout()}\n--- stderr ---\n${cli.stderr()}`;
    expect(rc, info).toBe(4);
    expect(plainRecap(cli.stdout()).web, info).toMatchObject({ ok: 0, changed: 0, unreachable: 1 });
    const unreachable = cli.stdout().split('\n').filter((l) => l.startsWith('fatal: [web]: UNREACHABLE!'));
    expect(unreachable, info).toHaveLength(1);
    expect(unreachable[0]).toContain(`WARNING: REMOTE HOST IDENTIFICATION HAS CHANGED for ${h.address}:${h.port}!`);
    expect(unreachable[0]).toContain(`The host now offers ED25519 ${fingerprint(newKey)}, but ${knownHosts}:1 expects ${fingerprint(h.hostKeyPubLine)}`);
    expect(unreachable[0]).toContain(`ssh-keygen -R ${shellQuote(lookupName)} -f ${knownHosts}`);
    // the learned key was not replaced, nothing was appended
    expect(readFileSync(knownHosts, 'utf8')).toBe(learnedLine);
  }, 60_000);
});
