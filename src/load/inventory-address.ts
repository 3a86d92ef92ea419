/**
 * Host addresses and host ranges, as ansible-core parses them
 * (ansible/parsing/utils/addresses.py and ansible/plugins/inventory/__init__.py).
 */

/** A failure with Ansible's message; callers turn it into a LoadError with a position. */
export class InventorySyntaxError extends Error {}

const numericRange = String.raw`\[(?:[0-9]+:[0-9]+)(?::[0-9]+)?\]`;
const hexadecimalRange = String.raw`\[(?:[0-9a-f]+:[0-9a-f]+)(?::[0-9]+)?\]`;
const alphanumericRange = String.raw`\[(?:[a-z]:[a-z]|[0-9]+:[0-9]+)(?::[0-9]+)?\]`;
const ipv6Component = `(?:[0-9a-f]{1,4}|${hexadecimalRange})`;
const ipv4Component = `(?:[01]?[0-9]{1,2}|2[0-4][0-9]|25[0-5]|${numericRange})`;
/** Python's `\w` with re.UNICODE. */
const word = String.raw`[\p{L}\p{N}_]`;
const label = `(?:${word}|${alphanumericRange})(?:${word}|[_-]|${alphanumericRange})*(?<![_-])`;

const i6 = ipv6Component;
/** Python's pattern is `^alt1|...|altN$`: only the last alternative is anchored at the end. */
const ipv6Alternatives = [
  `(?:${i6}:){7}${i6}`,
  `(?:${i6}:){1,6}:`,
  `(?:${i6}:)(?::${i6}){1,6}`,
  `(?:${i6}:){2}(?::${i6}){1,5}`,
  `(?:${i6}:){3}(?::${i6}){1,4}`,
  `(?:${i6}:){4}(?::${i6}){1,3}`,
  `(?:${i6}:){5}(?::${i6}){1,2}`,
  `(?:${i6}:){6}(?::${i6})`,
  `:(?::${i6}){1,6}`,
  `${i6}?::`,
  `(?:0:){6}(?:${i6}\\.){3}${i6}`,
  `::(?:ffff:)?(?:${i6}\\.){3}${i6}`,
  `(?:0:){5}ffff:(?:${i6}\\.){3}${i6}$`,
];

export const ADDRESS_PATTERNS = {
  bracketedHostport: /^\[(.+)\]:([0-9]+)$/su,
  hostport: /^((?:[^:[\]]|\[[^\]]*\])*):([0-9]+)$/su,
  ipv4: new RegExp(`^(?:${ipv4Component}\\.){3}${ipv4Component}$`, 'iu'),
  ipv6: new RegExp(`^(?:${ipv6Alternatives.join('|')})`, 'iu'),
  hostname: new RegExp(`^${label}(?:\\.${label})*$`, 'iu'),
} as const;

export interface ParsedAddress {
  readonly host: string;
  readonly port?: number;
}

/**
 * ansible's parse_address: `host`, `host:port`, `[host]:port`, IPv4, IPv6. Throws InventorySyntaxError
 * for anything that is not a host identifier, or for a range when ranges are not allowed.
 */
export function parseAddress(input: string, allowRanges: boolean): ParsedAddress {
  let address = input;
  let port: number | undefined;
  for (const re of [ADDRESS_PATTERNS.bracketedHostport, ADDRESS_PATTERNS.hostport]) {
    const m = re.exec(address);
    if (m) {
      address = m[1]!;
      port = Number.parseInt(m[2]!, 10);
    }
  }
  let host: string | undefined;
  for (const re of [ADDRESS_PATTERNS.ipv4, ADDRESS_PATTERNS.ipv6, ADDRESS_PATTERNS.hostname]) {
    if (re.test(address)) host = address;
  }
  if (!host) throw new InventorySyntaxError(`Not a valid network hostname: ${address}`);
  if (!allowRanges && host.includes('[')) throw new InventorySyntaxError('Detected range in host but was asked to ignore ranges');
  return port === undefined ? { host } : { host, port };
}

const ASCII_LETTERS = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ';

/** Python's int(str): surrounding whitespace, a sign and single underscores between digits. */
export function pyInt(text: string): number | undefined {
  const m = /^\s*([+-]?)(\d+(?:_\d+)*)\s*$/u.exec(text);
  if (!m) return undefined;
  const n = Number.parseInt(m[2]!.replace(/_/g, ''), 10);
  return m[1] === '-' ? -n : n;
}

function intOrThrow(text: string): number {
  const n = pyInt(text);
  if (n === undefined) throw new InventorySyntaxError(`invalid literal for int() with base 10: '${text}'`);
  return n;
}

function zfill(value: number, width: number): string {
  const s = String(Math.abs(value));
  const sign = value < 0 ? '-' : '';
  return sign + s.padStart(width - sign.length, '0');
}

/**
 * Hosts one range may expand to. Ansible has no limit (and takes minutes on 100,000); past a few
 * million names the controller would run out of memory, so tsbook stops with an error instead.
 */
export const MAX_RANGE_HOSTS = 100_000;

function tooManyHosts(count?: number): InventorySyntaxError {
  const size = count === undefined ? ' to' : ` to ${count > 1e15 ? 'more than 10^15' : count.toLocaleString('en-US')} hosts,`;
  return new InventorySyntaxError(`host range expands${size} more than tsbook's limit of ${MAX_RANGE_HOSTS.toLocaleString('en-US')} hosts`);
}

/** Python's range(start, stop, step) as a list. */
function pyRange(start: number, stop: number, step: number): number[] {
  if (step === 0) throw new InventorySyntaxError('range() arg 3 must not be zero');
  const count = Math.max(0, Math.ceil((stop - start) / step));
  if (count > MAX_RANGE_HOSTS) throw tooManyHosts(count);
  const out: number[] = [];
  if (step > 0) for (let i = start; i < stop; i += step) out.push(i);
  else for (let i = start; i > stop; i += step) out.push(i);
  return out;
}

/** Python's s[start:stop:step] on a string, for the non-negative bounds used here. */
function pySliceString(s: string, start: number, stop: number, step: number): string[] {
  if (step === 0) throw new InventorySyntaxError('slice step cannot be zero');
  const out: string[] = [];
  const len = s.length;
  if (step > 0) {
    for (let i = Math.max(0, start); i < Math.min(stop, len); i += step) out.push(s[i]!);
  } else {
    // start/stop are explicit and non-negative here, so a negative step from start walks down to stop.
    for (let i = Math.min(start, len - 1); i > stop; i += step) out.push(s[i]!);
  }
  return out;
}

/**
 * ansible's expand_hostname_range: `web[01:03]`, `[a:c]`, `[1:10:2]`, several ranges in one name.
 */
export function expandHostnameRange(line: string): string[] {
  if (!line) return [];
  const parts = line.replace('[', '|').replace(']', '|').split('|');
  if (parts.length !== 3) {
    throw new InventorySyntaxError(parts.length < 3 ? `not enough values to unpack (expected 3, got ${parts.length})` : 'too many values to unpack (expected 3)');
  }
  const [head, nrange, tail] = parts as [string, string, string];
  const bounds = nrange.split(':');
  if (bounds.length !== 2 && bounds.length !== 3) throw new InventorySyntaxError('host range must be begin:end or begin:end:step');
  let beg = bounds[0]!;
  const end = bounds[1]!;
  const step = bounds.length === 2 ? '1' : bounds[2]!;
  if (!beg) beg = '0';
  if (!end) throw new InventorySyntaxError('host range must specify end value');
  let fill: (x: number | string) => string = (x) => String(x);
  if (beg[0] === '0' && beg.length > 1) {
    const rlen = beg.length;
    if (rlen !== end.length) throw new InventorySyntaxError('host range must specify equal-length begin and end formats');
    fill = (x) => (typeof x === 'number' ? zfill(x, rlen) : x.padStart(rlen, '0'));
  }
  let seq: (string | number)[];
  const iBeg = ASCII_LETTERS.indexOf(beg);
  const iEnd = ASCII_LETTERS.indexOf(end);
  const stepInt = pyInt(step);
  if (iBeg >= 0 && iEnd >= 0 && iBeg > iEnd) throw new InventorySyntaxError('host range must have begin <= end');
  if (iBeg >= 0 && iEnd >= 0 && stepInt !== undefined && stepInt !== 0) {
    seq = pySliceString(ASCII_LETTERS, iBeg, iEnd + 1, stepInt);
  } else {
    seq = pyRange(intOrThrow(beg), intOrThrow(end) + 1, intOrThrow(step));
  }
  const hosts: string[] = [];
  for (const item of seq) {
    const name = `${head}${fill(item)}${tail}`;
    if (name.includes('[')) for (const h of expandHostnameRange(name)) hosts.push(h);
    else hosts.push(name);
    if (hosts.length > MAX_RANGE_HOSTS) throw tooManyHosts();
  }
  return hosts;
}

export interface ExpandedHostPattern {
  readonly hosts: readonly string[];
  readonly port?: number;
}

/** BaseInventoryPlugin._expand_hostpattern: split off a port, then expand ranges. */
export function expandHostPattern(hostpattern: string): ExpandedHostPattern {
  let pattern = hostpattern;
  let port: number | undefined;
  try {
    const parsed = parseAddress(hostpattern, true);
    pattern = parsed.host;
    port = parsed.port;
  } catch {
    pattern = hostpattern;
    port = undefined;
  }
  const hosts = pattern.includes('[') ? expandHostnameRange(pattern) : [pattern];
  return port === undefined ? { hosts } : { hosts, port };
}
