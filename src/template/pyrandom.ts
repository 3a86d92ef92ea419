/** Python's random.Random (MT19937, seed version 2) so `random(seed=...)` picks what Ansible picks. */
import { createHash } from 'node:crypto';

const N = 624;
const M = 397;

export class PyRandom {
  private readonly mt = new Uint32Array(N);
  private mti = N + 1;

  constructor(seed: string | number | bigint) {
    let big: bigint;
    if (typeof seed === 'string') {
      const bytes = Buffer.from(seed, 'utf8');
      const all = Buffer.concat([bytes, createHash('sha512').update(bytes).digest()]);
      big = all.length === 0 ? 0n : BigInt(`0x${all.toString('hex')}`);
    } else {
      big = BigInt(seed);
      if (big < 0n) big = -big;
    }
    const key: number[] = [];
    while (big > 0n) {
      key.push(Number(big & 0xffffffffn));
      big >>= 32n;
    }
    if (key.length === 0) key.push(0);
    this.initByArray(key);
  }

  private initGenrand(s: number): void {
    this.mt[0] = s >>> 0;
    for (let i = 1; i < N; i++) {
      const prev = (this.mt[i - 1] as number) ^ ((this.mt[i - 1] as number) >>> 30);
      this.mt[i] = (Math.imul(1812433253, prev) + i) >>> 0;
    }
    this.mti = N;
  }

  private initByArray(key: readonly number[]): void {
    this.initGenrand(19650218);
    let i = 1;
    let j = 0;
    for (let k = Math.max(N, key.length); k > 0; k--) {
      const prev = (this.mt[i - 1] as number) ^ ((this.mt[i - 1] as number) >>> 30);
      this.mt[i] = (((this.mt[i] as number) ^ Math.imul(prev, 1664525)) + (key[j] as number) + j) >>> 0;
      i++;
      j++;
      if (i >= N) {
        this.mt[0] = this.mt[N - 1] as number;
        i = 1;
      }
      if (j >= key.length) j = 0;
    }
    for (let k = N - 1; k > 0; k--) {
      const prev = (this.mt[i - 1] as number) ^ ((this.mt[i - 1] as number) >>> 30);
      this.mt[i] = (((this.mt[i] as number) ^ Math.imul(prev, 1566083941)) - i) >>> 0;
      i++;
      if (i >= N) {
        this.mt[0] = this.mt[N - 1] as number;
        i = 1;
      }
    }
    this.mt[0] = 0x80000000;
  }

  private genrand(): number {
    if (this.mti >= N) {
      const mag = (x: number): number => (x & 1 ? 0x9908b0df : 0);
      let kk = 0;
      for (; kk < N - M; kk++) {
        const y = ((this.mt[kk] as number) & 0x80000000) | ((this.mt[kk + 1] as number) & 0x7fffffff);
        this.mt[kk] = ((this.mt[kk + M] as number) ^ (y >>> 1) ^ mag(y)) >>> 0;
      }
      for (; kk < N - 1; kk++) {
        const y = ((this.mt[kk] as number) & 0x80000000) | ((this.mt[kk + 1] as number) & 0x7fffffff);
        this.mt[kk] = ((this.mt[kk + (M - N)] as number) ^ (y >>> 1) ^ mag(y)) >>> 0;
      }
      const y = ((this.mt[N - 1] as number) & 0x80000000) | ((this.mt[0] as number) & 0x7fffffff);
      this.mt[N - 1] = ((this.mt[M - 1] as number) ^ (y >>> 1) ^ mag(y)) >>> 0;
      this.mti = 0;
    }
    let y = this.mt[this.mti++] as number;
    y ^= y >>> 11;
    y = (y ^ ((y << 7) & 0x9d2c5680)) >>> 0;
    y = (y ^ ((y << 15) & 0xefc60000)) >>> 0;
    y ^= y >>> 18;
    return y >>> 0;
  }

  random(): number {
    const a = this.genrand() >>> 5;
    const b = this.genrand() >>> 6;
    return (a * 67108864 + b) / 9007199254740992;
  }

  getrandbits(k: number): bigint {
    if (k <= 32) return BigInt(this.genrand() >>> (32 - k));
    let out = 0n;
    let shift = 0n;
    let left = k;
    while (left > 0) {
      let r = this.genrand();
      if (left < 32) r >>>= 32 - left;
      out |= BigInt(r) << shift;
      shift += 32n;
      left -= 32;
    }
    return out;
  }

  randbelow(n: number): number {
    if (n <= 0) throw new Error('empty range');
    const k = n.toString(2).length;
    let r = this.getrandbits(k);
    while (r >= BigInt(n)) r = this.getrandbits(k);
    return Number(r);
  }

  choice<T>(seq: readonly T[]): T {
    if (seq.length === 0) throw new Error('Cannot choose from an empty sequence');
    return seq[this.randbelow(seq.length)] as T;
  }

  randrange(start: number, stop: number, step: number): number {
    const width = stop - start;
    if (step === 1) {
      if (width <= 0) throw new Error(`empty range for randrange() (${start}, ${stop}, ${width})`);
      return start + this.randbelow(width);
    }
    const n = step > 0 ? Math.floor((width + step - 1) / step) : Math.floor((width + step + 1) / step);
    if (n <= 0) throw new Error('empty range for randrange()');
    return start + step * this.randbelow(n);
  }

  shuffle<T>(x: T[]): void {
    for (let i = x.length - 1; i > 0; i--) {
      const j = this.randbelow(i + 1);
      const t = x[i] as T;
      x[i] = x[j] as T;
      x[j] = t;
    }
  }
}
