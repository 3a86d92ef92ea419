import { describe, expect, it } from 'vitest';
import { LocalConnection } from '../../src/connection/local.js';
import { rawModule } from '../../src/modules/raw.js';
import { createModuleContext } from '../support/module-context.js';
import { ScriptedConnection } from '../support/scripted-connection.js';

describe('raw', () => {
  it('runs the text as-is and returns unstripped output', async () => {
    const conn = new ScriptedConnection().on('echo raw', { stdout: 'raw\n', stderr: 'rawerr\n' });
    const result = await rawModule.run({ _raw_params: 'echo raw; echo rawerr >&2' }, createModuleContext({ connection: conn }));
    expect(conn.commands).toEqual(['echo raw; echo rawerr >&2']);
    expect(result).toEqual({
      changed: true,
      values: { rc: 0, stdout: 'raw\n', stdout_lines: ['raw'], stderr: 'rawerr\n', stderr_lines: ['rawerr'] },
      warnings: undefined,
    });
  });

  it('fails on a non-zero exit code', async () => {
    const conn = new ScriptedConnection().on('exit 3', { rc: 3 });
    const result = await rawModule.run({ _raw_params: 'exit 3' }, createModuleContext({ connection: conn }));
    expect(result).toMatchObject({ changed: true, failed: true, msg: 'non-zero return code', values: { rc: 3, msg: 'non-zero return code' } });
  });

  it('wraps the text for an executable and warns about environment', async () => {
    const conn = new ScriptedConnection().on('exec', {});
    const result = await rawModule.run({ _raw_params: 'echo $0', executable: '/bin/bash' }, createModuleContext({ connection: conn, env: { A: '1' } }));
    expect(conn.commands).toEqual(["exec /bin/bash -c 'echo $0'"]);
    expect(result.warnings).toEqual(['raw module does not support the environment keyword']);
  });

  it('is skipped in check mode without a message and runs nothing', async () => {
    const ctx = createModuleContext({ check: true });
    expect(await rawModule.run({ _raw_params: 'rm -rf /x' }, ctx)).toEqual({ changed: false, skipped: true, values: {} });
    expect(ctx.commands).toEqual([]);
  });

  it('runs for real', async () => {
    const result = await rawModule.run({ _raw_params: 'printf "a\\nb\\n"; exit 0' }, createModuleContext({ connection: new LocalConnection('localhost') }));
    expect(result.values).toMatchObject({ rc: 0, stdout: 'a\nb\n', stdout_lines: ['a', 'b'] });
  });
});
