/**
 * Special values that YAML tags produce. The templater never templates an UnsafeText; a VaultText is
 * decrypted on first use (see src/load/vault.ts once it exists).
 */
export class UnsafeText {
  constructor(readonly value: string) {}
  toString(): string {
    return this.value;
  }
  toJSON(): string {
    return this.value;
  }
}

export class VaultText {
  constructor(readonly ciphertext: string, readonly file: string) {}
}

const UNSAFE_TREES = new WeakSet<object>();

/**
 * Marks a value the templater must never render, with every list and mapping inside it: what a task
 * returned (Ansible wraps registered results with wrap_var, so a `{{` in stdout stays text).
 */
export function markUnsafeTree(value: unknown): void {
  if (value === null || typeof value !== 'object' || UNSAFE_TREES.has(value)) return;
  if (!Array.isArray(value) && Object.getPrototypeOf(value) !== Object.prototype && Object.getPrototypeOf(value) !== null) return;
  UNSAFE_TREES.add(value);
  for (const inner of Array.isArray(value) ? value : Object.values(value)) markUnsafeTree(inner);
}

export function isUnsafeTree(value: object): boolean {
  return UNSAFE_TREES.has(value);
}

/** Objects with this property set are returned as they are by the templater (hostvars, etc.). */
export const OPAQUE: unique symbol = Symbol.for('tsbook.opaque');
