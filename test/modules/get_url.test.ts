import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { access, mkdir, readFile, readdir, stat, writeFile } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { getUrlModule } from '../../src/modules/get_url.js';
import { ModuleFailure } from '../../src/modules/types.js';
import { localContext, tempDir } from '../support/file-module-context.js';
import { startServer, type TestServer } from '../support/http-server.js';
import { ansibleAvailable, keysOf, runAnsible, runTsbook, writePlaybook } from '../support/playbook-oracle.js';

const BODY = 'hello\n';
const sha = (algo: string, text: string) => createHash(algo).update(text).digest('hex');

let server: TestServer;
let dir: string;
let removeDir: () => Promise<void>;

beforeAll(async () => {
  server = await startServer({
    '/hello.txt': (req, res) => {
      res.writeHead(200, { 'Content-Type': 'text/plain', 'Content-Length': String(BODY.length) });
      res.end(req.method === 'HEAD' ? undefined : BODY);
    },
    '/cached': (req, res) => {
      if (req.headers['if-modified-since']) {
        res.writeHead(304);
        res.end();
        return;
      }
      res.writeHead(200);
      res.end('cached\n');
    },
    '/download': (_req, res) => {
      res.writeHead(200, { 'Content-Disposition': 'attachment; filename="named.bin"' });
      res.end('x');
    },
    '/SHA256SUMS': (_req, res) => {
      res.writeHead(200);
      res.end(`${sha('sha256', 'other')}  other.txt\n${sha('sha256', BODY)} *hello.txt\n`);
    },
  });
});
afterAll(async () => server.close());
beforeEach(async () => ({ dir, cleanup: removeDir } = await tempDir()));
afterEach(async () => removeDir());

async function attempt(args: Record<string, unknown>, check = false): Promise<{ failed: boolean; msg?: string; changed: boolean; values: Record<string, unknown> }> {
  try {
    const r = await getUrlModule.run(args, localContext({ check }));
    return { failed: false, msg: r.msg, changed: r.changed, values: { ...(r.values ?? {}) } };
  } catch (e) {
    if (!(e instanceof ModuleFailure)) throw e;
    return { failed: true, msg: e.message, changed: false, values: { ...e.values } };
  }
}

const exists = (p: string) => access(p).then(() => true, () => false);

describe('get_url', () => {
  it('downloads on the host, then is idempotent by checksum, with Ansible\'s return keys', async () => {
    const dest = join(dir, 'hello.txt');
    const url = `${server.base}/hello.txt`;
    const r1 = await attempt({ url, dest });
    expect(r1).toMatchObject({ failed: false, changed: true, msg: 'OK (6 bytes)' });
    expect(r1.values).toMatchObject({
      url, dest, status_code: 200, checksum_src: sha('sha1', BODY), checksum_dest: null, md5sum: sha('md5', BODY),
      mode: '0644', size: 6, state: 'file', elapsed: 0,
    });
    expect(await readFile(dest, 'utf8')).toBe(BODY);
    const r2 = await attempt({ url, dest });
    expect(r2.changed).toBe(false);
    expect(r2.values).toMatchObject({ checksum_src: sha('sha1', BODY), checksum_dest: sha('sha1', BODY) });
    expect(server.requests.at(-1)?.headers['if-modified-since']).toMatch(/GMT$/);
    // a different file at dest is replaced even with force=no (no checksum given): Ansible downloads and compares
    await writeFile(dest, 'other\n');
    const r3 = await attempt({ url, dest, force: false, mode: '0600' });
    expect(r3.changed).toBe(true);
    expect(await readFile(dest, 'utf8')).toBe(BODY);
    expect((await stat(dest)).mode & 0o777).toBe(0o600);
    expect((await readdir(dir)).sort()).toEqual(['hello.txt']);
  });

  it('skips the download when dest matches the checksum; fails and removes dest on a mismatch', async () => {
    const dest = join(dir, 'f.txt');
    const url = `${server.base}/hello.txt`;
    const ok = await attempt({ url, dest, checksum: `sha256:${sha('sha256', BODY).toUpperCase()}` });
    expect(ok.changed).toBe(true);
    const before = server.requests.length;
    const again = await attempt({ url, dest, checksum: `sha256:${sha('sha256', BODY)}` });
    expect(again).toMatchObject({ changed: false, msg: 'file already exists' });
    expect(server.requests.length).toBe(before);
    const attrs = await attempt({ url, dest, checksum: `md5:${sha('md5', BODY)}`, mode: '0640' });
    expect(attrs).toMatchObject({ changed: true, msg: 'file already exists but file attributes changed' });
    const bad = await attempt({ url, dest: join(dir, 'g.txt'), checksum: 'sha1:0000' });
    expect(bad.failed).toBe(true);
    expect(bad.msg).toBe(`The checksum for ${join(dir, 'g.txt')} did not match 0000; it was ${sha('sha1', BODY)}.`);
    expect(await exists(join(dir, 'g.txt'))).toBe(false);
    const format = await attempt({ url, dest, checksum: 'abc' });
    expect(format.msg).toBe('The checksum parameter has to be in format <algorithm>:<checksum>');
    const invalid = await attempt({ url, dest, checksum: 'sha1:xyz' });
    expect(invalid.msg).toBe('The checksum format is invalid');
  });

  it('takes the checksum from a checksum file URL', async () => {
    const dest = join(dir, 'hello.txt');
    const r = await attempt({ url: `${server.base}/hello.txt`, dest, checksum: `sha256:${server.base}/SHA256SUMS` });
    expect(r).toMatchObject({ failed: false, changed: true });
    const missing = await attempt({ url: `${server.base}/download`, dest: join(dir, 'x'), checksum: `sha256:${server.base}/SHA256SUMS` });
    expect(missing.msg).toBe(`Unable to find a checksum for file 'download' in '${server.base}/SHA256SUMS'`);
  });

  it('check mode sends HEAD and writes nothing', async () => {
    const dest = join(dir, 'new.txt');
    const r = await attempt({ url: `${server.base}/hello.txt`, dest }, true);
    expect(r).toMatchObject({ failed: false, changed: true, msg: 'OK (6 bytes)' });
    expect(r.values.checksum_src).toBe(sha('sha1', ''));
    expect(server.requests.at(-1)?.method).toBe('HEAD');
    expect(await exists(dest)).toBe(false);
  });

  it('names the file from content-disposition or the URL when dest is a directory', async () => {
    const r = await attempt({ url: `${server.base}/download`, dest: dir });
    expect(r.values.dest).toBe(join(dir, 'named.bin'));
    expect(await readFile(join(dir, 'named.bin'), 'utf8')).toBe('x');
    const u = await attempt({ url: `${server.base}/hello.txt?x=1`, dest: `${dir}/` });
    expect(u.values.dest).toBe(join(dir, 'hello.txt'));
  });

  it('reports HTTP errors, 304 and a missing parent like Ansible', async () => {
    const missing = await attempt({ url: `${server.base}/nope`, dest: join(dir, 'n') });
    expect(missing).toMatchObject({ failed: true, msg: 'Request failed', values: { status_code: 404, response: 'HTTP Error 404: Not Found', url: `${server.base}/nope` } });
    const dest = join(dir, 'c');
    await writeFile(dest, 'old');
    const cached = await attempt({ url: `${server.base}/cached`, dest });
    expect(cached).toMatchObject({ failed: false, changed: false, msg: 'HTTP Error 304: Not Modified', values: { status_code: 304 } });
    const parent = await attempt({ url: `${server.base}/hello.txt`, dest: join(dir, 'no/such/file') });
    expect(parent.msg).toBe(`Destination ${join(dir, 'no/such')} does not exist`);
    const refused = await attempt({ url: 'http://127.0.0.1:1/f', dest: join(dir, 'r') });
    expect(refused.msg).toBe('Request failed: <urlopen error [Errno 111] Connection refused>');
  });
});

const ansible = await ansibleAvailable();

describe.runIf(ansible)('get_url against ansible-playbook', () => {
  it('same changed flags, messages and keys on first and second runs, mismatches and errors', async () => {
    const url = `${server.base}/hello.txt`;
    const tasks = (d: string) => [
      { name: 'first', get_url: { url, dest: `${d}/a.txt` } },
      { name: 'second', get_url: { url, dest: `${d}/a.txt` } },
      { name: 'checksum ok', get_url: { url, dest: `${d}/a.txt`, checksum: `sha1:${sha('sha1', BODY)}` } },
      { name: 'mismatch', get_url: { url, dest: `${d}/b.txt`, checksum: 'sha256:00ff' }, ignore_errors: true },
      { name: 'missing', get_url: { url: `${server.base}/nope`, dest: `${d}/c.txt` }, ignore_errors: true },
      { name: 'check', get_url: { url, dest: `${d}/d.txt` }, check_mode: true },
    ];
    const run = async (which: 'ansible' | 'tsbook') => {
      const sub = join(dir, which);
      await mkdir(sub);
      const playbook = await writePlaybook(sub, 'get_url', tasks(sub));
      const outcomes = which === 'ansible' ? await runAnsible(playbook) : await runTsbook(playbook);
      // paths differ only by the per-run directory
      return JSON.parse(JSON.stringify(outcomes).split(sub).join('<dir>')) as typeof outcomes;
    };
    const expected = await run('ansible');
    const actual = await run('tsbook');
    expect(actual.map((t) => `${t.name}:${t.status}`)).toEqual(expected.map((t) => `${t.name}:${t.status}`));
    const volatile = ['elapsed'];
    for (let i = 0; i < expected.length; i++) {
      const [a, e] = [actual[i]!.result, expected[i]!.result];
      expect({ task: expected[i]!.name, keys: keysOf(a, volatile) }).toEqual({ task: expected[i]!.name, keys: keysOf(e, volatile) });
      for (const k of ['msg', 'changed', 'dest', 'checksum_src', 'checksum_dest', 'md5sum', 'status_code', 'response', 'size', 'mode', 'state']) {
        expect([expected[i]!.name, k, a[k]]).toEqual([expected[i]!.name, k, e[k]]);
      }
    }
  }, 120_000);
});
