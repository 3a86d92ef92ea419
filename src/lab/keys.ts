/**
 * ed25519 key pairs for the lab (ssh2's generator, OpenSSH formats). Existing keys are reused, so a
 * restarted lab keeps its host keys and client key.
 */
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import ssh2 from 'ssh2';

const { utils } = ssh2;

export interface KeyPair {
  /** OpenSSH private key text. */
  readonly privateKey: string;
  /** `ssh-ed25519 AAAA...` without a comment. */
  readonly publicLine: string;
}

/** `type base64` of an OpenSSH public key line, dropping the comment. */
export function publicLineOf(keyText: string): string {
  const parsed = utils.parseKey(keyText);
  if (parsed instanceof Error) throw parsed;
  return `${parsed.type} ${parsed.getPublicSSH().toString('base64')}`;
}

export function generateKeyPair(comment: string): KeyPair {
  // ssh2 sometimes (about 1 key in 250) drops a leading zero byte of the ed25519 public key and
  // then cannot parse its own output ("Malformed OpenSSH public key"): draw again.
  for (let attempt = 1; ; attempt++) {
    const k = utils.generateKeyPairSync('ed25519', { comment });
    const parsed = utils.parseKey(k.public);
    if (!(parsed instanceof Error)) return { privateKey: k.private, publicLine: `${parsed.type} ${parsed.getPublicSSH().toString('base64')}` };
    if (attempt >= 50) throw parsed;
  }
}

async function readIfExists(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}

/**
 * Loads the key pair at `file` (private, mode 0600) and `file.pub`, or creates both. A private key
 * that cannot be parsed is replaced.
 */
export async function ensureKeyPair(file: string, comment: string): Promise<KeyPair> {
  const existing = await readIfExists(file);
  if (existing !== undefined) {
    const parsed = utils.parseKey(existing);
    if (!(parsed instanceof Error)) {
      const pair = { privateKey: existing, publicLine: `${parsed.type} ${parsed.getPublicSSH().toString('base64')}` };
      await chmod(file, 0o600);
      await writeFile(`${file}.pub`, `${pair.publicLine} ${comment}\n`, { mode: 0o644 });
      return pair;
    }
  }
  await mkdir(dirname(file), { recursive: true });
  const pair = generateKeyPair(comment);
  await writeFile(file, pair.privateKey, { mode: 0o600 });
  await chmod(file, 0o600);
  await writeFile(`${file}.pub`, `${pair.publicLine} ${comment}\n`, { mode: 0o644 });
  return pair;
}
