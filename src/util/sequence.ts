/** The sequence lookup (with_sequence, lookup('sequence')): `start=1 end=5 stride=1 format=%d`, `count=3`, or `[start-]end[/stride][:format]`. */

/** A bad sequence term; callers turn it into their own error type. */
export class SequenceError extends Error {}

const NUM = '(0?x?[0-9a-f]+)';
const SHORTCUT = new RegExp(`^(${NUM}-)?${NUM}(/${NUM})?(:(.+))?$`, 'i');

function parseInt0(text: string, what: string): number {
  const t = text.trim().toLowerCase();
  let n: number;
  if (/^[-+]?0x[0-9a-f]+$/.test(t)) n = parseInt(t, 16);
  else if (/^[-+]?0o[0-7]+$/.test(t)) n = parseInt(t.replace('0o', ''), 8);
  else if (/^[-+]?\d+$/.test(t)) n = parseInt(t, 10);
  else throw new SequenceError(`can't parse ${what}=${text} as integer`);
  return n;
}

function pyFormat(format: string, n: number): string {
  return format.replace(/%(0?)(\d*)([dxXos])/, (_m, zero: string, width: string, conv: string) => {
    let s = conv === 'x' ? n.toString(16) : conv === 'X' ? n.toString(16).toUpperCase() : conv === 'o' ? n.toString(8) : String(n);
    const w = width ? parseInt(width, 10) : 0;
    if (s.length < w) s = (zero ? '0' : ' ').repeat(w - s.length) + s;
    return s;
  });
}

/** with_sequence: `start=1 end=5 stride=1 format=%d`, `count=3`, or the `[start-]end[/stride][:format]` shortcut. */
export function sequenceItems(term: string): string[] {
  let start = 1;
  let end: number | undefined;
  let count: number | undefined;
  let stride = 1;
  let format = '%d';
  const match = SHORTCUT.exec(term.trim());
  if (match) {
    if (match[2] !== undefined) start = parseInt0(match[2], 'start');
    end = parseInt0(match[3]!, 'end');
    if (match[5] !== undefined) stride = parseInt0(match[5], 'stride');
    if (match[7] !== undefined) format = match[7];
  } else {
    const args: Record<string, string> = {};
    for (const part of term.trim().split(/\s+/)) {
      if (part === '') continue;
      const eq = part.indexOf('=');
      if (eq < 0) throw new SequenceError(`unrecognized arguments to with_sequence: ['${part}']`);
      args[part.slice(0, eq)] = part.slice(eq + 1).replace(/^(['"])(.*)\1$/, '$2');
    }
    for (const key of Object.keys(args)) {
      if (!['start', 'end', 'count', 'stride', 'format'].includes(key)) throw new SequenceError(`unrecognized arguments to with_sequence: ['${key}']`);
    }
    if (args.start !== undefined) start = parseInt0(args.start, 'start');
    if (args.end !== undefined) end = parseInt0(args.end, 'end');
    if (args.count !== undefined) count = parseInt0(args.count, 'count');
    if (args.stride !== undefined) stride = parseInt0(args.stride, 'stride');
    if (args.format !== undefined) format = args.format;
  }
  if (count === undefined && end === undefined) throw new SequenceError('must specify count or end in with_sequence');
  if (count !== undefined && end !== undefined) throw new SequenceError("can't specify both count and end in with_sequence");
  if (count !== undefined) {
    if (count !== 0) end = start + count * stride - 1;
    else {
      start = 0;
      end = 0;
      stride = 0;
    }
  }
  const last = end!;
  if (stride > 0 && last < start) throw new SequenceError('to count backwards make stride negative');
  if (stride < 0 && last > start) throw new SequenceError("to count forward don't make stride negative");
  if ((format.match(/%/g) ?? []).length !== 1) throw new SequenceError(`bad formatting string: ${format}`);
  const out: string[] = [];
  if (stride === 0) return out;
  for (let i = start; stride > 0 ? i <= last : i >= last; i += stride) out.push(pyFormat(format, i));
  return out;
}

