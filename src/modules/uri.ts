import { readFile } from 'node:fs/promises';
import { pyJson } from '../util/pyjson.js';
import type { Module, ModuleContext, ModuleResult } from './types.js';
import { ModuleFailure } from './types.js';
import { argBool, argInt, argString } from './util/args.js';
import { baseName, required } from './util/file-args.js';
import type { FileAttributes } from './util/file-state.js';
import { applyAttributes, FILE_ATTRIBUTE_SCHEMA, moveIntoPlace, tempPathFor } from './util/file-state.js';
import { hashOf, pathInfo, statPath } from './util/fs-probe.js';
import type { HttpResponse } from './util/http.js';
import { cleanup, header, headerList, httpRequest, NoHttpClientError, redirectPolicy, responseInfo, URL_ARGS_SCHEMA } from './util/http.js';
import { shellQuote } from './util/quote.js';

type Args = Readonly<Record<string, unknown>>;
type Values = Record<string, unknown>;

const JSON_CANDIDATES = new Set(['json', 'javascript']);

/** Python's json.dumps (ensure_ascii): non-ASCII characters escaped as \uXXXX. */
export function pythonJsonDumps(value: unknown): string {
  return pyJson(value).replace(/[\u0080-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** Python's str() of a scalar, as to_text does for form values. */
function pyStr(value: unknown): string {
  if (typeof value === 'boolean') return value ? 'True' : 'False';
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return String(value);
  return pythonJsonDumps(value);
}

/** urllib.parse.quote_plus. */
function quotePlus(text: string): string {
  return Array.from(Buffer.from(text, 'utf8'))
    .map((b) => {
      const c = String.fromCharCode(b);
      if (/[A-Za-z0-9_.~-]/.test(c)) return c;
      if (c === ' ') return '+';
      return `%${b.toString(16).toUpperCase().padStart(2, '0')}`;
    })
    .join('');
}

/** Ansible's form_urlencoded: a dict or a list of pairs, list values repeated (urlencode doseq). */
export function formUrlencoded(body: unknown): string {
  if (typeof body === 'string') return body;
  let pairs: [unknown, unknown][];
  if (Array.isArray(body)) pairs = body.map((item) => (Array.isArray(item) ? [item[0], item[1]] : [item, undefined]));
  else if (body !== null && typeof body === 'object') pairs = Object.entries(body);
  else return pyStr(body);
  const out: string[] = [];
  for (const [key, values] of pairs) {
    const list = Array.isArray(values) ? values : [values];
    for (const v of list) if (v !== null && v !== undefined) out.push(`${quotePlus(pyStr(key))}=${quotePlus(pyStr(v))}`);
  }
  return out.join('&');
}

/** Ansible's absolute_location for a Location header. */
export function absoluteLocation(url: string, location: string): string {
  if (location.includes('://')) return location;
  if (location.startsWith('/')) {
    let path = '';
    try {
      path = new URL(url).pathname;
    } catch {
      return location;
    }
    return `${path === '' ? url : url.replace(path, '')}${location}`;
  }
  return `${url.slice(0, url.lastIndexOf('/'))}/${location}`;
}

/** email.message's get_content_type and charset, as parse_content_type reads them. */
function contentType(res: HttpResponse): { subType: string; charset: string } {
  const raw = header(res, 'content-type');
  const [type = '', ...params] = (raw ?? '').split(';');
  const t = type.trim().toLowerCase();
  const full = raw === undefined || t.split('/').length !== 2 ? 'text/plain' : t;
  const charsetParam = params.map((p) => p.trim()).find((p) => p.toLowerCase().startsWith('charset='));
  const charset = charsetParam ? charsetParam.slice(8).replace(/^"|"$/g, '').split(',')[0]! : 'utf-8';
  return { subType: full.split(',')[0]!.split('/')[1] ?? '', charset };
}

function decode(bytes: Buffer, charset: string): string {
  try {
    return new TextDecoder(charset.toLowerCase()).decode(bytes);
  } catch {
    return bytes.toString('utf8');
  }
}

/** Python's repr of the status_code list, for the failure message. */
function listRepr(codes: readonly number[]): string {
  return `[${codes.join(', ')}]`;
}

function statusCodes(value: unknown): number[] {
  if (value === undefined || value === null) return [200];
  const list = Array.isArray(value) ? value : String(value).split(',');
  return list.map((v) => {
    const n = Number(String(v).trim());
    if (!Number.isInteger(n)) throw new ModuleFailure(`Elements value for option 'status_code' is of type ${typeof v} and we were unable to convert to int: invalid literal for int() with base 10: '${String(v)}'`);
    return n;
  });
}

async function requestBody(args: Args, ctx: ModuleContext, headers: [string, string][]): Promise<Buffer | undefined> {
  const format = (argString(args, 'body_format') ?? 'raw').toLowerCase();
  const hasType = headers.some(([k]) => k.toLowerCase() === 'content-type');
  const src = argString(args, 'src');
  if (src !== undefined) {
    if (args.body !== undefined && args.body !== null) throw new ModuleFailure('parameters are mutually exclusive: body|src');
    if (argBool(args, 'remote_src', false)) return ctx.get(src);
    let local: string;
    try {
      local = await ctx.findLocalFile(src, 'files');
    } catch {
      throw new ModuleFailure(`Could not find or access '${src}'`);
    }
    return readFile(local);
  }
  const body = args.body;
  if (format === 'json') {
    if (!hasType) headers.push(['Content-Type', 'application/json']);
    if (body === undefined) return Buffer.from('null');
    return Buffer.from(typeof body === 'string' ? body : pythonJsonDumps(body), 'utf8');
  }
  if (format === 'form-urlencoded') {
    if (!hasType) headers.push(['Content-Type', 'application/x-www-form-urlencoded']);
    return body === undefined || body === null ? undefined : Buffer.from(formUrlencoded(body), 'utf8');
  }
  if (format === 'form-multipart') throw new ModuleFailure('failed to parse body as form-multipart: not supported by tsbook yet');
  if (body === undefined || body === null) return undefined;
  return Buffer.from(typeof body === 'string' ? body : pyStr(body), 'utf8');
}

async function exists(ctx: ModuleContext, path: string): Promise<boolean> {
  return (await ctx.probe(`[ -e ${shellQuote(path)} ]`)).rc === 0;
}

/** Ansible's get_response_filename: content-disposition's filename, else the URL's last segment. */
function responseFilename(res: HttpResponse): string | undefined {
  const disp = header(res, 'content-disposition');
  const m = disp === undefined ? null : /filename\*?=\s*"?([^";]+)"?/i.exec(disp);
  if (m) return m[1];
  let path = '';
  try {
    path = new URL(res.url).pathname;
  } catch {
    /* no path */
  }
  const name = baseName(path.replace(/\/+$/, ''));
  return name === '' ? undefined : decodeURIComponent(name);
}

/** uri's write_file: replace dest only when the body's sha1 differs, atomically. */
async function writeDest(ctx: ModuleContext, res: HttpResponse, dest: string): Promise<void> {
  const st = await statPath(ctx, dest, true);
  const destSum = st ? await hashOf(ctx, 'sha1sum', dest) : undefined;
  if (destSum === res.bodySha1) return;
  const tmp = tempPathFor(dest);
  const r = await ctx.run(`mv -f -- ${shellQuote(res.bodyPath)} ${shellQuote(tmp)}`);
  if (r.rc !== 0) throw new ModuleFailure(`failed to copy ${res.bodyPath} to ${dest}: ${r.stderr.trim()}`);
  await moveIntoPlace(ctx, tmp, dest, st !== undefined);
}

async function runUri(args: Args, ctx: ModuleContext): Promise<ModuleResult> {
  const url = required(argString(args, 'url'), 'url');
  const method = (argString(args, 'method') ?? 'GET').toUpperCase();
  let dest = argString(args, 'dest');
  const returnContent = argBool(args, 'return_content', false);
  const codes = statusCodes(args.status_code);
  if (!/^[A-Z]+$/.test(method)) throw new ModuleFailure("Parameter 'method' needs to be a single word in uppercase, like GET or POST.");
  const headers = headerList(args.headers);
  const body = await requestBody(args, ctx, headers);

  const creates = argString(args, 'creates');
  if (creates !== undefined && (await exists(ctx, creates))) return { changed: false, values: { stdout: `skipped, since '${creates}' exists` } };
  const removes = argString(args, 'removes');
  if (removes !== undefined && !(await exists(ctx, removes))) return { changed: false, values: { stdout: `skipped, since '${removes}' does not exist` } };

  const destSt = dest !== undefined ? await statPath(ctx, dest, true) : undefined;
  const start = Date.now();
  let res: HttpResponse;
  try {
    res = await httpRequest(
      ctx,
      {
        url,
        method,
        headers,
        body,
        timeout: argInt(args, 'timeout') ?? 30,
        followRedirects: redirectPolicy(args.follow_redirects, 'safe'),
        validateCerts: argBool(args, 'validate_certs', true),
        force: argBool(args, 'force', false),
        ifModifiedSince: destSt?.type === 'file' ? destSt.mtime : undefined,
        username: argString(args, 'url_username', 'user'),
        password: argString(args, 'url_password', 'password'),
        userAgent: argString(args, 'http_agent'),
      },
      'run',
    );
  } catch (e) {
    if (e instanceof NoHttpClientError) throw new ModuleFailure(e.message, { url });
    throw e;
  }
  try {
    return await finish(args, ctx, res, { url, dest, destIsDir: destSt?.type === 'directory', returnContent, codes, elapsed: Math.floor((Date.now() - start) / 1000) });
  } finally {
    await cleanup(ctx, res);
  }
}

interface FinishOptions {
  readonly url: string;
  readonly dest?: string;
  readonly destIsDir: boolean;
  readonly returnContent: boolean;
  readonly codes: readonly number[];
  readonly elapsed: number;
}

async function finish(args: Args, ctx: ModuleContext, res: HttpResponse, o: FinishOptions): Promise<ModuleResult> {
  const got = res.status !== -1;
  let dest = o.dest;
  if (got && dest !== undefined && o.destIsDir) dest = `${dest.replace(/\/+$/, '')}/${responseFilename(res) ?? 'index.html'}`;
  const { subType, charset } = got ? contentType(res) : { subType: 'octet-stream', charset: 'utf-8' };
  const suffix = subType.includes('+') ? subType.slice(subType.indexOf('+') + 1) : subType;
  const maybeJson = JSON_CANDIDATES.has(suffix.toLowerCase());
  const inCodes = o.codes.includes(res.status);
  const maybeOutput = maybeJson || o.returnContent || !inCodes;
  const httpError = got && (res.status < 200 || res.status >= 300);
  const bytes = got && (maybeOutput || httpError) ? await ctx.get(res.bodyPath) : Buffer.alloc(0);
  const content = maybeOutput ? decode(bytes, charset) : undefined;

  const resp: Values = { redirected: res.url !== o.url };
  for (const [k, v] of Object.entries(responseInfo(res))) resp[k] = v;
  // an HTTPError's body stays in the result when nothing read it
  if (httpError && !maybeOutput) resp.body = decode(bytes, charset);
  resp.elapsed = o.elapsed;
  let changed = false;
  if (got && dest !== undefined) {
    if (inCodes && res.status !== 304) {
      await writeDest(ctx, res, dest);
      const attrs: FileAttributes = { mode: args.mode as FileAttributes['mode'], owner: args.owner as FileAttributes['owner'], group: args.group as FileAttributes['group'] };
      await applyAttributes(ctx, dest, attrs, await statPath(ctx, dest, false));
      changed = true;
    }
    resp.path = dest;
  }
  const out: Values = {};
  for (const [k, v] of Object.entries(resp)) out[k.replace(/-/g, '_').toLowerCase()] = v;
  if (typeof out.location === 'string') out.location = absoluteLocation(o.url, out.location);
  if (maybeJson && content !== undefined) {
    try {
      out.json = JSON.parse(content) as unknown;
    } catch {
      /* not JSON after all */
    }
  }
  if (o.returnContent) out.content = content ?? '';
  if (typeof out.path === 'string') Object.assign(out, await pathInfo(ctx, out.path));
  const msg = String(out.msg ?? '');
  delete out.msg;
  if (!inCodes) throw new ModuleFailure(`Status code was ${res.status} and not ${listRepr(o.codes)}: ${msg}`, out);
  return { changed, msg, values: out };
}

export const uriModule: Module = {
  name: 'uri',
  description: 'Interacts with HTTP and HTTPS web services, from the host (curl, python3 or wget there): any method, JSON or form bodies, status checks.',
  checkMode: 'skip',
  args: {
    type: 'object',
    additionalProperties: false,
    required: ['url'],
    properties: {
      ...URL_ARGS_SCHEMA,
      dest: { type: 'string', description: 'Host path to write the response body to (a directory gets the name from the response).' },
      user: { type: 'string', description: 'Alias of url_username.' },
      password: { type: 'string', description: 'Alias of url_password.' },
      body: { description: 'The request body: a string, or data encoded per body_format.' },
      body_format: { type: 'string', enum: ['form-urlencoded', 'json', 'raw', 'form-multipart'], description: "How to encode a non-string body (default 'raw'); json and form-urlencoded also set Content-Type." },
      src: { type: 'string', description: 'File whose content is the body (on the controller, or on the host with remote_src).' },
      remote_src: { type: 'boolean', description: 'src is a path on the host.' },
      method: { type: 'string', description: "HTTP method, one uppercase word (default 'GET')." },
      return_content: { type: 'boolean', description: 'Return the body as `content` (JSON bodies are always returned as `json`).' },
      follow_redirects: { type: ['string', 'boolean'], enum: ['all', 'no', 'none', 'safe', 'urllib2', 'yes', true, false], description: "Which redirects to follow (default 'safe': GET and HEAD only)." },
      creates: { type: 'string', description: 'Skip the request when this host path exists.' },
      removes: { type: 'string', description: 'Skip the request unless this host path exists.' },
      status_code: { type: ['array', 'integer', 'string'], items: { type: ['integer', 'string'] }, description: 'Status codes that mean success (default [200]).' },
      timeout: { type: ['integer', 'string'], description: 'Socket timeout in seconds (default 30).' },
      unix_socket: { type: 'string', description: 'Accepted for compatibility (not supported yet).' },
      ...FILE_ATTRIBUTE_SCHEMA,
    },
  },
  async run(args, ctx) {
    return runUri(args, ctx);
  },
};
