import type { ModuleContext } from '../types.js';
import { shellQuote } from './quote.js';

/**
 * HTTP requests made FROM THE HOST (as Ansible's get_url/uri/unarchive do with urllib), with
 * whichever client the host has: curl, else python3's urllib, else GNU wget. One shell snippet
 * picks the client, runs the request into a host temp directory and prints a small report;
 * the body stays in that directory (`bodyPath`) for the module to move, hash or read.
 */

export type HttpTool = 'curl' | 'python3' | 'wget';

/** Ansible's follow_redirects choices, normalised ('yes' -> 'all', 'no' -> 'none'). */
export type RedirectPolicy = 'all' | 'safe' | 'none' | 'urllib2';

export interface HttpRequest {
  readonly url: string;
  readonly method: string;
  /** Request headers in the order given; a later one with the same name wins. */
  readonly headers: readonly (readonly [string, string])[];
  readonly body?: Buffer;
  /** Seconds (Ansible's socket timeout). */
  readonly timeout: number;
  readonly followRedirects: RedirectPolicy;
  readonly validateCerts: boolean;
  /** Sends `cache-control: no-cache` (Ansible's force). */
  readonly force?: boolean;
  /** Sends If-Modified-Since for this epoch time (seconds), unless `force`. */
  readonly ifModifiedSince?: number;
  readonly username?: string;
  readonly password?: string;
  /** User-Agent (Ansible's http_agent, default 'ansible-httpget'). */
  readonly userAgent?: string;
}

export interface HttpResponse {
  readonly tool: HttpTool;
  /** -1 when no HTTP response was received (connection refused, DNS, timeout). */
  readonly status: number;
  /** The reason phrase (`Not Found`). */
  readonly reason: string;
  /** The URL that answered (after redirects); the request URL for HTTP errors, as urllib's HTTPError. */
  readonly url: string;
  /** Headers of the final response, in order, names as sent. */
  readonly headers: readonly (readonly [string, string])[];
  /** Ansible's fetch_url `msg`: 'OK (N bytes)', 'HTTP Error 404: Not Found', 'Request failed: <urlopen error ...>'. */
  readonly msg: string;
  /** Host path of the response body (empty for HEAD and failures). */
  readonly bodyPath: string;
  readonly bodySha1: string;
  readonly bodySize: number;
  /** Host temp directory holding the body; remove it with cleanup(). */
  readonly dir: string;
}

/** Thrown when the host has no HTTP client at all. */
export class NoHttpClientError extends Error {}

const REASONS: Readonly<Record<number, string>> = {
  200: 'OK', 201: 'Created', 202: 'Accepted', 203: 'Non-Authoritative Information', 204: 'No Content', 205: 'Reset Content',
  206: 'Partial Content', 300: 'Multiple Choices', 301: 'Moved Permanently', 302: 'Found', 303: 'See Other', 304: 'Not Modified',
  307: 'Temporary Redirect', 308: 'Permanent Redirect', 400: 'Bad Request', 401: 'Unauthorized', 402: 'Payment Required',
  403: 'Forbidden', 404: 'Not Found', 405: 'Method Not Allowed', 406: 'Not Acceptable', 408: 'Request Timeout', 409: 'Conflict',
  410: 'Gone', 411: 'Length Required', 412: 'Precondition Failed', 413: 'Request Entity Too Large', 415: 'Unsupported Media Type',
  418: "I'm a Teapot", 422: 'Unprocessable Entity', 429: 'Too Many Requests', 500: 'Internal Server Error', 501: 'Not Implemented',
  502: 'Bad Gateway', 503: 'Service Unavailable', 504: 'Gateway Timeout',
};

/** The reason phrase Python's http.HTTPStatus gives a code (used when the server sent none). */
export function reasonPhrase(status: number): string {
  return REASONS[status] ?? '';
}

/** RFC 2822 date in GMT, as Ansible's If-Modified-Since ('Sun, 06 Nov 1994 08:49:37 GMT'). */
export function httpDate(epochSeconds: number): string {
  return new Date(Math.floor(epochSeconds) * 1000).toUTCString();
}

/** The headers actually sent: Ansible's user agent, cache control, then the user's. */
function requestHeaders(req: HttpRequest): [string, string][] {
  const out: [string, string][] = [['User-Agent', req.userAgent ?? 'ansible-httpget']];
  if (req.force) out.push(['cache-control', 'no-cache']);
  else if (req.ifModifiedSince !== undefined) out.push(['If-Modified-Since', httpDate(req.ifModifiedSince)]);
  if (req.username !== undefined) {
    const token = Buffer.from(`${req.username}:${req.password ?? ''}`).toString('base64');
    out.push(['Authorization', `Basic ${token}`]);
  }
  const user = new Map<string, [string, string]>();
  for (const [k, v] of req.headers) user.set(k.toLowerCase(), [k, v]);
  const filtered = out.filter(([k]) => !user.has(k.toLowerCase()));
  return [...filtered, ...user.values()];
}

function follows(req: HttpRequest): boolean {
  if (req.followRedirects === 'none') return false;
  if (req.followRedirects === 'safe') return req.method === 'GET' || req.method === 'HEAD';
  return true;
}

function curlCommand(req: HttpRequest): string {
  const a: string[] = ['curl', '-sS', '-g', '-o', '"$d/body"', '-D', '"$d/head"', '-w', shellQuote('%{http_code} %{url_effective}')];
  a.push('-H', shellQuote('Accept:'), '-H', shellQuote('Accept-Encoding: identity'), '-H', shellQuote('Connection: close'));
  for (const [k, v] of requestHeaders(req)) a.push('-H', shellQuote(v === '' ? `${k};` : `${k}: ${v}`));
  if (req.method === 'HEAD') a.push('-I');
  else if (req.body !== undefined && req.method === 'POST') a.push('--data-binary', '@"$d/req"');
  else {
    a.push('-X', shellQuote(req.method));
    if (req.body !== undefined) a.push('--data-binary', '@"$d/req"');
  }
  if (follows(req)) a.push('-L', '--max-redirs', '10');
  const t = Math.max(1, req.timeout);
  a.push('--connect-timeout', String(t), '-y', String(t), '-Y', '1');
  if (!req.validateCerts) a.push('-k');
  a.push('--', shellQuote(req.url));
  return `${a.join(' ')} >"$d/meta" 2>"$d/err"; rc=$?; if [ "$m" = HEAD ]; then : >"$d/body"; fi`;
}

const PYTHON_CLIENT = String.raw`
import sys, json, ssl, shutil, socket
import urllib.request as U, urllib.error as E
s = json.loads(sys.argv[1]); d = sys.argv[2]
data = open(d + '/req', 'rb').read() if s['body'] else None
class R(U.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, hdrs, newurl):
        if not s['follow']:
            raise E.HTTPError(req.get_full_url(), code, msg, hdrs, fp)
        return U.HTTPRedirectHandler.redirect_request(self, req, fp, code, msg, hdrs, newurl)
R.max_redirections = 10
hs = [R]
if not s['verify']:
    hs.append(U.HTTPSHandler(context=ssl._create_unverified_context()))
req = U.Request(s['url'], data=data, method=s['method'])
for k, v in s['headers']:
    req.add_header(k, v)
def out(name, text):
    with open(d + '/' + name, 'w') as f:
        f.write(text)
try:
    r = U.build_opener(*hs).open(req, timeout=s['timeout'])
    code, reason, url, hd = r.status, r.reason, r.geturl(), r.headers
except E.HTTPError as e:
    r, code, reason, url, hd = e, e.code, e.reason, s['url'], e.headers
except E.URLError as e:
    out('err', 'Request failed: %s' % e); sys.exit(1)
except socket.error as e:
    out('err', 'Connection failure: %s' % e); sys.exit(1)
except Exception as e:
    out('err', 'An unknown error occurred: %s' % e); sys.exit(1)
with open(d + '/body', 'wb') as f:
    try:
        shutil.copyfileobj(r, f)
    except Exception:
        pass
out('head', 'HTTP/1.1 %d %s\r\n' % (code, reason) + ''.join('%s: %s\r\n' % kv for kv in (hd.items() if hd else [])))
out('meta', '%d %s' % (code, url))
`;

function pythonCommand(req: HttpRequest): string {
  const spec = {
    url: req.url,
    method: req.method,
    headers: requestHeaders(req),
    body: req.body !== undefined,
    follow: follows(req),
    verify: req.validateCerts,
    timeout: Math.max(1, req.timeout),
  };
  return `python3 -c ${shellQuote(PYTHON_CLIENT)} ${shellQuote(JSON.stringify(spec))} "$d" 2>>"$d/err"; rc=$?`;
}

function wgetCommand(req: HttpRequest): string {
  const a: string[] = ['wget', '-nv', '-S', '-O', '"$d/body"', '--content-on-error', '--no-config', '--no-http-keep-alive'];
  for (const [k, v] of requestHeaders(req)) a.push(shellQuote(`--header=${k}: ${v}`));
  a.push(shellQuote(`--method=${req.method}`));
  if (req.body !== undefined) a.push('--body-file="$d/req"');
  a.push(`--max-redirect=${follows(req) ? 10 : 0}`, `--timeout=${Math.max(1, req.timeout)}`, '--tries=1');
  if (!req.validateCerts) a.push('--no-check-certificate');
  a.push('--', shellQuote(req.url));
  return `${a.join(' ')} 2>"$d/err"; rc=$?`;
}

/** The one host snippet: pick a client, run the request, print the report. */
export function requestScript(req: HttpRequest, only?: HttpTool): string {
  const tools: HttpTool[] = only ? [only] : ['curl', 'python3', 'wget'];
  const test = (t: HttpTool) =>
    t === 'wget' ? `command -v wget >/dev/null 2>&1 && wget --version 2>/dev/null | head -n1 | grep -q 'GNU Wget'` : `command -v ${t} >/dev/null 2>&1`;
  const run = (t: HttpTool) => (t === 'curl' ? curlCommand(req) : t === 'python3' ? pythonCommand(req) : wgetCommand(req));
  const branches = tools.map((t, i) => `${i === 0 ? 'if' : 'elif'} ${test(t)}; then tool=${t}; ${run(t)}`).join('; ');
  return [
    `m=${shellQuote(req.method)}`,
    `d=$(mktemp -d "\${TMPDIR:-/tmp}/tsbook-http.XXXXXXXX") || exit 97`,
    `: >"$d/body"; : >"$d/head"; : >"$d/meta"; : >"$d/err"`,
    req.body !== undefined ? `cat >"$d/req"` : `: >"$d/req"`,
    `${branches}; else rm -rf "$d"; exit 98; fi`,
    `echo "$tool"; echo "$rc"; echo "$d"; cat "$d/meta"; echo`,
    `sha1sum <"$d/body" | cut -d' ' -f1; wc -c <"$d/body"`,
    `echo @@err; cat "$d/err"; echo; echo @@head; cat "$d/head"`,
  ].join('\n');
}

/** Header lines of the last response in a curl -D / python dump ('HTTP/1.1 200 OK' blocks). */
function lastHeaderBlock(text: string): { status?: number; reason: string; headers: [string, string][] } {
  const lines = text.split(/\r?\n/);
  let start = -1;
  for (let i = 0; i < lines.length; i++) if (/^HTTP\/\S+\s+\d{3}/.test(lines[i]!)) start = i;
  if (start < 0) return { reason: '', headers: [] };
  const m = /^HTTP\/\S+\s+(\d{3})\s*(.*)$/.exec(lines[start]!)!;
  const headers: [string, string][] = [];
  for (const line of lines.slice(start + 1)) {
    if (line.trim() === '') break;
    const colon = line.indexOf(':');
    if (colon > 0) headers.push([line.slice(0, colon).trim(), line.slice(colon + 1).trim()]);
  }
  const status = Number(m[1]);
  return { status, reason: m[2]!.trim() || reasonPhrase(status), headers };
}

/** wget -S prints each response's headers on stderr, indented by two spaces. */
function wgetHeaderText(err: string): string {
  return err
    .split('\n')
    .filter((l) => l.startsWith('  '))
    .map((l) => l.slice(2))
    .join('\r\n');
}

/** urllib-style messages for curl's failures (exit codes from curl(1)). */
function curlFailure(rc: number, err: string): string {
  const detail = err.replace(/^curl: \(\d+\)\s*/, '').trim();
  if (rc === 7) return 'Request failed: <urlopen error [Errno 111] Connection refused>';
  if (rc === 6) return 'Request failed: <urlopen error [Errno -2] Name or service not known>';
  if (rc === 28) return 'Request failed: <urlopen error timed out>';
  return `Request failed: <urlopen error ${detail}>`;
}

function wgetFailure(err: string): string {
  if (/Connection refused/.test(err)) return 'Request failed: <urlopen error [Errno 111] Connection refused>';
  if (/unable to resolve|Name or service not known/i.test(err)) return 'Request failed: <urlopen error [Errno -2] Name or service not known>';
  if (/timed out/i.test(err)) return 'Request failed: <urlopen error timed out>';
  const last = err.trim().split('\n').pop() ?? '';
  return `Request failed: <urlopen error ${last.trim()}>`;
}

/** wget prints no final URL: follow the Location headers from the request URL. */
function wgetFinalUrl(url: string, headerText: string): string {
  let current = url;
  for (const line of headerText.split(/\r?\n/)) {
    const m = /^location:\s*(.+)$/i.exec(line);
    if (m) current = new URL(m[1]!.trim(), current).toString();
  }
  return current;
}

/** Parses what requestScript printed. Exported for tests. */
export function parseReport(req: HttpRequest, stdout: string): HttpResponse {
  const errAt = stdout.indexOf('\n@@err\n');
  const headAt = stdout.indexOf('\n@@head\n', errAt);
  const top = stdout.slice(0, errAt).split('\n');
  const err = stdout.slice(errAt + 7, headAt).replace(/\n$/, '');
  const headText = stdout.slice(headAt + 8);
  const tool = top[0] as HttpTool;
  const rc = Number(top[1]);
  const dir = top[2] ?? '';
  const meta = top[3] ?? '';
  const bodySha1 = top[4] ?? '';
  const bodySize = Number(top[5] ?? 0);
  const base = { tool, dir, bodyPath: `${dir}/body`, bodySha1, bodySize };
  const block = lastHeaderBlock(tool === 'wget' ? wgetHeaderText(err) : headText);
  const failed = (msg: string): HttpResponse => ({ ...base, status: -1, reason: '', url: req.url, headers: [], msg });
  if (block.status === undefined || (tool === 'curl' && rc !== 0 && rc !== 22)) {
    if (tool === 'curl') return failed(curlFailure(rc, err));
    if (tool === 'wget') return failed(wgetFailure(err));
    return failed(err.trim() || `An unknown error occurred: rc ${rc}`);
  }
  const status = block.status;
  const ok = status >= 200 && status < 300;
  let url = req.url;
  if (ok) url = tool === 'wget' ? wgetFinalUrl(req.url, wgetHeaderText(err)) : meta.slice(meta.indexOf(' ') + 1) || req.url;
  const length = block.headers.find(([k]) => k.toLowerCase() === 'content-length')?.[1];
  const msg = ok ? `OK (${length ?? 'unknown'} bytes)` : `HTTP Error ${status}: ${block.reason}`;
  return { ...base, status, reason: block.reason, url, headers: block.headers, msg };
}

/** Runs `req` on the host. `run` picks ctx.run (a change) or ctx.probe (a read). */
export async function httpRequest(
  ctx: Pick<ModuleContext, 'run' | 'probe'>,
  req: HttpRequest,
  mode: 'run' | 'probe',
  only?: HttpTool,
): Promise<HttpResponse> {
  const script = requestScript(req, only);
  const options = req.body !== undefined ? { stdin: req.body } : undefined;
  const r = mode === 'run' ? await ctx.run(script, options) : await ctx.probe(script, options);
  if (r.rc === 98) throw new NoHttpClientError('the host has no HTTP client: install curl, python3 or GNU wget');
  if (r.rc !== 0 || !r.stdout.includes('\n@@head\n')) {
    throw new NoHttpClientError(`could not run the HTTP request on the host: ${(r.stderr || r.stdout).trim() || `rc ${r.rc}`}`);
  }
  return parseReport(req, r.stdout);
}

/** Removes the response's host temp directory (a probe: it only undoes our own temp files). */
export async function cleanup(ctx: Pick<ModuleContext, 'probe'>, res: HttpResponse): Promise<void> {
  if (res.dir.includes('tsbook-http.')) await ctx.probe(`rm -rf -- ${shellQuote(res.dir)}`);
}

/**
 * The header part of Ansible's fetch_url `info`: lowercased names, duplicate headers joined with
 * ', ', and on success the parsed cookies.
 */
export function responseInfo(res: HttpResponse): Record<string, unknown> {
  const info: Record<string, unknown> = { url: res.url, status: res.status };
  if (res.status === -1) return { ...info, msg: res.msg };
  const ok = res.status >= 200 && res.status < 300;
  const joined: Record<string, string> = {};
  for (const [k, v] of res.headers) {
    const key = k.toLowerCase();
    info[key] = v;
    joined[key] = key in joined ? `${joined[key]}, ${v}` : v;
  }
  // Python 3 joins repeated headers, but only on the success path (fetch_url's temp_headers)
  if (ok) {
    Object.assign(info, joined);
    const cookies: Record<string, string> = {};
    for (const [k, v] of res.headers) {
      if (k.toLowerCase() !== 'set-cookie') continue;
      const pair = v.split(';')[0] ?? '';
      const eq = pair.indexOf('=');
      if (eq > 0) cookies[pair.slice(0, eq).trim()] = pair.slice(eq + 1).trim();
    }
    info.cookies_string = Object.entries(cookies).map(([k, v]) => `${k}=${v}`).join('; ');
    info.cookies = cookies;
  }
  info.msg = res.msg;
  info.url = res.url;
  info.status = res.status;
  return info;
}

/** The value of a response header (case-insensitive), last occurrence. */
export function header(res: HttpResponse, name: string): string | undefined {
  const lower = name.toLowerCase();
  let found: string | undefined;
  for (const [k, v] of res.headers) if (k.toLowerCase() === lower) found = v;
  return found;
}

/** Normalises Ansible's follow_redirects values. */
export function redirectPolicy(value: unknown, fallback: RedirectPolicy): RedirectPolicy {
  if (value === undefined || value === null) return fallback;
  const s = String(value).toLowerCase();
  if (s === 'yes' || s === 'all' || s === 'true') return 'all';
  if (s === 'no' || s === 'none' || s === 'false') return 'none';
  if (s === 'safe') return 'safe';
  return 'urllib2';
}

/** Ansible's url_argument_spec options (shared by get_url and uri), as JSON-schema properties. */
export const URL_ARGS_SCHEMA = {
  url: { type: 'string', description: 'The HTTP, HTTPS or FTP URL, fetched from the host.' },
  force: { type: 'boolean', description: 'Always download (send cache-control: no-cache).' },
  http_agent: { type: 'string', description: "User-Agent header (default 'ansible-httpget')." },
  use_proxy: { type: 'boolean', description: 'Accepted; the host client uses its own proxy environment.' },
  validate_certs: { type: 'boolean', description: 'Verify TLS certificates (default true).' },
  url_username: { type: 'string', description: 'Username for HTTP basic auth (sent preemptively).' },
  url_password: { type: 'string', description: 'Password for HTTP basic auth.' },
  force_basic_auth: { type: 'boolean', description: 'Accepted; credentials are always sent preemptively.' },
  client_cert: { type: 'string', description: 'Accepted for compatibility (not supported yet).' },
  client_key: { type: 'string', description: 'Accepted for compatibility (not supported yet).' },
  use_gssapi: { type: 'boolean', description: 'Accepted for compatibility (not supported).' },
  ca_path: { type: 'string', description: 'Accepted for compatibility (not supported yet).' },
  unredirected_headers: { type: 'array', items: { type: 'string' }, description: 'Accepted for compatibility.' },
  decompress: { type: 'boolean', description: 'Accepted for compatibility; responses are not decompressed.' },
  ciphers: { type: 'array', items: { type: 'string' }, description: 'Accepted for compatibility.' },
  use_netrc: { type: 'boolean', description: 'Accepted for compatibility.' },
  headers: { type: ['object', 'string'], description: 'Extra request headers, as a dict.' },
  timeout: { type: ['integer', 'string'], description: 'Socket timeout in seconds.' },
} as const;

/** The request headers given as a dict (or Ansible's 'k=v k2=v2' string form). */
export function headerList(value: unknown): [string, string][] {
  if (value === undefined || value === null) return [];
  if (typeof value === 'string') {
    return value
      .split(/\s+/)
      .filter((kv) => kv.includes('='))
      .map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]);
  }
  if (typeof value === 'object' && !Array.isArray(value)) {
    return Object.entries(value as Record<string, unknown>).map(([k, v]) => [k, typeof v === 'string' ? v : JSON.stringify(v)]);
  }
  return [];
}
