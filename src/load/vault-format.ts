/**
 * Ansible Vault's on-disk format (ansible-core 2.14 `VaultLib` / `VaultAES256`), byte for byte:
 *
 *   $ANSIBLE_VAULT;1.1;AES256            (or 1.2;AES256;<vault-id>)
 *   hexlify( hexlify(salt) \n hexlify(hmac) \n hexlify(ciphertext) ), in 80-column lines
 *
 * Keys: PBKDF2-HMAC-SHA256(password, salt, 10000 iterations) -> 80 bytes = AES key (32) + HMAC key
 * (32) + CTR IV (16). The plaintext is PKCS7-padded to 16 bytes and encrypted with AES-256-CTR; the
 * HMAC-SHA256 covers the ciphertext. Pure functions over node:crypto; no I/O.
 */
import { createCipheriv, createDecipheriv, createHmac, pbkdf2Sync, randomBytes, timingSafeEqual } from 'node:crypto';
import { VaultError } from '../model/errors.js';

/** One vault password with the vault-id it is known by ('default' unless `--vault-id label@...`). */
export interface VaultSecret {
  readonly id: string;
  readonly password: Buffer;
}

export const VAULT_HEADER = '$ANSIBLE_VAULT';
/** Ansible's DEFAULT_VAULT_IDENTITY. */
export const DEFAULT_VAULT_ID = 'default';

const KEY_LENGTH = 32;
const IV_LENGTH = 16;
const ITERATIONS = 10000;
const LINE_WIDTH = 80;

/** Ansible's is_encrypted: pure ASCII text starting with `$ANSIBLE_VAULT`. */
export function isVaultText(data: string | Buffer): boolean {
  if (typeof data === 'string') {
    if (!data.startsWith(VAULT_HEADER)) return false;
    for (let i = 0; i < data.length; i++) if (data.charCodeAt(i) > 0x7f) return false;
    return true;
  }
  if (data.length < VAULT_HEADER.length || data.subarray(0, VAULT_HEADER.length).toString('latin1') !== VAULT_HEADER) return false;
  for (const byte of data) if (byte > 0x7f) return false;
  return true;
}

export interface VaultEnvelope {
  readonly version: string;
  readonly cipher: string;
  /** The vault-id of a 1.2 header, else undefined. */
  readonly vaultId?: string;
  /** The hexlified payload with the line breaks removed. */
  readonly body: string;
}

/** Python's bytes.splitlines (\n, \r\n, \r), dropping a trailing empty line. */
function splitLines(text: string): string[] {
  const lines = text.split(/\r\n|\r|\n/);
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  return lines;
}

/** Python's bytes.strip() (ASCII whitespace). */
export function pyStrip(text: string): string {
  return text.replace(/^[ \t\n\r\x0b\x0c]+|[ \t\n\r\x0b\x0c]+$/g, '');
}

/** Splits the header off and joins the hex lines (Ansible's parse_vaulttext_envelope). */
export function parseVaultEnvelope(text: string, file?: string): VaultEnvelope {
  const lines = splitLines(text);
  const header = pyStrip(lines[0] ?? '').split(';');
  if (header.length < 3) {
    throw new VaultError(`Vault envelope format error${file ? ` in ${file}` : ''}: list index out of range`);
  }
  const vaultId = header.length >= 4 ? pyStrip(header[3]!) : undefined;
  return { version: pyStrip(header[1]!), cipher: pyStrip(header[2]!), vaultId, body: lines.slice(1).join('') };
}

/** binascii.unhexlify with its error messages. */
function unhexlify(hex: string): Buffer {
  if (hex.length % 2 !== 0) throw new VaultError('Vault format unhexlify error: Odd-length string');
  if (!/^[0-9a-fA-F]*$/.test(hex)) throw new VaultError('Vault format unhexlify error: Non-hexadecimal digit found');
  return Buffer.from(hex, 'hex');
}

interface VaultPayload {
  readonly salt: Buffer;
  readonly hmac: Buffer;
  readonly ciphertext: Buffer;
}

/** Ansible's parse_vaulttext: unhexlify, split on the first two newlines, unhexlify each part. */
function parsePayload(body: string): VaultPayload {
  const inner = unhexlify(body).toString('latin1');
  const first = inner.indexOf('\n');
  const second = first < 0 ? -1 : inner.indexOf('\n', first + 1);
  if (second < 0) {
    const got = first < 0 ? 1 : 2;
    throw new VaultError(`Vault vaulttext format error: not enough values to unpack (expected 3, got ${got})`);
  }
  return {
    salt: unhexlify(inner.slice(0, first)),
    hmac: unhexlify(inner.slice(first + 1, second)),
    ciphertext: unhexlify(inner.slice(second + 1)),
  };
}

interface DerivedKeys {
  readonly cipherKey: Buffer;
  readonly hmacKey: Buffer;
  readonly iv: Buffer;
}

function deriveKeys(password: Buffer, salt: Buffer): DerivedKeys {
  const derived = pbkdf2Sync(password, salt, ITERATIONS, 2 * KEY_LENGTH + IV_LENGTH, 'sha256');
  return {
    cipherKey: derived.subarray(0, KEY_LENGTH),
    hmacKey: derived.subarray(KEY_LENGTH, 2 * KEY_LENGTH),
    iv: derived.subarray(2 * KEY_LENGTH, 2 * KEY_LENGTH + IV_LENGTH),
  };
}

function pkcs7Pad(data: Buffer): Buffer {
  const n = 16 - (data.length % 16);
  return Buffer.concat([data, Buffer.alloc(n, n)]);
}

function pkcs7Unpad(data: Buffer): Buffer {
  const n = data.length > 0 ? data[data.length - 1]! : 0;
  if (data.length % 16 !== 0 || n < 1 || n > 16 || n > data.length) throw new VaultError('Invalid padding bytes.');
  for (let i = data.length - n; i < data.length; i++) if (data[i] !== n) throw new VaultError('Invalid padding bytes.');
  return data.subarray(0, data.length - n);
}

/** Ansible's format_vaulttext_envelope: header line, 80-column hex lines, trailing newline. */
export function formatVaultEnvelope(body: string, vaultId?: string): string {
  const useId = vaultId !== undefined && vaultId !== '' && vaultId !== DEFAULT_VAULT_ID;
  const header = useId ? `${VAULT_HEADER};1.2;AES256;${vaultId}` : `${VAULT_HEADER};1.1;AES256`;
  const lines = [header];
  for (let i = 0; i < body.length; i += LINE_WIDTH) lines.push(body.slice(i, i + LINE_WIDTH));
  lines.push('');
  return lines.join('\n');
}

/**
 * Encrypts like `VaultLib.encrypt`: a vault-id other than 'default' gives a 1.2 header. `salt` is for
 * tests only (Ansible's `salt=` argument); it is random (32 bytes) otherwise.
 */
export function encryptVault(plaintext: Buffer | string, secret: VaultSecret, vaultId?: string, salt?: Buffer): string {
  const data = typeof plaintext === 'string' ? Buffer.from(plaintext, 'utf8') : plaintext;
  if (isVaultText(data)) throw new VaultError('input is already encrypted');
  if (vaultId !== undefined && vaultId.includes(';')) throw new VaultError(`'${vaultId}' is not a valid vault id. The character ';' is not allowed in vault ids`);
  const saltBytes = salt ?? randomBytes(32);
  if (saltBytes.length === 0) throw new VaultError('Empty or invalid salt passed to encrypt()');
  const keys = deriveKeys(secret.password, saltBytes);
  const cipher = createCipheriv('aes-256-ctr', keys.cipherKey, keys.iv);
  const ciphertext = Buffer.concat([cipher.update(pkcs7Pad(data)), cipher.final()]);
  const hmac = createHmac('sha256', keys.hmacKey).update(ciphertext).digest();
  const inner = [saltBytes.toString('hex'), hmac.toString('hex'), ciphertext.toString('hex')].join('\n');
  return formatVaultEnvelope(Buffer.from(inner, 'latin1').toString('hex'), vaultId);
}

/** Decrypts a parsed payload with one password; undefined when the HMAC does not match. */
function tryDecrypt(payload: VaultPayload, password: Buffer): Buffer | undefined {
  const keys = deriveKeys(password, payload.salt);
  const expected = createHmac('sha256', keys.hmacKey).update(payload.ciphertext).digest();
  if (expected.length !== payload.hmac.length || !timingSafeEqual(expected, payload.hmac)) return undefined;
  const decipher = createDecipheriv('aes-256-ctr', keys.cipherKey, keys.iv);
  return pkcs7Unpad(Buffer.concat([decipher.update(payload.ciphertext), decipher.final()]));
}

export interface DecryptResult {
  readonly plaintext: Buffer;
  /** The vault-id of the secret that worked. */
  readonly vaultIdUsed: string;
  readonly secretUsed: VaultSecret;
  /** The envelope's vault-id (the 1.2 header's, else 'default'). */
  readonly envelopeVaultId: string;
  readonly cipher: string;
}

export interface DecryptOptions {
  /** Ansible's DEFAULT_VAULT_ID_MATCH: only try secrets whose id matches the envelope's. */
  readonly vaultIdMatch?: boolean;
}

/**
 * Ansible's `VaultLib.decrypt_and_get_vault_id`. Secrets whose id matches the envelope's vault-id are
 * tried first, then all the others (unless vaultIdMatch). The vault-id is not authenticated; it only
 * orders the attempts. Throws VaultError with Ansible's messages.
 */
export function decryptVaultDetailed(text: string, secrets: readonly VaultSecret[], file?: string, options: DecryptOptions = {}): DecryptResult {
  if (!isVaultText(text)) {
    throw new VaultError(`input is not vault encrypted data.${file ? ` ${file} is not a vault encrypted file` : ''}`);
  }
  const envelope = parseVaultEnvelope(text, file);
  const envelopeVaultId = envelope.vaultId ?? DEFAULT_VAULT_ID;
  if (envelope.cipher !== 'AES256') throw new VaultError(`${envelope.cipher} cipher could not be found`);
  if (secrets.length === 0) throw new VaultError('Attempting to decrypt but no vault secrets found');
  const matching = secrets.filter((s) => s.id === envelopeVaultId);
  const candidates = options.vaultIdMatch ? matching : [...matching, ...secrets.filter((s) => s.id !== envelopeVaultId)];
  if (candidates.length > 0) {
    const payload = parsePayload(envelope.body);
    for (const secret of candidates) {
      const plaintext = tryDecrypt(payload, secret.password);
      if (plaintext !== undefined) return { plaintext, vaultIdUsed: secret.id, secretUsed: secret, envelopeVaultId, cipher: envelope.cipher };
    }
  }
  throw new VaultError(`Decryption failed (no vault secrets were found that could decrypt)${file ? ` on ${file}` : ''}`);
}

/** Decrypts vault text with the first secret that works; VaultError (exit 1) when none does. */
export function decryptVault(text: string, secrets: readonly VaultSecret[], file?: string, options: DecryptOptions = {}): Buffer {
  return decryptVaultDetailed(text, secrets, file, options).plaintext;
}

/** `ansible-vault encrypt_string`'s YAML block: `name: !vault |` and the envelope indented by 10. */
export function formatEncryptedString(vaultText: string, name?: string): string {
  const lines = [`${name ? `${name}: ` : ''}!vault |`];
  for (const line of splitLines(vaultText)) lines.push(`${' '.repeat(10)}${line}`);
  return lines.join('\n');
}
