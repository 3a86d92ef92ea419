import type { Module, ModuleContext, ModuleResult } from './types.js';
import { ModuleFailure } from './types.js';
import { argBool, argInt, argString } from './util/args.js';
import { baseName, dirName, required } from './util/file-args.js';
import type { FileAttributes } from './util/file-state.js';
import { applyAttributes, backupFile, FILE_ATTRIBUTE_SCHEMA, moveIntoPlace, tempPathFor } from './util/file-state.js';
import { hashOf, pathInfo, statPath } from './util/fs-probe.js';
import type { HttpRequest, HttpResponse } from './util/http.js';
import { cleanup, header, headerList, httpRequest, NoHttpClientError, URL_ARGS_SCHEMA } from './util/http.js';
import { shellQuote } from './util/quote.js';

type Args = Readonly<Record<string, unknown>>;
type Values = Record<string, unknown>;

const ALGORITHMS = ['md5', 'sha1', 'sha224', 'sha256', 'sha384', 'sha512'];

/** Ansible's url_filename: the last path segment of the URL, or index.html. */
export function urlFilename(url: string): string {
  let path: string;
  try {
    path = new URL(url).pathname;
  } catch {
    path = url;
  }
  const name = path.slice(path.lastIndexOf('/') + 1);
  return name === '' ? 'index.html' : name;
}

/** The filename of a content-disposition 'attachment; filename=...' header. */
export function dispositionFilename(value: string | undefined): string | undefined {
  const m = value === undefined ? null : /^attachment; ?filename="?([^"]+)/.exec(value);
  return m ? baseName(m[1]!) : undefined;
}

/** The digest of a host file with one of hashlib's algorithms (coreutils `<algo>sum`). */
async function digest(ctx: ModuleContext, path: string, algorithm: string): Promise<string> {
  if (!ALGORITHMS.includes(algorithm)) {
    throw new ModuleFailure(`Could not hash file '${path}' with algorithm '${algorithm}'. Available algorithms: ${ALGORITHMS.join(', ')}`);
  }
  const sum = await hashOf(ctx, `${algorithm}sum`, path);
  if (sum === undefined) throw new ModuleFailure(`Could not hash file '${path}' with algorithm '${algorithm}'.`);
  return sum;
}

/** Values plus Ansible's add_path_info of dest (when it exists). */
async function withPathInfo(ctx: ModuleContext, values: Values): Promise<Values> {
  const dest = values.dest;
  return typeof dest === 'string' ? { ...values, ...(await pathInfo(ctx, dest)) } : values;
}

async function fail(ctx: ModuleContext, msg: string, values: Values): Promise<never> {
  throw new ModuleFailure(msg, await withPathInfo(ctx, values));
}

function baseRequest(args: Args, url: string): Omit<HttpRequest, 'method' | 'force' | 'ifModifiedSince'> {
  return {
    url,
    headers: headerList(args.headers),
    timeout: argInt(args, 'timeout') ?? 10,
    followRedirects: 'urllib2',
    validateCerts: argBool(args, 'validate_certs', true),
    username: argString(args, 'url_username', 'username'),
    password: argString(args, 'url_password', 'password'),
    userAgent: argString(args, 'http_agent'),
  };
}

async function request(ctx: ModuleContext, req: HttpRequest): Promise<HttpResponse> {
  try {
    return await httpRequest(ctx, req, 'probe');
  } catch (e) {
    if (e instanceof NoHttpClientError) throw new ModuleFailure(e.message, { url: req.url });
    throw e;
  }
}

function isUrl(text: string): boolean {
  return /^(https?|ftp|file):/i.test(text);
}

/** A checksum given as a URL: the line of the checksum file naming the downloaded file. */
async function checksumFromUrl(ctx: ModuleContext, args: Args, checksumUrl: string, url: string): Promise<string> {
  const res = await request(ctx, { ...baseRequest(args, checksumUrl), method: 'GET' });
  try {
    if (res.status !== 200) throw new ModuleFailure('Request failed', { status_code: res.status, response: res.msg, url: checksumUrl });
    const lines = (await ctx.get(res.bodyPath)).toString('utf8').split('\n').map((l) => l.replace(/\r$/, ''));
    if (lines[lines.length - 1] === '') lines.pop();
    const filename = urlFilename(url);
    const map: [string, string][] = [];
    if (lines.length === 1 && lines[0]!.split(/\s+/).filter(Boolean).length === 1) map.push([lines[0]!, filename]);
    else {
      for (const line of lines) {
        const space = line.indexOf(' ');
        if (space < 0) continue;
        let name = line.slice(space + 1);
        if (name.startsWith(' ') || name.startsWith('*')) name = name.slice(1);
        map.push([line.slice(0, space), name.replace(/^[./]+/, '')]);
      }
    }
    const found = map.find(([, f]) => f === filename);
    if (!found) throw new ModuleFailure(`Unable to find a checksum for file '${filename}' in '${checksumUrl}'`);
    return found[0];
  } finally {
    await cleanup(ctx, res);
  }
}

/** Parses `checksum: algo:hex` (or algo:URL) into [algorithm, lowercase hex]. */
async function parseChecksum(ctx: ModuleContext, args: Args, url: string, result: Values): Promise<[string, string]> {
  const text = argString(args, 'checksum') ?? '';
  if (text === '') return ['', ''];
  const colon = text.indexOf(':');
  if (colon < 0) await fail(ctx, 'The checksum parameter has to be in format <algorithm>:<checksum>', result);
  const algorithm = text.slice(0, colon);
  let sum = text.slice(colon + 1);
  if (isUrl(sum)) sum = await checksumFromUrl(ctx, args, sum, url);
  sum = sum.replace(/[^\p{L}\p{N}_]+/gu, '').toLowerCase();
  if (!/^[0-9a-f]+$/.test(sum)) await fail(ctx, 'The checksum format is invalid', result);
  return [algorithm, sum];
}

async function access(ctx: ModuleContext, path: string, flag: 'r' | 'w'): Promise<boolean> {
  return (await ctx.probe(`[ -${flag} ${shellQuote(path)} ]`)).rc === 0;
}

/** Moves the downloaded body into place atomically (a temp file next to dest, then rename). */
async function install(ctx: ModuleContext, body: string, dest: string, existed: boolean): Promise<void> {
  const tmp = tempPathFor(dest);
  const r = await ctx.run(`mv -f -- ${shellQuote(body)} ${shellQuote(tmp)}`);
  if (r.rc !== 0) throw new ModuleFailure(`failed to copy ${body} to ${dest}: ${r.stderr.trim()}`);
  await moveIntoPlace(ctx, tmp, dest, existed);
}

async function runGetUrl(args: Args, ctx: ModuleContext): Promise<ModuleResult> {
  const url = required(argString(args, 'url'), 'url');
  let dest = required(argString(args, 'dest'), 'dest');
  let force = argBool(args, 'force', false);
  const attrs: FileAttributes = { mode: args.mode as FileAttributes['mode'], owner: args.owner as FileAttributes['owner'], group: args.group as FileAttributes['group'] };
  const result: Values = { checksum_dest: null, checksum_src: null, dest, elapsed: 0, url };

  const destSt = await statPath(ctx, dest, true);
  const destIsDir = destSt?.type === 'directory';
  const [algorithm, checksum] = await parseChecksum(ctx, args, url, result);

  let lastModTime: number | undefined;
  if (!destIsDir && destSt) {
    let mismatch = false;
    if (!force && checksum !== '') mismatch = (await digest(ctx, dest, algorithm)) !== checksum;
    if (!force && checksum !== '' && !mismatch) {
      const changed = await applyAttributes(ctx, dest, attrs, await statPath(ctx, dest, false));
      const msg = changed ? 'file already exists but file attributes changed' : 'file already exists';
      return { changed, msg, values: await withPathInfo(ctx, result) };
    }
    lastModTime = destSt.mtime;
    if (mismatch) force = true;
  }

  const start = Date.now();
  const res = await request(ctx, { ...baseRequest(args, url), method: ctx.check ? 'HEAD' : 'GET', force, ifModifiedSince: lastModTime });
  try {
    const elapsed = Math.floor((Date.now() - start) / 1000);
    result.elapsed = elapsed;
    if (res.status === 304) {
      return { changed: false, msg: res.msg, values: await withPathInfo(ctx, { url, dest, status_code: 304, elapsed }) };
    }
    if (res.status === -1) await fail(ctx, res.msg, { url, dest, elapsed });
    if (res.status !== 200 && !url.startsWith('file:/')) {
      await fail(ctx, 'Request failed', { status_code: res.status, response: res.msg, url, dest, elapsed });
    }
    result.src = res.bodyPath;
    if (destIsDir) {
      dest = `${dest.replace(/\/+$/, '')}/${dispositionFilename(header(res, 'content-disposition')) ?? urlFilename(res.url)}`;
      result.dest = dest;
    }
    result.checksum_src = res.bodySha1;

    const st = await statPath(ctx, dest, true);
    if (st) {
      if (!(await access(ctx, dest, 'w'))) await fail(ctx, `Destination ${dest} is not writable`, result);
      if (!(await access(ctx, dest, 'r'))) await fail(ctx, `Destination ${dest} is not readable`, result);
      result.checksum_dest = (await hashOf(ctx, 'sha1sum', dest)) ?? null;
    } else {
      const parent = dirName(dest);
      if (!(await statPath(ctx, parent || '.', true))) await fail(ctx, `Destination ${parent} does not exist`, result);
      if (!(await access(ctx, parent || '.', 'w'))) await fail(ctx, `Destination ${parent} is not writable`, result);
    }

    if (ctx.check) {
      return { changed: result.checksum_src !== result.checksum_dest, msg: res.msg, values: await withPathInfo(ctx, result) };
    }

    let changed = false;
    let backupName: string | undefined;
    if (result.checksum_src !== result.checksum_dest) {
      if (argBool(args, 'backup', false) && st) backupName = await backupFile(ctx, dest);
      await install(ctx, res.bodyPath, dest, st !== undefined);
      changed = true;
    }
    if (checksum !== '') {
      const actual = await digest(ctx, dest, algorithm);
      if (actual !== checksum) {
        await ctx.run(`rm -f -- ${shellQuote(dest)}`);
        await fail(ctx, `The checksum for ${dest} did not match ${checksum}; it was ${actual}.`, { ...result, changed });
      }
    }
    changed = (await applyAttributes(ctx, dest, attrs, await statPath(ctx, dest, false))) || changed;
    result.md5sum = (await hashOf(ctx, 'md5sum', dest)) ?? null;
    if (backupName !== undefined) result.backup_file = backupName;
    return { changed, msg: res.msg, values: await withPathInfo(ctx, { ...result, status_code: res.status }) };
  } finally {
    await cleanup(ctx, res);
  }
}

export const getUrlModule: Module = {
  name: 'get_url',
  description: 'Downloads a file over HTTP, HTTPS or FTP to the host, from the host (curl, python3 or wget there).',
  checkMode: 'full',
  args: {
    type: 'object',
    additionalProperties: false,
    required: ['url', 'dest'],
    properties: {
      ...URL_ARGS_SCHEMA,
      force: { type: 'boolean', description: 'Download even when dest exists (default false: only when the content or checksum differs).' },
      timeout: { type: ['integer', 'string'], description: 'Socket timeout in seconds (default 10).' },
      dest: { type: 'string', description: 'Host path to write; an existing directory gets the file name from the server or the URL.' },
      backup: { type: 'boolean', description: 'Keep a timestamped backup of a replaced dest (returned as backup_file).' },
      checksum: {
        type: 'string',
        description: "'<algorithm>:<hex>' (md5, sha1, sha224, sha256, sha384, sha512) or '<algorithm>:<URL of a checksum file>'; a matching dest is not downloaded again.",
      },
      username: { type: 'string', description: 'Alias of url_username.' },
      password: { type: 'string', description: 'Alias of url_password.' },
      tmp_dest: { type: 'string', description: 'Accepted; the download goes to a host temp directory.' },
      ...FILE_ATTRIBUTE_SCHEMA,
    },
  },
  async run(args, ctx) {
    return runGetUrl(args, ctx);
  },
};
