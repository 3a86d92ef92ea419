import { afterAll, beforeAll, beforeEach, afterEach, describe, expect, it } from 'vitest';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { uriModule } from '../../src/modules/uri.js';
import { ModuleFailure } from '../../src/modules/types.js';
import type { HttpTool } from '../../src/modules/util/http.js';
import { cleanup, httpRequest, responseInfo } from '../../src/modules/util/http.js';
import { localContext, tempDir } from '../support/file-module-context.js';
import { startServer, type TestServer } from '../support/http-server.js';
import { ansibleAvailable, keysOf, runAnsible, runTsbook, writePlaybook } from '../support/playbook-oracle.js';

let server: TestServer;
let dir: string;
let removeDir: () => Promise<void>;

beforeAll(async () => {
  server = await startServer({
    '/json': (_req, res) => {
      res.writeHead(200, { 'Content-Type': 'application/json; charset=utf-8', 'X-Trace-Id': 'abc', 'Content-Length': '20' });
      res.end('{"a": 1, "b": [1,2]}');
    },
    '/text': (_req, res) => {
      res.writeHead(200, { 'Content-Type': 'text/plain', 'Set-Cookie': ['s=1; Path=/', 't=2'] });
      res.end('plain body\n');
    },
    '/echo': (req, res, body) => {
      res.writeHead(201, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ method: req.method, type: req.headers['content-type'] ?? null, agent: req.headers['user-agent'], body: body.toString('utf8') }));
    },
    '/redir': (_req, res) => {
      res.writeHead(302, { Location: '/text' });
      res.end();
    },
    '/file': (req, res) => {
      res.writeHead(200, { 'Content-Type': 'application/octet-stream' });
      res.end('file content\n');
    },
  });
});
afterAll(async () => server.close());
beforeEach(async () => ({ dir, cleanup: removeDir } = await tempDir()));
afterEach(async () => removeDir());

async function attempt(args: Record<string, unknown>, check = false): Promise<{ failed: boolean; msg?: string; changed: boolean; values: Record<string, unknown> }> {
  try {
    const r = await uriModule.run(args, localContext({ check }));
    return { failed: false, msg: r.msg, changed: r.changed, values: { ...(r.values ?? {}) } };
  } catch (e) {
    if (!(e instanceof ModuleFailure)) throw e;
    return { failed: true, msg: e.message, changed: false, values: { ...e.values } };
  }
}

describe('uri', () => {
  it('GETs JSON: status, parsed json, lowercased headers with underscores, no content by default', async () => {
    const r = await attempt({ url: `${server.base}/json` });
    expect(r.failed).toBe(false);
    expect(r.changed).toBe(false);
    expect(r.msg).toBe('OK (20 bytes)');
    expect(r.values).toMatchObject({ status: 200, json: { a: 1, b: [1, 2] }, redirected: false, url: `${server.base}/json`, x_trace_id: 'abc', content_type: 'application/json; charset=utf-8', content_length: '20', cookies: {}, cookies_string: '' });
    expect(r.values).not.toHaveProperty('content');
    expect(server.requests.at(-1)?.headers['user-agent']).toBe('ansible-httpget');
  });

  it('fails with Ansible\'s message when the status is not expected, and accepts a list of codes', async () => {
    const r = await attempt({ url: `${server.base}/missing` });
    expect(r.failed).toBe(true);
    expect(r.msg).toBe('Status code was 404 and not [200]: HTTP Error 404: Not Found');
    expect(r.values).toMatchObject({ status: 404, redirected: false, content_type: 'text/html' });
    const ok = await attempt({ url: `${server.base}/missing`, status_code: [404, 200] });
    expect(ok.failed).toBe(false);
    expect(ok.msg).toBe('HTTP Error 404: Not Found');
    expect(ok.values.body).toBe('<h1>not found</h1>');
    const two = await attempt({ url: `${server.base}/missing`, status_code: '200,201' });
    expect(two.msg).toBe('Status code was 404 and not [200, 201]: HTTP Error 404: Not Found');
  });

  it('sends JSON bodies as Python json.dumps does, and form bodies urlencoded', async () => {
    const r = await attempt({ url: `${server.base}/echo`, method: 'POST', body: { x: 1, y: 'é' }, body_format: 'json', status_code: 201, return_content: true });
    expect(r.failed).toBe(false);
    expect(r.values.json).toEqual({ method: 'POST', type: 'application/json', agent: 'ansible-httpget', body: '{"x": 1, "y": "\\u00e9"}' });
    expect(typeof r.values.content).toBe('string');
    const f = await attempt({ url: `${server.base}/echo`, method: 'PUT', body: { x: [1, 2], y: 'a b&', z: true }, body_format: 'form-urlencoded', status_code: [201] });
    expect(f.values.json).toMatchObject({ method: 'PUT', type: 'application/x-www-form-urlencoded', body: 'x=1&x=2&y=a+b%26&z=True' });
    const bad = await attempt({ url: `${server.base}/echo`, method: 'post it' });
    expect(bad.msg).toBe("Parameter 'method' needs to be a single word in uppercase, like GET or POST.");
  });

  it('follows redirects for GET only (safe), and returns an absolute location otherwise', async () => {
    const g = await attempt({ url: `${server.base}/redir`, return_content: true });
    expect(g.values).toMatchObject({ status: 200, redirected: true, url: `${server.base}/text`, content: 'plain body\n', cookies: { s: '1', t: '2' }, cookies_string: 's=1; t=2' });
    const p = await attempt({ url: `${server.base}/redir`, method: 'POST', status_code: 302 });
    expect(p.values).toMatchObject({ status: 302, redirected: false, location: `${server.base}/text` });
    expect(p.msg).toBe('HTTP Error 302: Found');
    const none = await attempt({ url: `${server.base}/redir`, follow_redirects: 'none' });
    expect(none.msg).toBe('Status code was 302 and not [200]: HTTP Error 302: Found');
  });

  it('writes dest (changed every time, as Ansible) and honours creates/removes', async () => {
    const dest = join(dir, 'out.bin');
    const first = await attempt({ url: `${server.base}/file`, dest, mode: '0600' });
    expect(first).toMatchObject({ failed: false, changed: true });
    expect(first.values).toMatchObject({ path: dest, mode: '0600', size: 13, state: 'file' });
    expect(await readFile(dest, 'utf8')).toBe('file content\n');
    const second = await attempt({ url: `${server.base}/file`, dest });
    expect(second.changed).toBe(true);
    expect(server.requests.at(-1)?.headers['if-modified-since']).toMatch(/GMT$/);
    const skipped = await attempt({ url: `${server.base}/file`, creates: dest });
    expect(skipped).toMatchObject({ changed: false, values: { stdout: `skipped, since '${dest}' exists` } });
    const removes = await attempt({ url: `${server.base}/file`, removes: join(dir, 'nope') });
    expect(removes.values.stdout).toBe(`skipped, since '${join(dir, 'nope')}' does not exist`);
    const into = await attempt({ url: `${server.base}/file`, dest: dir });
    expect(into.values.path).toBe(join(dir, 'file'));
  });

  it('reports connection failures as status -1', async () => {
    const r = await attempt({ url: 'http://127.0.0.1:1/x' });
    expect(r).toMatchObject({ failed: true, msg: 'Status code was -1 and not [200]: Request failed: <urlopen error [Errno 111] Connection refused>' });
    expect(r.values).toMatchObject({ status: -1, url: 'http://127.0.0.1:1/x', redirected: false });
  });

  it('uploads src from the controller as the body', async () => {
    await writeFile(join(dir, 'payload.txt'), 'from a file');
    const r = await uriModule.run({ url: `${server.base}/echo`, method: 'POST', src: join(dir, 'payload.txt'), status_code: 201 }, localContext());
    expect(r.values?.json).toMatchObject({ body: 'from a file' });
  });
});

describe('host HTTP clients agree', () => {
  const tools: HttpTool[] = ['curl', 'python3', 'wget'];
  for (const tool of tools) {
    it(`${tool}: status, reason, final url, headers and body`, async () => {
      const ctx = localContext();
      const base = { headers: [] as [string, string][], timeout: 5, validateCerts: true } as const;
      const ok = await httpRequest(ctx, { ...base, url: `${server.base}/redir`, method: 'GET', followRedirects: 'safe' }, 'probe', tool);
      expect(ok.tool).toBe(tool);
      expect(responseInfo(ok)).toMatchObject({ status: 200, url: `${server.base}/text`, 'content-type': 'text/plain', msg: 'OK (unknown bytes)', cookies: { s: '1', t: '2' } });
      expect((await ctx.get(ok.bodyPath)).toString()).toBe('plain body\n');
      await cleanup(ctx, ok);
      const post = await httpRequest(ctx, { ...base, url: `${server.base}/echo`, method: 'POST', body: Buffer.from('xyz'), followRedirects: 'safe' }, 'probe', tool);
      expect(JSON.parse((await ctx.get(post.bodyPath)).toString())).toMatchObject({ method: 'POST', body: 'xyz', agent: 'ansible-httpget' });
      await cleanup(ctx, post);
      const missing = await httpRequest(ctx, { ...base, url: `${server.base}/nope`, method: 'GET', followRedirects: 'safe' }, 'probe', tool);
      expect([missing.status, missing.msg, missing.bodySize]).toEqual([404, 'HTTP Error 404: Not Found', 18]);
      await cleanup(ctx, missing);
      const refused = await httpRequest(ctx, { ...base, url: 'http://127.0.0.1:1/', method: 'GET', followRedirects: 'safe' }, 'probe', tool);
      expect([refused.status, refused.msg]).toEqual([-1, 'Request failed: <urlopen error [Errno 111] Connection refused>']);
      await cleanup(ctx, refused);
    });
  }
});

const ansible = await ansibleAvailable();

describe.runIf(ansible)('uri against ansible-playbook', () => {
  it('same status, msg, keys and values for GET, 404, POST json, redirect and dest', async () => {
    const dest = join(dir, 'dl.txt');
    const tasks = [
      { name: 'json', uri: { url: `${server.base}/json` } },
      { name: 'missing', uri: { url: `${server.base}/missing` }, ignore_errors: true },
      { name: 'missing ok', uri: { url: `${server.base}/missing`, status_code: [404] } },
      { name: 'post', uri: { url: `${server.base}/echo`, method: 'POST', body: { k: 'v' }, body_format: 'json', status_code: 201, return_content: true } },
      { name: 'redirect', uri: { url: `${server.base}/redir` } },
      { name: 'dest', uri: { url: `${server.base}/file`, dest } },
    ];
    const playbook = await writePlaybook(dir, 'uri', tasks);
    const expected = await runAnsible(playbook);
    const actual = await runTsbook(playbook);
    const volatile = ['date', 'elapsed'];
    expect(actual.map((t) => t.status)).toEqual(expected.map((t) => t.status));
    for (let i = 0; i < tasks.length; i++) {
      const [a, e] = [actual[i]!.result, expected[i]!.result];
      expect({ task: tasks[i]!.name, keys: keysOf(a, volatile) }).toEqual({ task: tasks[i]!.name, keys: keysOf(e, volatile) });
      expect(a.msg).toBe(e.msg);
      for (const k of ['status', 'url', 'redirected', 'json', 'body', 'content_type', 'changed', 'path', 'size']) expect([k, a[k]]).toEqual([k, e[k]]);
    }
    // the echoed request itself matches: same encoded body, content type and user agent
    expect(actual[3]!.result.json).toEqual(expected[3]!.result.json);
  }, 120_000);
});
