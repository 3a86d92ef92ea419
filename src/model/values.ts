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

/** Objects with this property set are returned as they are by the templater (hostvars, etc.). */
export const OPAQUE: unique symbol = Symbol.for('tsbook.opaque');
