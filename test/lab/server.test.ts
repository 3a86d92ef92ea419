import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, lstatSync, mkdtempSync, readFileSync, readlinkSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Stats } from 'ssh2';
import { generateKeyPair } from '../../src/lab/keys.js';
import { connectTo, execOn, runProcess, sftpCall, sftpOf, startTestLab, type SshClient, type TestLab } from './helpers.js';

let lab: TestLab;
let c1: SshClient;
let scratch: string;

beforeAll(async () => {
  lab = await startTestLab(['alpha', 'beta']);
  c1 = await connectTo(lab, 'alpha');
  scratch = mkdtempSync(join(tmpdir(), 'tsbook-lab-scratch-'));
});

afterAll(async () => {
  c1?.end();
  await lab?.stop();
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

async function waitFor(check: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 400; i++) {
    if (check()) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`gave up waiting for ${what}`);
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

describe('lab exec', () => {
  it('runs in the host state directory with the host identity', async () => {
    const r = await execOn(c1, 'hostname; echo "$HOSTNAME"; pwd; echo "$HOME"; echo "$PATH"; echo "$USER"');
    const [hostname, envName, pwd, home, path, user] = r.stdout.split('\n');
    const stateDir = lab.host('alpha').stateDir;
    expect(r.code).toBe(0);
    expect(hostname).toBe('alpha');
    expect(envName).toBe('alpha');
    expect(pwd).toBe(stateDir);
    expect(home).toBe(stateDir);
    expect(path!.split(':').slice(0, 2)).toEqual([join(stateDir, 'bin'), join(lab.dir, 'bin')]);
    expect(user).toBe(lab.user);
  });

  it('gives each host its own name and directory', async () => {
    const c2 = await connectTo(lab, 'beta');
    try {
      const r = await execOn(c2, 'hostname -s; pwd');
      expect(r.stdout).toBe(`beta\n${lab.host('beta').stateDir}\n`);
    } finally {
      c2.end();
    }
  });

  it('puts a host-local bin/ first on PATH', async () => {
    const bin = join(lab.host('alpha').stateDir, 'bin', 'kubectl');
    writeFileSync(bin, '#!/bin/sh\necho "simulated kubectl $*"\n', { mode: 0o755 });
    const r = await execOn(c1, 'kubectl get nodes');
    expect(r.stdout).toBe('simulated kubectl get nodes\n');
  });

  it('reports exit codes and keeps stderr apart', async () => {
    const r = await execOn(c1, 'echo out; echo err >&2; exit 3');
    expect(r).toMatchObject({ code: 3, stdout: 'out\n', stderr: 'err\n' });
    const missing = await execOn(c1, 'no-such-command-xyz');
    expect(missing.code).toBe(127);
    expect(missing.stderr).toContain('no-such-command-xyz');
  });

  it('passes stdin through and closes it at EOF', async () => {
    const big = 'x'.repeat(3 * 1024 * 1024 + 17);
    const r = await execOn(c1, 'wc -c', { stdin: big });
    expect(r.stdout.trim()).toBe(String(big.length));
    const echo = await execOn(c1, 'cat; echo done', { stdin: 'hello\nworld\n' });
    expect(echo.stdout).toBe('hello\nworld\ndone\n');
  });

  it('delivers all output before the exit status', async () => {
    const r = await execOn(c1, "head -c 2500000 /dev/zero | tr '\\0' a; head -c 100000 /dev/zero | tr '\\0' b >&2; exit 7");
    expect(r.code).toBe(7);
    expect(r.stdout.length).toBe(2_500_000);
    expect(r.stderr.length).toBe(100_000);
  });

  it('applies env requests but not to the host identity variables', async () => {
    const r = await execOn(c1, 'echo "$LAB_TEST_VAR|$HOME"', { env: { LAB_TEST_VAR: 'from-client', HOME: '/nowhere' } });
    expect(r.stdout).toBe(`from-client|${lab.host('alpha').stateDir}\n`);
  });

  it('forwards signals to the process group and reports the signal', async () => {
    const r = await execOn(c1, 'echo started; sleep 30; echo after', {
      keepStdinOpen: true,
      onStart: (ch) => {
        ch.once('data', () => ch.signal('TERM'));
      },
    });
    expect(r.stdout).toBe('started\n');
    expect(r.code).toBeNull();
    // The lab sends RFC 4254's `TERM`; ssh2's client reports it as SIGTERM.
    expect(r.signal).toBe('SIGTERM');
  });

  it('kills the process group when the connection goes away', async () => {
    const pidFile = join(scratch, 'sleep.pid');
    const c = await connectTo(lab, 'alpha');
    void execOn(c, `sleep 60 & echo $! > ${pidFile}; wait`).catch(() => undefined);
    await waitFor(() => existsSync(pidFile) && readFileSync(pidFile, 'utf8').trim() !== '', 'the pid file');
    const pid = Number(readFileSync(pidFile, 'utf8').trim());
    expect(pidAlive(pid)).toBe(true);
    c.end();
    await waitFor(() => !pidAlive(pid), `pid ${pid} to be killed`);
    expect(pidAlive(pid)).toBe(false);
  });
});

describe('lab authentication', () => {
  it('rejects another user name', async () => {
    await expect(connectTo(lab, 'alpha', { username: `${lab.user}-not` })).rejects.toThrow(/authentication/i);
  });

  it('rejects another key', async () => {
    await expect(connectTo(lab, 'alpha', { privateKey: generateKeyPair('intruder').privateKey })).rejects.toThrow(/authentication/i);
  });
});

describe('lab sftp (ssh2 client)', () => {
  it('round-trips files, directories, attributes, renames and links over the real filesystem', async () => {
    const sftp = await sftpOf(c1);
    const dir = join(scratch, 'sftp');
    await sftpCall<void>((cb) => sftp.mkdir(dir, { mode: 0o750 }, cb));
    expect(statSync(dir).mode & 0o777).toBe(0o750);

    const file = join(dir, 'a.txt');
    const content = Buffer.from('hello lab\n'.repeat(10_000));
    await sftpCall<void>((cb) => sftp.writeFile(file, content, { mode: 0o640 }, cb));
    expect(readFileSync(file).equals(content)).toBe(true);

    const st = (await sftpCall<Stats>((cb) => sftp.stat(file, cb)))!;
    expect(st.size).toBe(content.length);
    expect(st.isFile()).toBe(true);
    expect(st.mode & 0o777).toBe(0o640);

    const back = await sftpCall<Buffer>((cb) => sftp.readFile(file, cb));
    expect(back!.equals(content)).toBe(true);

    await sftpCall<void>((cb) => sftp.chmod(file, 0o600, cb));
    expect(statSync(file).mode & 0o777).toBe(0o600);

    writeFileSync(join(dir, 'b.txt'), 'old');
    await sftpCall<void>((cb) => sftp.rename(file, join(dir, 'b.txt'), cb));
    expect(readFileSync(join(dir, 'b.txt')).equals(content)).toBe(true);
    expect(existsSync(file)).toBe(false);

    await sftpCall<void>((cb) => sftp.symlink('b.txt', join(dir, 'link'), cb));
    expect(readlinkSync(join(dir, 'link'))).toBe('b.txt');
    expect(await sftpCall<string>((cb) => sftp.readlink(join(dir, 'link'), cb))).toBe('b.txt');
    const lst = (await sftpCall<Stats>((cb) => sftp.lstat(join(dir, 'link'), cb)))!;
    expect(lst.isSymbolicLink()).toBe(true);

    const list = (await sftpCall<Array<{ filename: string; longname: string }>>((cb) => sftp.readdir(dir, cb)))!;
    expect(list.map((e) => e.filename).filter((n) => n !== '.' && n !== '..').sort()).toEqual(['b.txt', 'link']);
    expect(list.find((e) => e.filename === 'b.txt')!.longname).toMatch(/^-rw------- .* b\.txt$/);

    await expect(sftpCall<Stats>((cb) => sftp.stat(join(dir, 'missing'), cb))).rejects.toThrow(/No such file/);

    await sftpCall<void>((cb) => sftp.unlink(join(dir, 'link'), cb));
    await sftpCall<void>((cb) => sftp.unlink(join(dir, 'b.txt'), cb));
    await sftpCall<void>((cb) => sftp.rmdir(dir, cb));
    expect(existsSync(dir)).toBe(false);
    sftp.end();
  });

  it('resolves relative paths from the host home', async () => {
    const sftp = await sftpOf(c1);
    expect(await sftpCall<string>((cb) => sftp.realpath('.', cb))).toBe(lab.host('alpha').stateDir);
    await sftpCall<void>((cb) => sftp.writeFile('rel.txt', 'relative', cb));
    expect(readFileSync(join(lab.host('alpha').stateDir, 'rel.txt'), 'utf8')).toBe('relative');
    sftp.end();
  });
});

const SSH = '/usr/bin/ssh';
const SFTP = '/usr/bin/sftp';
const haveOpenSsh = existsSync(SSH) && existsSync(SFTP);
if (!haveOpenSsh && process.env.CI) throw new Error('OpenSSH client (ssh, sftp) is required in CI');

function sshOptions(knownHosts: string): string[] {
  return [
    '-F', '/dev/null',
    '-o', 'StrictHostKeyChecking=yes',
    '-o', `UserKnownHostsFile=${knownHosts}`,
    '-o', 'GlobalKnownHostsFile=/dev/null',
    '-o', 'BatchMode=yes',
    '-o', 'IdentitiesOnly=yes',
    '-o', 'IdentityAgent=none',
    '-i', lab.clientKeyFile,
  ];
}

describe.runIf(haveOpenSsh)('lab with the OpenSSH client', () => {
  it('answers `ssh ... hostname` with strict host key checking', async () => {
    for (const name of ['alpha', 'beta']) {
      const h = lab.host(name);
      const r = await runProcess(SSH, [...sshOptions(lab.knownHostsFile), '-p', String(h.port), `${lab.user}@127.0.0.1`, 'hostname']);
      expect(r.stderr).not.toContain('Permission denied');
      expect(r.status).toBe(0);
      expect(r.stdout).toBe(`${name}\n`);
    }
  });

  it('passes stdin and the exit code through ssh', async () => {
    const h = lab.host('alpha');
    const r = await runProcess(SSH, [...sshOptions(lab.knownHostsFile), '-p', String(h.port), `${lab.user}@127.0.0.1`, 'tr a-z A-Z; exit 4'], 'shout\n');
    expect(r.status).toBe(4);
    expect(r.stdout).toBe('SHOUT\n');
  });

  it('refuses a host whose key is not the one in known_hosts', async () => {
    const alpha = lab.host('alpha');
    const wrong = join(scratch, 'wrong_known_hosts');
    writeFileSync(wrong, `[127.0.0.1]:${alpha.port} ${lab.host('beta').hostKey}\n`);
    const r = await runProcess(SSH, [...sshOptions(wrong), '-p', String(alpha.port), `${lab.user}@127.0.0.1`, 'hostname']);
    expect(r.status).toBe(255);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/HOST IDENTIFICATION HAS CHANGED|Host key verification failed/);
  });

  it('serves OpenSSH sftp: put, get, mkdir, ls, rename, chmod, symlink', async () => {
    const h = lab.host('alpha');
    const local = join(scratch, 'local.bin');
    const payload = Buffer.alloc(300_000, 7);
    payload.write('tsbook-lab');
    writeFileSync(local, payload);
    const remoteDir = join(scratch, 'osftp');
    const fetched = join(scratch, 'fetched.bin');
    const batch = [
      `mkdir ${remoteDir}`,
      `put ${local} ${remoteDir}/up.bin`,
      `chmod 600 ${remoteDir}/up.bin`,
      `rename ${remoteDir}/up.bin ${remoteDir}/moved.bin`,
      `symlink ${remoteDir}/moved.bin ${remoteDir}/ln`,
      `ls -l ${remoteDir}`,
      `get ${remoteDir}/moved.bin ${fetched}`,
    ].join('\n');
    const r = await runProcess(SFTP, [...sshOptions(lab.knownHostsFile), '-P', String(h.port), '-b', '-', `${lab.user}@127.0.0.1`], `${batch}\n`);
    expect(r.stderr).not.toMatch(/Couldn't|failure/i);
    expect(r.status).toBe(0);
    expect(readFileSync(fetched).equals(payload)).toBe(true);
    expect(statSync(join(remoteDir, 'moved.bin')).mode & 0o777).toBe(0o600);
    expect(lstatSync(join(remoteDir, 'ln')).isSymbolicLink()).toBe(true);
    expect(readlinkSync(join(remoteDir, 'ln'))).toBe(join(remoteDir, 'moved.bin'));
    expect(r.stdout).toMatch(/moved\.bin/);
  });
});
