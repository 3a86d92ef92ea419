/**
 * The process-wide whole-file vault decryptor, like the vault secrets Ansible sets once on its
 * DataLoader. The CLI installs a VaultKeyring's decryptor (src/load/vault.ts) before loading
 * anything; parseYaml (src/load/yaml.ts) and any other reader of controller files (inventory INI,
 * template/copy sources, lookup('file')) call `decryptIfVaulted` on what they read. Decrypted content
 * stays in memory only.
 */
import { VaultError } from '../model/errors.js';
import { isVaultText } from './vault-format.js';

/** Decrypts a whole vaulted file's text; `path` is used in error messages. */
export type VaultFileDecryptor = (text: string, path: string) => Buffer;

let active: VaultFileDecryptor | undefined;

/** Installs (or with undefined, removes) the decryptor used for vaulted files. */
export function setVaultFileDecryptor(decryptor: VaultFileDecryptor | undefined): void {
  active = decryptor;
}

export function vaultFileDecryptor(): VaultFileDecryptor | undefined {
  return active;
}

function decrypt(text: string, path: string): Buffer {
  if (!active) throw new VaultError('Attempting to decrypt but no vault secrets found');
  return active(text, path);
}

/** A file's text, decrypted first when it is vault data (Ansible's DataLoader._get_file_contents). */
export function decryptTextIfVaulted(text: string, path: string): { text: string; vaulted: boolean } {
  if (!isVaultText(text)) return { text, vaulted: false };
  return { text: decrypt(text, path).toString('utf8'), vaulted: true };
}

/** The same for raw bytes (copy/template sources, binary files). */
export function decryptBufferIfVaulted(data: Buffer, path: string): { data: Buffer; vaulted: boolean } {
  if (!isVaultText(data)) return { data, vaulted: false };
  return { data: decrypt(data.toString('latin1'), path), vaulted: true };
}
