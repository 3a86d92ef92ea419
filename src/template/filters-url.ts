/** Ansible's urlsplit and urldecode filters (urllib.parse semantics). */
import { PyError } from './pyvalues.js';

const SCHEME_CHARS = /^[A-Za-z][A-Za-z0-9+\-.]*$/;

/** urllib.parse.urlsplit(url) as the dict Ansible's urlsplit filter returns (keys sorted). */
function splitUrl(url: string): Record<string, unknown> {
  let rest = url;
  let scheme = '';
  const colon = rest.indexOf(':');
  if (colon > 0 && SCHEME_CHARS.test(rest.slice(0, colon))) {
    scheme = rest.slice(0, colon).toLowerCase();
    rest = rest.slice(colon + 1);
  }
  let netloc = '';
  if (rest.startsWith('//')) {
    const end = rest.slice(2).search(/[/?#]/);
    netloc = end < 0 ? rest.slice(2) : rest.slice(2, end + 2);
    rest = end < 0 ? '' : rest.slice(end + 2);
  }
  let fragment = '';
  const hash = rest.indexOf('#');
  if (hash >= 0) {
    fragment = rest.slice(hash + 1);
    rest = rest.slice(0, hash);
  }
  let query = '';
  const q = rest.indexOf('?');
  if (q >= 0) {
    query = rest.slice(q + 1);
    rest = rest.slice(0, q);
  }
  const at = netloc.lastIndexOf('@');
  const userinfo = at >= 0 ? netloc.slice(0, at) : undefined;
  const hostport = at >= 0 ? netloc.slice(at + 1) : netloc;
  const userColon = userinfo === undefined ? -1 : userinfo.indexOf(':');
  const username = userinfo === undefined ? null : userColon >= 0 ? userinfo.slice(0, userColon) : userinfo;
  const password = userinfo === undefined || userColon < 0 ? null : userinfo.slice(userColon + 1);
  let host = hostport;
  let portText: string | undefined;
  const bracket = hostport.match(/^\[([^\]]*)\](?::(.*))?$/);
  if (bracket) {
    host = bracket[1] ?? '';
    portText = bracket[2];
  } else if (hostport.includes(':')) {
    const i = hostport.lastIndexOf(':');
    host = hostport.slice(0, i);
    portText = hostport.slice(i + 1);
  }
  let port: number | null = null;
  if (portText !== undefined && portText !== '') {
    if (!/^\d+$/.test(portText) || Number(portText) > 65535) throw new PyError(`Port could not be cast to integer value as '${portText}'`);
    port = Number(portText);
  }
  return {
    fragment,
    hostname: host === '' ? null : host.toLowerCase(),
    netloc,
    password,
    path: rest,
    port,
    query,
    scheme,
    username,
  };
}

export function urlsplit(value: string, query: string): unknown {
  const parts = splitUrl(value);
  if (query === '') return parts;
  if (!Object.prototype.hasOwnProperty.call(parts, query)) throw new PyError(`urlsplit: unknown URL component: ${query}`);
  return parts[query];
}

/** urllib.parse.unquote_plus. */
export function urldecode(value: string): string {
  const bytes: number[] = [];
  const text = value.replace(/\+/g, ' ');
  let out = '';
  const flush = (): void => {
    if (bytes.length > 0) out += Buffer.from(bytes).toString('utf8');
    bytes.length = 0;
  };
  for (let i = 0; i < text.length; i++) {
    const hex = text.slice(i + 1, i + 3);
    if (text[i] === '%' && /^[0-9a-fA-F]{2}$/.test(hex)) {
      bytes.push(parseInt(hex, 16));
      i += 2;
    } else {
      flush();
      out += text[i];
    }
  }
  flush();
  return out;
}
