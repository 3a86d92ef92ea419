import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalConnection } from '../../src/connection/local.js';
import { pathInfoScript } from '../../src/modules/util/path-info.js';
import { compilePythonRegex, portProbe, waitForModule } from '../../src/modules/wait_for.js';
import { createModuleContext } from '../support/module-context.js';
import { ScriptedConnection } from '../support/scripted-connection.js';

describe('wait_for over a scripted connection', () => {
  it('returns at once when the path exists, with Ansible\'s path info', async () => {
    const conn = new ScriptedConnection().on('test -e', { rc: 0 }).on('stat -c', { stdout: '0|0|root|root|644|46\nfile\n' });
    const result = await waitForModule.run({ path: '/etc/x' }, createModuleContext({ connection: conn }));
    expect(conn.commands).toEqual(['test -e /etc/x', pathInfoScript('/etc/x')]);
    expect(result).toEqual({
      changed: false,
      values: {
        state: 'file', port: null, search_regex: null, match_groups: [], match_groupdict: {}, path: '/etc/x', elapsed: 0,
        uid: 0, gid: 0, owner: 'root', group: 'root', mode: '0644', size: 46,
      },
    });
  });

  it('polls until the file matches search_regex and returns the groups', async () => {
    const conn = new ScriptedConnection()
      .once('cat', { stdout: 'starting\n' })
      .on('cat', { stdout: 'starting\nlistening on port 8080\n' })
      .on('stat -c', { rc: 1 });
    const result = await waitForModule.run({ path: '/log', search_regex: 'port (?P<port>\\d+)$', sleep: 0 }, createModuleContext({ connection: conn }));
    expect(conn.commands.filter((c) => c.startsWith('cat'))).toEqual(['cat /log', 'cat /log']);
    expect(result.values).toMatchObject({ match_groups: ['8080'], match_groupdict: { port: '8080' }, search_regex: 'port (?P<port>\\d+)$', state: 'started' });
  });

  it('times out with Ansible\'s messages', async () => {
    const ctx = createModuleContext();
    expect(await waitForModule.run({ port: 1234, timeout: 0 }, ctx)).toEqual({
      changed: false,
      failed: true,
      msg: 'Timeout when waiting for 127.0.0.1:1234',
      values: { msg: 'Timeout when waiting for 127.0.0.1:1234', elapsed: 0 },
    });
    expect((await waitForModule.run({ path: '/nope', timeout: 0 }, ctx)).msg).toBe('Timeout when waiting for file /nope');
    expect((await waitForModule.run({ path: '/nope', timeout: 0, search_regex: 'x' }, ctx)).msg).toBe('Timeout when waiting for search string x in /nope');
    expect((await waitForModule.run({ path: '/nope', state: 'absent', timeout: 0 }, ctx)).msg).toBe('Timeout when waiting for /nope to be absent.');
    expect((await waitForModule.run({ port: 22, host: 'db', state: 'stopped', timeout: 0 }, ctx)).msg).toBe('Timeout when waiting for db:22 to stop.');
    expect((await waitForModule.run({ port: 22, timeout: 0, msg: 'custom' }, ctx)).msg).toBe('custom');
  });

  it('rejects port with path', async () => {
    expect((await waitForModule.run({ port: 1, path: '/x' }, createModuleContext())).msg).toBe('port and path parameter can not both be passed to wait_for');
  });

  it('probes ports from the host with bash or nc', async () => {
    const conn = new ScriptedConnection().on('/dev/tcp', { rc: 0 });
    const result = await waitForModule.run({ port: 5432, host: 'db' }, createModuleContext({ connection: conn }));
    expect(conn.commands).toEqual([portProbe('db', 5432, 5, false)]);
    expect(result.values).toMatchObject({ port: 5432, state: 'started', path: null });
  });

  it('translates Python regex syntax', () => {
    expect(compilePythonRegex('(?P<a>x)(?P=a)').exec('xx')?.groups).toEqual({ a: 'x' });
    expect(compilePythonRegex('^b').test('a\nb')).toBe(true);
  });

  it('skips in check mode (declared, enforced by the engine)', () => {
    expect(waitForModule.checkMode).toBe('skip');
  });
});

describe('wait_for on the local machine', () => {
  let server: Server;
  let port: number;
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tsbook-wait-'));
    server = createServer((socket) => {
      socket.on('error', () => undefined);
      socket.end('HELLO tsbook\n');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as { port: number }).port;
  });
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
    await rm(dir, { recursive: true, force: true });
  });
  const ctx = () => createModuleContext({ connection: new LocalConnection('localhost') });

  it('sees an open port, and its banner', async () => {
    expect((await waitForModule.run({ port, timeout: 5 }, ctx())).failed).toBeUndefined();
    expect((await waitForModule.run({ port, timeout: 5, search_regex: 'HELLO' }, ctx())).failed).toBeUndefined();
  });

  it('times out on a closed port', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const closedPort = (closed.address() as { port: number }).port;
    await new Promise((resolve) => closed.close(resolve));
    const result = await waitForModule.run({ port: closedPort, timeout: 1 }, ctx());
    expect(result.msg).toBe(`Timeout when waiting for 127.0.0.1:${closedPort}`);
    expect((await waitForModule.run({ port: closedPort, state: 'stopped', timeout: 5 }, ctx())).failed).toBeUndefined();
  });

  it('waits for a file and reports its info', async () => {
    const file = join(dir, 'ready');
    await writeFile(file, 'state: ready\n');
    const result = await waitForModule.run({ path: file, search_regex: 'state: (\\w+)', timeout: 5 }, ctx());
    expect(result.values).toMatchObject({ state: 'file', match_groups: ['ready'], size: 13, path: file });
    expect(String(result.values!['mode'])).toMatch(/^0[0-7]{3}$/);
    expect((await waitForModule.run({ path: join(dir, 'gone'), state: 'absent', timeout: 5 }, ctx())).values).toMatchObject({ state: 'absent' });
  });
});
