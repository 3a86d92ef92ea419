import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalConnection } from '../../src/connection/local.js';
import { buildCommandLine, commandModule, precheckScript } from '../../src/modules/command.js';
import { shellModule } from '../../src/modules/shell.js';
import { createModuleContext } from '../support/module-context.js';
import { ScriptedConnection } from '../support/scripted-connection.js';

const PY_DATETIME = /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d{6})?$/;
const PY_DELTA = /^\d+:\d\d:\d\d(\.\d{6})?$/;

describe('command over a scripted connection', () => {
  it('splits the free form like shlex and runs it without a shell', async () => {
    const conn = new ScriptedConnection().on('exec echo', { stdout: 'hello big world\n' });
    const ctx = createModuleContext({ connection: conn });
    const result = await commandModule.run({ cmd: 'echo hello   "big world"' }, ctx);
    expect(conn.commands).toEqual(["exec echo hello 'big world'"]);
    expect(result.changed).toBe(true);
    expect(result.failed).toBeUndefined();
    const v = result.values!;
    expect(v).toMatchObject({
      cmd: ['echo', 'hello', 'big world'],
      rc: 0,
      stdout: 'hello big world',
      stdout_lines: ['hello big world'],
      stderr: '',
      stderr_lines: [],
      msg: '',
    });
    expect(v['start']).toMatch(PY_DATETIME);
    expect(v['end']).toMatch(PY_DATETIME);
    expect(v['delta']).toMatch(PY_DELTA);
  });

  it('quotes argv items so shell syntax stays literal', async () => {
    const conn = new ScriptedConnection().on(/^exec /, { stdout: 'a b $HOME\n' });
    const result = await commandModule.run({ argv: ['echo', 'a b', '$HOME'] }, createModuleContext({ connection: conn }));
    expect(conn.commands).toEqual(["exec echo 'a b' '$HOME'"]);
    expect(result.values!['cmd']).toEqual(['echo', 'a b', '$HOME']);
  });

  it('does not run when creates matches, as Ansible reports it', async () => {
    const conn = new ScriptedConnection().on('for f in', { stdout: 'creates\n' });
    const ctx = createModuleContext({ connection: conn });
    const result = await commandModule.run({ cmd: 'touch /x', creates: '/tmp/exist*.txt' }, ctx);
    expect(conn.commands).toEqual([precheckScript(undefined, '/tmp/exist*.txt', undefined)]);
    expect(conn.commands[0]).toContain('for f in /tmp/exist*.txt;');
    expect(result).toMatchObject({ changed: false, msg: "Did not run command since '/tmp/exist*.txt' exists" });
    expect(result.values).toMatchObject({
      cmd: ['touch', '/x'],
      rc: 0,
      stdout: 'skipped, since /tmp/exist*.txt exists',
      stdout_lines: ['skipped, since /tmp/exist*.txt exists'],
      start: null,
      end: null,
      delta: null,
    });
  });

  it('does not run when removes matches nothing', async () => {
    const conn = new ScriptedConnection().on('for f in', { stdout: '' });
    const result = await commandModule.run({ cmd: 'rm /nope', removes: '/nope' }, createModuleContext({ connection: conn }));
    expect(conn.commands).toHaveLength(1);
    expect(result.changed).toBe(false);
    expect(result.values!['msg']).toBe("Did not run command since '/nope' does not exist");
    expect(result.values!['stdout']).toBe('skipped, since /nope does not exist');
  });

  it('runs when removes matches', async () => {
    const conn = new ScriptedConnection().once('for f in', { stdout: 'removes\n' }).on('exec rm', {});
    const result = await commandModule.run({ cmd: 'rm /there', removes: '/there' }, createModuleContext({ connection: conn }));
    expect(conn.commands[1]).toBe('exec rm /there');
    expect(result.changed).toBe(true);
  });

  it('fails with "non-zero return code" and keeps the output', async () => {
    const conn = new ScriptedConnection().on('exec false', { rc: 1, stderr: 'boom\n' });
    const result = await commandModule.run({ cmd: 'false' }, createModuleContext({ connection: conn }));
    expect(result).toMatchObject({ changed: true, failed: true, msg: 'non-zero return code' });
    expect(result.values).toMatchObject({ rc: 1, stderr: 'boom', stderr_lines: ['boom'], cmd: ['false'] });
  });

  it('reports a missing executable like Python does', async () => {
    const conn = new ScriptedConnection().on('exec', { rc: 127, stderr: 'sh: 1: exec: nonexistentbinary: not found\n' });
    const result = await commandModule.run({ cmd: 'nonexistentbinary arg' }, createModuleContext({ connection: conn }));
    expect(result).toMatchObject({ changed: false, failed: true, msg: "[Errno 2] No such file or directory: b'nonexistentbinary'" });
    expect(result.values).toMatchObject({ rc: 2, cmd: 'nonexistentbinary arg', stdout: '', stderr: '' });
    expect(result.values).not.toHaveProperty('start');
  });

  it('fails when chdir does not exist, before running anything', async () => {
    const conn = new ScriptedConnection().on('d=', { stdout: 'chdir:2\n' });
    const result = await commandModule.run({ cmd: 'pwd', chdir: '/nonexistent-dir' }, createModuleContext({ connection: conn }));
    expect(conn.commands).toHaveLength(1);
    expect(result.failed).toBe(true);
    expect(result.msg).toBe("Unable to change directory before execution: [Errno 2] No such file or directory: b'/nonexistent-dir'");
    expect(result.values).toMatchObject({ rc: null, cmd: ['pwd'] });
  });

  it('changes directory for the run when chdir exists', async () => {
    const conn = new ScriptedConnection().once('d=', { stdout: '' }).on('cd ', { stdout: '/srv\n' });
    await commandModule.run({ cmd: 'pwd', chdir: '~/srv dir' }, createModuleContext({ connection: conn }));
    expect(conn.commands[1]).toBe("cd ~/'srv dir' && exec pwd");
  });

  it('sends stdin with a newline unless told not to, and passes the environment', async () => {
    const conn = new ScriptedConnection().on('exec cat', (_cmd, options) => ({ stdout: String(options.stdin) }));
    const ctx = createModuleContext({ connection: conn, env: { A: '1' } });
    const a = await commandModule.run({ cmd: 'cat', stdin: 'in put' }, ctx);
    const b = await commandModule.run({ cmd: 'cat', stdin: 'x', stdin_add_newline: false, strip_empty_ends: false }, ctx);
    const calls = conn.calls.filter((c) => c.kind === 'exec');
    expect(calls[0]!.kind === 'exec' && calls[0]!.options.stdin).toBe('in put\n');
    expect(calls[0]!.kind === 'exec' && calls[0]!.options.env).toEqual({ A: '1' });
    expect(a.values!['stdout']).toBe('in put');
    expect(b.values!['stdout']).toBe('x');
  });

  it('keeps trailing newlines with strip_empty_ends: false', async () => {
    const conn = new ScriptedConnection().on('exec printf', { stdout: 'a\n\n' });
    const result = await commandModule.run({ cmd: "printf 'a\\n\\n'", strip_empty_ends: 'no' }, createModuleContext({ connection: conn }));
    expect(conn.commands).toEqual(["exec printf 'a\\n\\n'"]);
    expect(result.values).toMatchObject({ stdout: 'a\n\n', stdout_lines: ['a', ''] });
  });

  it('is skipped in check mode without creates/removes, recording but not running the command', async () => {
    const conn = new ScriptedConnection();
    const ctx = createModuleContext({ connection: conn, check: true });
    const result = await commandModule.run({ cmd: 'echo hi' }, ctx);
    expect(conn.commands).toEqual([]);
    expect(ctx.commands).toEqual([{ command: 'exec echo hi', kind: 'exec', executed: false }]);
    expect(result).toMatchObject({ changed: false, skipped: true, msg: 'Command would have run if not in check mode' });
    expect(result.values).toMatchObject({ rc: 0, stdout: '', stdout_lines: [], start: null });
  });

  it('reports changed in check mode when creates does not match', async () => {
    const conn = new ScriptedConnection().on('for f in', { stdout: '' });
    const ctx = createModuleContext({ connection: conn, check: true });
    const result = await commandModule.run({ cmd: 'echo hi', creates: '/nope' }, ctx);
    expect(result).toMatchObject({ changed: true, msg: 'Command would have run if not in check mode' });
    expect(result.skipped).toBeUndefined();
    expect(ctx.commands.map((c) => c.executed)).toEqual([true, false]);
  });

  it('says "Would not run" in check mode when creates matches', async () => {
    const conn = new ScriptedConnection().on('for f in', { stdout: 'creates\n' });
    const result = await commandModule.run({ cmd: 'echo hi', creates: '/x' }, createModuleContext({ connection: conn, check: true }));
    expect(result.msg).toBe("Would not run command since '/x' exists");
  });

  it('fails without a command, or with both a command and argv', async () => {
    const ctx = createModuleContext();
    expect(await commandModule.run({}, ctx)).toMatchObject({ failed: true, msg: 'no command given', values: { rc: 256 } });
    expect(await commandModule.run({ cmd: 'a', argv: ['b'] }, ctx)).toMatchObject({
      failed: true,
      msg: 'only command or argv can be given, not both',
    });
  });

  it('warns that executable is ignored by command', async () => {
    const conn = new ScriptedConnection().on('exec true', {});
    const result = await commandModule.run({ cmd: 'true', executable: '/bin/bash' }, createModuleContext({ connection: conn }));
    expect(conn.commands).toEqual(['exec true']);
    expect(result.warnings?.[0]).toContain("Not using '/bin/bash'");
  });
});

describe('shell over a scripted connection', () => {
  it('runs the text through the shell and returns cmd as a string', async () => {
    const conn = new ScriptedConnection().on('echo', { stdout: '/bin/sh\n', stderr: 'err\n' });
    const result = await shellModule.run({ cmd: 'echo $0; echo err >&2' }, createModuleContext({ connection: conn }));
    expect(conn.commands).toEqual(['echo $0; echo err >&2']);
    expect(result.values).toMatchObject({ cmd: 'echo $0; echo err >&2', stdout: '/bin/sh', stderr: 'err', rc: 0 });
  });

  it('uses the executable and chdir', () => {
    expect(buildCommandLine('echo $A', { shell: true, executable: '/bin/bash' })).toBe("exec /bin/bash -c 'echo $A'");
    expect(buildCommandLine('echo $A', { shell: true, chdir: '/tmp' })).toBe("cd /tmp && exec /bin/sh -c 'echo $A'");
  });
});

describe('command and shell on the local machine', () => {
  let dir: string;
  const conn = new LocalConnection('localhost');
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tsbook-cmd-'));
    await mkdir(join(dir, 'sub dir'));
    await writeFile(join(dir, 'sub dir', 'exists 1.txt'), '');
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('does not interpret shell syntax in command', async () => {
    const ctx = createModuleContext({ connection: conn });
    const result = await commandModule.run({ cmd: 'echo $HOME > x; ls', chdir: dir }, ctx);
    expect(result.values!['stdout']).toBe('$HOME > x; ls');
  });

  it('interprets it in shell', async () => {
    const result = await shellModule.run({ cmd: 'printf "%s\\n" a b | wc -l', chdir: dir }, createModuleContext({ connection: conn }));
    expect(String(result.values!['stdout']).trim()).toBe('2');
  });

  it('matches creates globs with spaces, relative to chdir', async () => {
    const ctx = createModuleContext({ connection: conn });
    const hit = await commandModule.run({ cmd: 'touch made', chdir: dir, creates: 'sub dir/exists *.txt' }, ctx);
    expect(hit.changed).toBe(false);
    const miss = await commandModule.run({ cmd: 'touch made', chdir: dir, creates: 'sub dir/other*.txt' }, ctx);
    expect(miss.changed).toBe(true);
    const again = await commandModule.run({ cmd: 'touch made', chdir: dir, creates: 'made' }, ctx);
    expect(again.changed).toBe(false);
  });

  it('reports a missing binary and a missing chdir', async () => {
    const ctx = createModuleContext({ connection: conn });
    const missing = await commandModule.run({ cmd: 'tsbook-no-such-binary x' }, ctx);
    expect(missing).toMatchObject({ failed: true, msg: "[Errno 2] No such file or directory: b'tsbook-no-such-binary'" });
    const noDir = await commandModule.run({ cmd: 'pwd', chdir: join(dir, 'nope') }, ctx);
    expect(noDir.msg).toContain('[Errno 2] No such file or directory');
    const notDir = await commandModule.run({ cmd: 'pwd', chdir: join(dir, 'sub dir', 'exists 1.txt') }, ctx);
    expect(notDir.msg).toContain('[Errno 20] Not a directory');
  });

  it('returns the exit code of a failing shell command', async () => {
    const result = await shellModule.run({ cmd: 'echo out; exit 4' }, createModuleContext({ connection: conn }));
    expect(result).toMatchObject({ failed: true, msg: 'non-zero return code', values: { rc: 4, stdout: 'out' } });
  });
});

describe('command edge cases', () => {
  it('keeps an assignment-like first word a program name, as Python exec does', async () => {
    expect(buildCommandLine(['FOO=bar', 'env'], { shell: false })).toBe("exec 'FOO=bar' env");
    const result = await commandModule.run({ cmd: 'FOO=bar env' }, createModuleContext({ connection: new LocalConnection('localhost') }));
    expect(result).toMatchObject({ failed: true, msg: "[Errno 2] No such file or directory: b'FOO=bar'" });
  });
});
