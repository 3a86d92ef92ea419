import { mkdtemp, rm, writeFile, access } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalConnection } from '../../src/connection/local.js';
import { SCRIPT_TMPDIR_COMMAND, scriptModule } from '../../src/modules/script.js';
import { ModuleFailure } from '../../src/modules/types.js';
import { createModuleContext } from '../support/module-context.js';
import { ScriptedConnection } from '../support/scripted-connection.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tsbook-script-'));
  await writeFile(join(dir, 's.sh'), '#!/bin/sh\necho "script args: $@"\necho err >&2\n');
  await writeFile(join(dir, 'fail.sh'), '#!/bin/sh\nexit 3\n');
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('script over a scripted connection', () => {
  it('copies the script to a temp dir, runs it with its arguments and removes it', async () => {
    const conn = new ScriptedConnection()
      .on(SCRIPT_TMPDIR_COMMAND, { stdout: '/tmp/tsbook-script-abc\n' })
      .on('/tmp/tsbook-script-abc/s.sh', { stdout: 'script args: one two\n' })
      .on('rm -rf', {});
    const result = await scriptModule.run({ cmd: 's.sh one "two"' }, createModuleContext({ connection: conn, localDir: dir }));
    expect(conn.calls.map((c) => (c.kind === 'exec' ? c.command : `${c.kind} ${c.remotePath}`))).toEqual([
      SCRIPT_TMPDIR_COMMAND,
      'put /tmp/tsbook-script-abc/s.sh',
      '/tmp/tsbook-script-abc/s.sh one "two"',
      'rm -rf /tmp/tsbook-script-abc',
    ]);
    const put = conn.calls[1]!;
    expect(put.kind === 'put' && put.options.mode).toBe('0700');
    expect(result).toEqual({
      changed: true,
      values: { rc: 0, stdout: 'script args: one two\n', stdout_lines: ['script args: one two'], stderr: '', stderr_lines: [] },
    });
  });

  it('is skipped when creates exists', async () => {
    const conn = new ScriptedConnection().on('test -e', { rc: 0 });
    const result = await scriptModule.run({ cmd: 's.sh', creates: '/etc/x' }, createModuleContext({ connection: conn, localDir: dir }));
    expect(conn.commands).toEqual(['test -e /etc/x']);
    expect(result).toEqual({ changed: false, skipped: true, msg: '/etc/x exists, matching creates option', values: { msg: '/etc/x exists, matching creates option' } });
  });

  it('is skipped in check mode unless creates/removes are given', async () => {
    const ctx = createModuleContext({ check: true, localDir: dir });
    expect(await scriptModule.run({ cmd: 's.sh' }, ctx)).toMatchObject({ skipped: true, msg: 'Check mode is not supported for this task.' });
    const conn = new ScriptedConnection().on('test -e', { rc: 1 });
    const withCreates = await scriptModule.run({ cmd: 's.sh', creates: '/x' }, createModuleContext({ connection: conn, check: true, localDir: dir }));
    expect(withCreates).toEqual({ changed: true, values: {} });
  });

  it('rejects a relative chdir and a missing script', async () => {
    await expect(scriptModule.run({ cmd: 's.sh', chdir: 'rel' }, createModuleContext({ localDir: dir }))).rejects.toThrow(
      'chdir rel must be an absolute path for a Unix-aware remote node',
    );
    await expect(scriptModule.run({ cmd: 'nope.sh' }, createModuleContext({ localDir: dir }))).rejects.toBeInstanceOf(ModuleFailure);
  });
});

describe('script on the local machine', () => {
  it('runs and cleans up', async () => {
    const ctx = createModuleContext({ connection: new LocalConnection('localhost'), localDir: dir });
    const result = await scriptModule.run({ cmd: 's.sh a b' }, ctx);
    expect(result.values).toMatchObject({ rc: 0, stdout: 'script args: a b\n', stderr: 'err\n' });
    const tmp = ctx.commands[0]!;
    expect(tmp.command).toBe(SCRIPT_TMPDIR_COMMAND);
    const remote = ctx.commands.find((c) => c.kind === 'put')!.command.slice(4);
    await expect(access(remote)).rejects.toThrow();
  });

  it('fails on a non-zero exit code', async () => {
    const result = await scriptModule.run({ cmd: 'fail.sh' }, createModuleContext({ connection: new LocalConnection('localhost'), localDir: dir }));
    expect(result).toMatchObject({ failed: true, msg: 'non-zero return code', values: { rc: 3 } });
  });
});
