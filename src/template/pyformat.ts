/** Python string formatting: `'%s' % x`, `str.format()`, and `time.strftime`. */
import { formatNumber, isFloat, isPlainObject, isTuple, num, PyError, PyFloat, pyRepr, pyStr, typeName } from './pyvalues.js';

const PRINTF_RE = /%(?:\(([^)]*)\))?([-+ 0#]*)(\*|\d+)?(?:\.(\*|\d+))?[hlL]?([diouxXeEfFgGcrsa%])/g;

function pad(body: string, width: number, flags: string, numeric: boolean): string {
  if (body.length >= width) return body;
  if (flags.includes('-')) return body.padEnd(width);
  if (flags.includes('0') && numeric) {
    const sign = /^[-+ ]/.test(body) ? body[0] : '';
    const rest = sign ? body.slice(1) : body;
    const prefix = /^0[xXob]/.test(rest) ? rest.slice(0, 2) : '';
    return sign + prefix + rest.slice(prefix.length).padStart(width - sign.length - prefix.length, '0');
  }
  return body.padStart(width);
}

function signed(n: number, body: string, flags: string): string {
  if (n < 0 || Object.is(n, -0)) return body;
  if (flags.includes('+')) return `+${body}`;
  if (flags.includes(' ')) return ` ${body}`;
  return body;
}

/** Python's float formatting with 'e'/'f'/'g' and a precision. */
export function formatFloatSpec(n: number, type: string, precision: number | undefined, alt = false): string {
  if (!Number.isFinite(n)) return Number.isNaN(n) ? 'nan' : n > 0 ? 'inf' : '-inf';
  const lower = type.toLowerCase();
  let out: string;
  if (lower === 'f') out = Math.abs(n).toFixed(precision ?? 6);
  else if (lower === 'e') out = expo(Math.abs(n), precision ?? 6);
  else {
    const p = precision === undefined ? 6 : precision === 0 ? 1 : precision;
    if (n === 0) out = alt ? `0.${'0'.repeat(p - 1)}` : '0';
    else {
      const exp = Math.floor(Math.log10(Math.abs(Number(Math.abs(n).toPrecision(p)))));
      if (exp < -4 || exp >= p) {
        out = expo(Math.abs(n), p - 1);
        if (!alt) out = out.replace(/\.?0+e/, 'e');
      } else {
        out = Math.abs(n).toFixed(Math.max(0, p - 1 - exp));
        if (!alt && out.includes('.')) out = out.replace(/\.?0+$/, '');
      }
    }
  }
  if (n < 0) out = `-${out}`;
  return type === type.toUpperCase() ? out.toUpperCase() : out;
}

function expo(n: number, precision: number): string {
  const [mant, exp] = n.toExponential(precision).split('e') as [string, string];
  const sign = exp.startsWith('-') ? '-' : '+';
  return `${mant}e${sign}${exp.replace(/^[+-]/, '').padStart(2, '0')}`;
}

function toInt(v: unknown, conv: string): number {
  if (typeof v === 'number' || v instanceof PyFloat || typeof v === 'boolean') return Math.trunc(num(v));
  throw new PyError(`%${conv} format: a number is required, not ${typeName(v)}`);
}

function formatOne(conv: string, flags: string, width: number, precision: number | undefined, v: unknown): string {
  let body: string;
  let numeric = true;
  switch (conv) {
    case 's':
      body = pyStr(v);
      if (precision !== undefined) body = body.slice(0, precision);
      numeric = false;
      break;
    case 'r':
    case 'a':
      body = pyRepr(v);
      if (precision !== undefined) body = body.slice(0, precision);
      numeric = false;
      break;
    case 'c':
      body = typeof v === 'number' ? String.fromCodePoint(v) : pyStr(v);
      numeric = false;
      break;
    case 'd':
    case 'i':
    case 'u': {
      const n = toInt(v, conv);
      body = signed(n, String(n), flags);
      break;
    }
    case 'o':
    case 'x':
    case 'X': {
      const n = toInt(v, conv);
      const base = conv === 'o' ? 8 : 16;
      let digits = Math.abs(n).toString(base);
      if (flags.includes('#')) digits = (conv === 'o' ? '0o' : '0x') + digits;
      if (conv === 'X') digits = digits.toUpperCase();
      body = signed(n, n < 0 ? `-${digits}` : digits, flags);
      break;
    }
    default: {
      if (typeof v !== 'number' && !(v instanceof PyFloat) && typeof v !== 'boolean') {
        throw new PyError(`must be real number, not ${typeName(v)}`);
      }
      const n = num(v);
      body = signed(n, formatFloatSpec(n, conv, precision, flags.includes('#')), flags);
    }
  }
  return pad(body, width, flags, numeric);
}

/** `fmt % args` for strings. */
export function percentFormat(fmt: string, args: unknown): string {
  const positional: unknown[] = isTuple(args) ? (args as unknown[]) : [args];
  let idx = 0;
  let usedMapping = false;
  const next = (): unknown => {
    if (idx >= positional.length) throw new PyError('not enough arguments for format string');
    return positional[idx++];
  };
  const out = fmt.replace(PRINTF_RE, (_m, key: string | undefined, flags: string, w: string | undefined, p: string | undefined, conv: string) => {
    if (conv === '%') return '%';
    const width = w === '*' ? Math.trunc(num(next())) : w ? parseInt(w, 10) : 0;
    const precision = p === '*' ? Math.trunc(num(next())) : p !== undefined ? parseInt(p, 10) : undefined;
    let value: unknown;
    if (key !== undefined) {
      if (!isPlainObject(args)) throw new PyError('format requires a mapping');
      if (!(key in args)) throw new PyError(`KeyError: '${key}'`);
      value = args[key];
      usedMapping = true;
    } else value = next();
    return formatOne(conv, flags, width, precision, value);
  });
  if (!usedMapping && idx < positional.length && isTuple(args)) throw new PyError('not all arguments converted during string formatting');
  if (!usedMapping && idx === 0 && !isTuple(args) && !isPlainObject(args)) throw new PyError('not all arguments converted during string formatting');
  return out;
}

// ------------------------------------------------------------------ str.format

function applySpec(v: unknown, spec: string): string {
  const m = /^(?:(.)?([<>=^]))?([-+ ])?(#)?(0)?(\d+)?([,_])?(?:\.(\d+))?([bcdeEfFgGnosxX%])?$/.exec(spec);
  if (!m) throw new PyError(`Invalid format specifier '${spec}'`);
  const [, fillCh, alignCh, sign = '-', alt, zero, w, grouping, p, type] = m;
  const width = w ? parseInt(w, 10) : 0;
  const precision = p !== undefined ? parseInt(p, 10) : undefined;
  let body: string;
  const isNum = typeof v === 'number' || v instanceof PyFloat || typeof v === 'boolean';
  if (type === undefined && !isNum) {
    body = pyStr(v);
    if (precision !== undefined) body = body.slice(0, precision);
  } else if (type === 's') {
    body = pyStr(v);
    if (precision !== undefined) body = body.slice(0, precision);
  } else {
    const n = num(v);
    let t = type ?? (isFloat(v) && precision !== undefined ? 'g' : isFloat(v) ? '' : 'd');
    if (t === 'n') t = 'd';
    let digits: string;
    if (t === '') digits = formatNumber(Math.abs(n) === n ? (v as number) : Math.abs(n));
    else if (t === 'd') digits = String(Math.abs(Math.trunc(n)));
    else if (t === 'x' || t === 'X' || t === 'o' || t === 'b') {
      digits = Math.abs(Math.trunc(n)).toString(t === 'o' ? 8 : t === 'b' ? 2 : 16);
      if (alt) digits = `0${t.toLowerCase()}${digits}`;
      if (t === 'X') digits = digits.toUpperCase();
    } else if (t === 'c') digits = String.fromCodePoint(n);
    else if (t === '%') digits = `${Math.abs(n * 100).toFixed(precision ?? 6)}%`;
    else digits = formatFloatSpec(Math.abs(n), t, precision, alt !== undefined);
    if (t === '' && isFloat(v)) digits = formatNumber(v instanceof PyFloat ? new PyFloat(Math.abs(n)) : Math.abs(n));
    if (grouping) {
      const [intPart, frac] = digits.split('.') as [string, string | undefined];
      digits = intPart.replace(/\B(?=(\d{3})+(?!\d))/g, grouping) + (frac !== undefined ? `.${frac}` : '');
    }
    const signStr = n < 0 ? '-' : sign === '+' ? '+' : sign === ' ' ? ' ' : '';
    body = signStr + digits;
    if (zero && !alignCh) {
      return signStr + digits.padStart(width - signStr.length, '0');
    }
  }
  const fill = fillCh ?? (zero ? '0' : ' ');
  const align = alignCh ?? (isNum && type !== 's' ? '>' : '<');
  if (body.length >= width) return body;
  const gap = width - body.length;
  if (align === '<') return body + fill.repeat(gap);
  if (align === '>') return fill.repeat(gap) + body;
  if (align === '=') {
    const signCh = /^[-+ ]/.test(body) ? body[0] : '';
    return signCh + fill.repeat(gap) + body.slice(signCh.length);
  }
  const left = Math.floor(gap / 2);
  return fill.repeat(left) + body + fill.repeat(gap - left);
}

function resolveField(field: string, args: unknown[], kwargs: Record<string, unknown>, auto: { n: number }): unknown {
  const m = /^([^.[]*)(.*)$/.exec(field) as RegExpExecArray;
  const head = m[1] as string;
  let value: unknown;
  if (head === '') value = args[auto.n++];
  else if (/^\d+$/.test(head)) value = args[parseInt(head, 10)];
  else {
    if (!(head in kwargs)) throw new PyError(`KeyError: '${head}'`);
    value = kwargs[head];
  }
  const rest = m[2] as string;
  const re = /\.(\w+)|\[([^\]]+)\]/g;
  let pm: RegExpExecArray | null;
  while ((pm = re.exec(rest)) !== null) {
    const key = pm[1] ?? (pm[2] as string);
    if (Array.isArray(value) && /^\d+$/.test(key)) value = value[parseInt(key, 10)];
    else if (isPlainObject(value)) value = value[key];
    else throw new PyError(`cannot index ${typeName(value)}`);
  }
  return value;
}

/** Python's str.format(). */
export function strFormat(fmt: string, args: unknown[], kwargs: Record<string, unknown>): string {
  const auto = { n: 0 };
  let out = '';
  for (let i = 0; i < fmt.length; i++) {
    const ch = fmt[i];
    if (ch === '{') {
      if (fmt[i + 1] === '{') {
        out += '{';
        i++;
        continue;
      }
      const end = fmt.indexOf('}', i);
      if (end < 0) throw new PyError("Single '{' encountered in format string");
      const inner = fmt.slice(i + 1, end);
      const m = /^([^!:]*)(?:!([rsa]))?(?::(.*))?$/.exec(inner) as RegExpExecArray;
      let value = resolveField(m[1] as string, args, kwargs, auto);
      if (m[2] === 'r' || m[2] === 'a') value = pyRepr(value);
      else if (m[2] === 's') value = pyStr(value);
      out += applySpec(value, m[3] ?? '');
      i = end;
    } else if (ch === '}') {
      if (fmt[i + 1] === '}') i++;
      out += '}';
    } else out += ch;
  }
  return out;
}

// ------------------------------------------------------------------ strftime

const DAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];

/** time.strftime for a Date in local time (or UTC). */
export function strftime(fmt: string, date: Date, utc = false): string {
  const g = {
    Y: utc ? date.getUTCFullYear() : date.getFullYear(),
    m: (utc ? date.getUTCMonth() : date.getMonth()) + 1,
    d: utc ? date.getUTCDate() : date.getDate(),
    H: utc ? date.getUTCHours() : date.getHours(),
    M: utc ? date.getUTCMinutes() : date.getMinutes(),
    S: utc ? date.getUTCSeconds() : date.getSeconds(),
    w: utc ? date.getUTCDay() : date.getDay(),
  };
  const two = (n: number): string => String(n).padStart(2, '0');
  const start = utc ? Date.UTC(g.Y, 0, 1) : new Date(g.Y, 0, 1).getTime();
  const dayOfYear = Math.floor((date.getTime() - start) / 86400000) + 1;
  const offsetMin = utc ? 0 : -date.getTimezoneOffset();
  return fmt.replace(/%([a-zA-Z%])/g, (m, c: string) => {
    switch (c) {
      case 'Y': return String(g.Y);
      case 'y': return two(g.Y % 100);
      case 'm': return two(g.m);
      case 'd': return two(g.d);
      case 'e': return String(g.d).padStart(2, ' ');
      case 'H': return two(g.H);
      case 'I': return two(g.H % 12 === 0 ? 12 : g.H % 12);
      case 'M': return two(g.M);
      case 'S': return two(g.S);
      case 'p': return g.H < 12 ? 'AM' : 'PM';
      case 'A': return DAYS[g.w] as string;
      case 'a': return (DAYS[g.w] as string).slice(0, 3);
      case 'B': return MONTHS[g.m - 1] as string;
      case 'b':
      case 'h': return (MONTHS[g.m - 1] as string).slice(0, 3);
      case 'j': return String(dayOfYear).padStart(3, '0');
      case 'w': return String(g.w);
      case 'u': return String(g.w === 0 ? 7 : g.w);
      case 's': return String(Math.floor(date.getTime() / 1000));
      case 'f': return String(date.getMilliseconds() * 1000).padStart(6, '0');
      case 'z': {
        const sign = offsetMin < 0 ? '-' : '+';
        const a = Math.abs(offsetMin);
        return `${sign}${two(Math.floor(a / 60))}${two(a % 60)}`;
      }
      case 'Z': return utc ? 'UTC' : (Intl.DateTimeFormat('en-US', { timeZoneName: 'short' }).formatToParts(date).find((p) => p.type === 'timeZoneName')?.value ?? '');
      case 'F': return `${g.Y}-${two(g.m)}-${two(g.d)}`;
      case 'T': return `${two(g.H)}:${two(g.M)}:${two(g.S)}`;
      case 'D': return `${two(g.m)}/${two(g.d)}/${two(g.Y % 100)}`;
      case 'c': return `${(DAYS[g.w] as string).slice(0, 3)} ${(MONTHS[g.m - 1] as string).slice(0, 3)} ${String(g.d).padStart(2, ' ')} ${two(g.H)}:${two(g.M)}:${two(g.S)} ${g.Y}`;
      case 'x': return `${two(g.m)}/${two(g.d)}/${two(g.Y % 100)}`;
      case 'X': return `${two(g.H)}:${two(g.M)}:${two(g.S)}`;
      case 'n': return '\n';
      case 't': return '\t';
      case '%': return '%';
      default: return m;
    }
  });
}

