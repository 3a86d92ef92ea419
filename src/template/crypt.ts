/** SHA-crypt ($5$ and $6$, Ulrich Drepper's specification), as passlib's sha256_crypt/sha512_crypt. */
import { createHash } from 'node:crypto';

const ITOA64 = './0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

interface Variant {
  readonly id: '5' | '6';
  readonly hash: 'sha256' | 'sha512';
  /** Byte triples of the final digest, in output order, then the trailing bytes. */
  readonly order: readonly (readonly number[])[];
}

function sha512Order(): number[][] {
  const out: number[][] = [];
  for (let i = 0; i < 21; i++) {
    const a = i;
    const b = i + 21;
    const c = i + 42;
    out.push([[a, b, c], [b, c, a], [c, a, b]][i % 3]!);
  }
  out.push([63]);
  return out;
}

function sha256Order(): number[][] {
  const out: number[][] = [];
  for (let i = 0; i < 10; i++) {
    const a = i;
    const b = i + 10;
    const c = i + 20;
    out.push([[a, b, c], [c, a, b], [b, c, a]][i % 3]!);
  }
  out.push([31, 30]);
  return out;
}

const VARIANTS: Readonly<Record<string, Variant>> = {
  sha256_crypt: { id: '5', hash: 'sha256', order: sha256Order() },
  sha512_crypt: { id: '6', hash: 'sha512', order: sha512Order() },
};

/** passlib's default rounds (what Ansible's BaseHash lists as implicit_rounds). */
export const DEFAULT_ROUNDS: Readonly<Record<string, number>> = { sha256_crypt: 535000, sha512_crypt: 656000 };

export function shaCryptSupported(algorithm: string): boolean {
  return Object.prototype.hasOwnProperty.call(VARIANTS, algorithm);
}

function digest(alg: string, ...parts: Buffer[]): Buffer {
  const h = createHash(alg);
  for (const p of parts) h.update(p);
  return h.digest();
}

/** `source` repeated to exactly `length` bytes. */
function stretch(source: Buffer, length: number): Buffer {
  const out = Buffer.alloc(length);
  for (let i = 0; i < length; i += source.length) source.copy(out, i, 0, Math.min(source.length, length - i));
  return out;
}

function encode(bytes: Buffer, order: readonly (readonly number[])[]): string {
  let out = '';
  for (const group of order) {
    let w = 0;
    let chars = 4;
    if (group.length === 3) w = (bytes[group[0]!]! << 16) | (bytes[group[1]!]! << 8) | bytes[group[2]!]!;
    else if (group.length === 2) {
      w = (bytes[group[0]!]! << 8) | bytes[group[1]!]!;
      chars = 3;
    } else {
      w = bytes[group[0]!]!;
      chars = 2;
    }
    for (let i = 0; i < chars; i++) {
      out += ITOA64[w & 0x3f];
      w >>= 6;
    }
  }
  return out;
}

/** The crypt string of `password` with `salt` (at most 16 characters are used) and `rounds`. */
export function shaCrypt(algorithm: string, password: string, salt: string, rounds = DEFAULT_ROUNDS[algorithm] ?? 5000): string {
  const v = VARIANTS[algorithm];
  if (!v) throw new Error(`unsupported crypt algorithm: ${algorithm}`);
  const r = Math.min(999_999_999, Math.max(1000, rounds));
  const p = Buffer.from(password, 'utf8');
  const s = Buffer.from(salt, 'utf8').subarray(0, 16);
  const b = digest(v.hash, p, s, p);
  const parts: Buffer[] = [p, s, stretch(b, p.length)];
  for (let n = p.length; n > 0; n >>= 1) parts.push(n & 1 ? b : p);
  const a = digest(v.hash, ...parts);
  const dp = digest(v.hash, ...Array.from({ length: p.length }, () => p));
  const pBytes = stretch(dp, p.length);
  const ds = digest(v.hash, ...Array.from({ length: 16 + a[0]! }, () => s));
  const sBytes = stretch(ds, s.length);
  let c = a;
  // one buffer and one update per round: the per-call overhead dominates hashing these few bytes
  const buf = Buffer.alloc(2 * pBytes.length + sBytes.length + c.length * 2);
  for (let i = 0; i < r; i++) {
    let n = (i & 1 ? pBytes : c).copy(buf, 0);
    if (i % 3) n += sBytes.copy(buf, n);
    if (i % 7) n += pBytes.copy(buf, n);
    n += (i & 1 ? c : pBytes).copy(buf, n);
    c = createHash(v.hash).update(buf.subarray(0, n)).digest();
  }
  const roundsPart = r === 5000 ? '' : `rounds=${r}$`;
  return `$${v.id}$${roundsPart}${s.toString('utf8')}$${encode(c, v.order)}`;
}
