import { describe, expect, it } from 'vitest';
import { PING_PROBE, pingModule } from '../../src/modules/ping.js';
import { createModuleContext } from '../support/module-context.js';
import { ScriptedConnection } from '../support/scripted-connection.js';

describe('ping', () => {
  it('probes the host and returns pong, also in check mode', async () => {
    const conn = new ScriptedConnection().on(PING_PROBE, { stdout: 'pong\n' });
    const ctx = createModuleContext({ connection: conn, check: true });
    expect(await pingModule.run({}, ctx)).toEqual({ changed: false, values: { ping: 'pong' } });
    expect(conn.commands).toEqual([PING_PROBE]);
    expect((await pingModule.run({ data: 'hello' }, ctx)).values).toEqual({ ping: 'hello' });
  });

  it('fails for data=crash and when the host cannot run commands', async () => {
    const ok = new ScriptedConnection().on(PING_PROBE, { stdout: 'pong\n' });
    expect(await pingModule.run({ data: 'crash' }, createModuleContext({ connection: ok }))).toMatchObject({
      failed: true,
      msg: 'MODULE FAILURE\nSee stdout/stderr for the exact error',
      values: { rc: 1 },
    });
    const broken = new ScriptedConnection().on(PING_PROBE, { rc: 127, stderr: 'sh: not found' });
    expect(await pingModule.run({}, createModuleContext({ connection: broken }))).toMatchObject({ failed: true, values: { rc: 127, module_stderr: 'sh: not found' } });
  });

  it('propagates connection errors (unreachable)', async () => {
    const conn = new ScriptedConnection().on(PING_PROBE, () => {
      throw new Error('connection refused');
    });
    await expect(pingModule.run({}, createModuleContext({ connection: conn }))).rejects.toThrow('connection refused');
  });
});
