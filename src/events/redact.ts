/**
 * Secret redaction for everything a run reports (events, errors). Pure: no I/O, no imports.
 *
 * Which values count (the rule, applied to every value added or read from a source):
 * - strings, and numbers/bigints by their decimal text (an inventory `ansible_password: 12345678`);
 *   other types (booleans, null, objects) are ignored by `add` (use `addDeep` for nested strings);
 * - shorter than MIN_SECRET_LENGTH (4) characters: ignored. Masking every "ab" or "42" would garble
 *   ordinary output, and such values are not secret in any useful sense;
 * - words that commonly appear in output as YAML/Python scalars (`true`, `false`, `none`, `null`, `yes`,
 *   `no`, `on`, `off`, any case): ignored for the same reason;
 * - a value with surrounding whitespace also registers its trimmed form (a vault plaintext that ends
 *   in a newline is usually printed without it).
 * A secret that embeds others (a kubeadm token `abcdef.0123456789abcdef`, a join command) is added as
 * is by its caller; occurrences are replaced longest first, so the whole token wins over a part.
 */
export const REDACTED = '********';
export const MIN_SECRET_LENGTH = 4;

const COMMON_WORDS = new Set(['true', 'false', 'none', 'null', 'yes', 'no', 'on', 'off']);

/** Whether `value` may be registered as a secret (see the rule above). */
export function isRedactable(value: string): boolean {
  const trimmed = value.trim();
  return trimmed.length >= MIN_SECRET_LENGTH && !COMMON_WORDS.has(trimmed.toLowerCase());
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function isPlainRecord(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/**
 * A set of secret values and the text/value rewriting that hides them. `add` registers values;
 * `addSource` registers a live source (e.g. the vault keyring's decrypted plaintexts, which fill as
 * values are decrypted) that is read again before each `redact`/`redactText`.
 */
export class Redactor {
  private readonly values = new Set<string>();
  private readonly sources: (() => Iterable<string>)[] = [];
  private pattern: RegExp | undefined;
  private dirty = false;

  /** Registers a secret value (string, number or bigint; see the module comment for the rule). */
  add(value: unknown): void {
    let text: string;
    if (typeof value === 'string') text = value;
    else if (typeof value === 'number' || typeof value === 'bigint') text = String(value);
    else return;
    this.addText(text);
    const trimmed = text.trim();
    if (trimmed !== text) this.addText(trimmed);
  }

  /** Registers every string (and number) found in `value`, also nested in arrays and plain objects. */
  addDeep(value: unknown): void {
    if (Array.isArray(value)) for (const v of value) this.addDeep(v);
    else if (isPlainRecord(value)) for (const v of Object.values(value)) this.addDeep(v);
    else this.add(value);
  }

  /** A live source of secret values, iterated again whenever something is redacted. */
  addSource(source: () => Iterable<string>): void {
    this.sources.push(source);
  }

  /** Number of values currently registered (sources read first). */
  get size(): number {
    this.refresh();
    return this.values.size;
  }

  has(value: string): boolean {
    this.refresh();
    return this.values.has(value);
  }

  /** `s` with every occurrence of a secret replaced by '********' (longest secrets first). */
  redactText(s: string): string {
    this.refresh();
    return this.replace(s);
  }

  /**
   * `value` with secrets replaced in every string (and in numbers whose text contains one), inside
   * arrays and plain objects; keys are left alone. Never mutates `value`: what changes is copied
   * (copy on write), so an unchanged value, and any value while no secret is known, is returned as is.
   */
  redact<T>(value: T): T {
    this.refresh();
    if (!this.pattern) return value;
    return this.walk(value, new Map()) as T;
  }

  /**
   * Redacts an error's texts in place (message, stack, and own string properties such as a load
   * error's code `frame`), keeping its class so exit-code mapping still works. Returns `err`.
   */
  redactError<E>(err: E): E {
    this.refresh();
    if (!this.pattern || !(err instanceof Error)) return err;
    const rewrite = (key: string, text: string) => {
      const next = this.replace(text);
      if (next !== text) Object.defineProperty(err, key, { value: next, writable: true, configurable: true, enumerable: key !== 'message' && key !== 'stack' });
    };
    rewrite('message', err.message);
    if (typeof err.stack === 'string') rewrite('stack', err.stack);
    for (const key of Object.keys(err)) {
      const v: unknown = (err as unknown as Record<string, unknown>)[key];
      if (typeof v === 'string') rewrite(key, v);
    }
    return err;
  }

  private addText(text: string): void {
    if (!isRedactable(text) || this.values.has(text)) return;
    this.values.add(text);
    this.dirty = true;
  }

  private refresh(): void {
    for (const source of this.sources) for (const v of source()) this.add(v);
    if (!this.dirty) return;
    this.dirty = false;
    const sorted = [...this.values].sort((a, b) => b.length - a.length);
    this.pattern = sorted.length === 0 ? undefined : new RegExp(sorted.map(escapeRegExp).join('|'), 'g');
  }

  private replace(s: string): string {
    if (!this.pattern || s.length < MIN_SECRET_LENGTH) return s;
    return s.replace(this.pattern, REDACTED);
  }

  private walk(value: unknown, seen: Map<object, unknown>): unknown {
    if (typeof value === 'string') return this.replace(value);
    if (typeof value === 'number' || typeof value === 'bigint') {
      const text = String(value);
      const next = this.replace(text);
      return next === text ? value : next;
    }
    if (value === null || typeof value !== 'object') return value;
    const known = seen.get(value);
    if (known !== undefined) return known;
    if (Array.isArray(value)) {
      seen.set(value, value);
      let out: unknown[] | undefined;
      for (let i = 0; i < value.length; i++) {
        const next = this.walk(value[i], seen);
        if (next !== value[i] && !out) {
          out = value.slice();
          seen.set(value, out);
        }
        if (out) out[i] = next;
      }
      return out ?? value;
    }
    if (!isPlainRecord(value)) return value;
    seen.set(value, value);
    let out: Record<string, unknown> | undefined;
    for (const [key, v] of Object.entries(value)) {
      const next = this.walk(v, seen);
      if (next !== v && !out) {
        out = { ...value };
        seen.set(value, out);
      }
      if (out) out[key] = next;
    }
    return out ?? value;
  }
}

/**
 * A live, re-iterable view over several secret sources (Sets that fill over time, fixed strings,
 * undefined for an option not given), e.g. `liveSecrets(keyring.decryptedValues(), becomePassword)`.
 * Each iteration reads the sources afresh, so it suits RunOptions.secrets.
 */
export function liveSecrets(...sources: readonly (Iterable<string> | string | undefined)[]): Iterable<string> {
  return {
    *[Symbol.iterator]() {
      for (const source of sources) {
        if (source === undefined) continue;
        if (typeof source === 'string') yield source;
        else yield* source;
      }
    },
  };
}
