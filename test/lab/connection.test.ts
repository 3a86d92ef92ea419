/** The project's SshConnection (src/connection/ssh.ts) against the lab, configured from lab inventory vars. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Connection } from '../../src/connection/types.js';
import { createConnection } from '../../src/connection/factory.js';
import { SshConnection } from '../../src/connection/ssh.js';
import { startTestLab, type TestLab } from './helpers.js';

let lab: TestLab;
let scratch: string;
const conns: Connection[] = [];

function connect(name: string): Connection {
  const h = lab.host(name);
  const c = createConnection(name, {
    ansible_host: h.address,
    ansible_port: h.port,
    ansible_user: lab.user,
    ansible_ssh_private_key_file: lab.clientKeyFile,
    ansible_ssh_known_hosts_file: lab.knownHostsFile,
    ansible_ssh_common_args: `-o UserKnownHostsFile=${lab.knownHostsFile} -o StrictHostKeyChecking=yes -o IdentitiesOnly=yes`,
  });
  conns.push(c);
  return c;
}

beforeAll(async () => {
  lab = await startTestLab(['n1', 'n2']);
  scratch = mkdtempSync(join(tmpdir(), 'tsbook-lab-conn-'));
});

afterAll(async () => {
  await Promise.all(conns.map((c) => c.close()));
  await lab?.stop();
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

describe('SshConnection on the lab', () => {
  it('is an SSH connection, not a local one', () => {
    expect(connect('n1')).toBeInstanceOf(SshConnection);
  });

  it('runs commands on the right host with exit codes, stdin, stderr and env', async () => {
    const c1 = connect('n1');
    const c2 = connect('n2');
    expect((await c1.exec('hostname')).stdout).toBe('n1\n');
    expect((await c2.exec('hostname')).stdout).toBe('n2\n');
    const r = await c1.exec('cat; echo oops >&2; exit 5', { stdin: 'from stdin\n' });
    expect(r).toEqual({ rc: 5, stdout: 'from stdin\n', stderr: 'oops\n' });
    expect((await c1.exec('echo "$LAB_VAR"', { env: { LAB_VAR: 'v 1' } })).stdout).toBe('v 1\n');
  });

  it('puts and gets files through SFTP, creating directories and setting modes', async () => {
    const c = connect('n2');
    const target = join(scratch, 'deep', 'dir', 'file.conf');
    await c.put({ content: 'key = value\n' }, target, { mode: '0640' });
    expect(readFileSync(target, 'utf8')).toBe('key = value\n');
    expect(statSync(target).mode & 0o777).toBe(0o640);
    await c.put({ content: 'replaced\n' }, target, { mode: 0o600 });
    expect(readFileSync(target, 'utf8')).toBe('replaced\n');
    expect(statSync(target).mode & 0o777).toBe(0o600);
    const local = join(scratch, 'fetched', 'copy.conf');
    const data = await c.get(target, local);
    expect(data.toString()).toBe('replaced\n');
    expect(readFileSync(local, 'utf8')).toBe('replaced\n');
    await expect(c.get(join(scratch, 'missing'))).rejects.toThrow();
  });

  it('kills a command that times out', async () => {
    const c = connect('n1');
    const pidFile = join(scratch, 'timeout.pid');
    await expect(c.exec(`echo $$ > ${pidFile}; sleep 30`, { timeout: 1 })).rejects.toThrow(/timed out/);
    expect(existsSync(pidFile)).toBe(true);
    const pid = Number(readFileSync(pidFile, 'utf8').trim());
    let alive = true;
    for (let i = 0; i < 200 && alive; i++) {
      try {
        process.kill(pid, 0);
        alive = !readFileSync(`/proc/${pid}/stat`, 'utf8').includes(') Z ');
      } catch {
        alive = false;
      }
      if (alive) await new Promise((r) => setTimeout(r, 25));
    }
    expect(alive).toBe(false);
  });
});
