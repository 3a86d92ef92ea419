/**
 * Ansible Vault for tsbook: the keyring built from `--vault-id`, `--vault-password-file`,
 * `--ask-vault-pass` and ansible.cfg (Ansible's CLI.setup_vault_secrets), decryption of inline
 * `!vault` values and whole vaulted files, and a registry of decrypted plaintexts for redaction.
 * Nothing here writes plaintext to disk.
 */
import { spawn } from 'node:child_process';
import { constants as fsConstants } from 'node:fs';
import { access, readFile, stat } from 'node:fs/promises';
import { basename, extname, isAbsolute, normalize, resolve } from 'node:path';
import { homedir } from 'node:os';
import { TsbookError, UsageError, VaultError } from '../model/errors.js';
import { VaultText } from '../model/values.js';
import { decryptVaultDetailed, DEFAULT_VAULT_ID, isVaultText, pyStrip, type DecryptResult, type VaultSecret } from './vault-format.js';
import { setVaultFileDecryptor } from './vault-hook.js';

export {
  decryptVault,
  decryptVaultDetailed,
  DEFAULT_VAULT_ID,
  encryptVault,
  formatEncryptedString,
  formatVaultEnvelope,
  isVaultText,
  parseVaultEnvelope,
  VAULT_HEADER,
  type DecryptOptions,
  type DecryptResult,
  type VaultEnvelope,
  type VaultSecret,
} from './vault-format.js';
export { decryptBufferIfVaulted, decryptTextIfVaulted, setVaultFileDecryptor, type VaultFileDecryptor } from './vault-hook.js';

/** Asks for a secret without echo (the CLI passes src/cli/prompt.ts's promptSecret). Rejects on EOF. */
export type SecretPrompt = (question: string) => Promise<string>;

export interface VaultSecretOptions {
  /** `--vault-id` values in order: `label@source` or `source`; source = a file, a script, or `prompt`. */
  readonly vaultIds?: readonly string[];
  /** `--vault-password-file` values (each becomes `default@FILE`, after the vault ids). */
  readonly vaultPasswordFiles?: readonly string[];
  readonly askVaultPass?: boolean;
  /** ansible.cfg DEFAULT_VAULT_IDENTITY_LIST (considered first). */
  readonly identityList?: readonly string[];
  /** ansible.cfg DEFAULT_VAULT_PASSWORD_FILE (appended to the password files). */
  readonly configPasswordFile?: string;
  /** ansible.cfg DEFAULT_VAULT_IDENTITY (the id of unlabelled secrets); 'default'. */
  readonly defaultIdentity?: string;
  /** Writing actions (create, encrypt, rekey's new secret) ask twice: "New vault password". */
  readonly createNewPassword?: boolean;
  /** Prompt when nothing else was given (ansible-vault: true; ansible-playbook: false). */
  readonly autoPrompt?: boolean;
  readonly prompt?: SecretPrompt;
  readonly onWarning?: (message: string) => void;
  /** Base for relative password file paths (default process.cwd()). */
  readonly cwd?: string;
}

/** CLI.split_vault_id: (label, source); no `@` means no label. */
export function splitVaultId(slug: string): { label?: string; source: string } {
  const at = slug.indexOf('@');
  if (at < 0) return { source: slug };
  return { label: slug.slice(0, at), source: slug.slice(at + 1) };
}

/** Ansible's unfrackpath(follow=False): ~ and $VARS expanded, absolute, normalized. */
function unfrackPath(path: string, cwd: string): string {
  let p = path.replace(/\$(\w+)|\$\{(\w+)\}/g, (m, a: string | undefined, b: string | undefined) => process.env[(a ?? b)!] ?? m);
  if (p === '~' || p.startsWith('~/')) p = homedir() + p.slice(1);
  return normalize(isAbsolute(p) ? p : resolve(cwd, p));
}

async function isExecutable(path: string): Promise<boolean> {
  const st = await stat(path);
  return st.isFile() && (st.mode & 0o111) !== 0;
}

/** script_is_client: `something-client` or `something-client.ext`. */
function isClientScript(path: string): boolean {
  return basename(path, extname(path)).endsWith('-client');
}

interface ScriptOutput {
  readonly code: number | null;
  readonly stdout: Buffer;
  readonly stderr?: Buffer;
}

/** Runs a password script: stdout captured; stderr left to the terminal unless `captureStderr`. */
function runScript(path: string, args: readonly string[], captureStderr: boolean): Promise<ScriptOutput> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(path, args, { stdio: ['inherit', 'pipe', captureStderr ? 'pipe' : 'inherit'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout?.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr?.on('data', (chunk: Buffer) => err.push(chunk));
    child.on('error', reject);
    child.on('close', (code) => resolvePromise({ code, stdout: Buffer.concat(out), stderr: captureStderr ? Buffer.concat(err) : undefined }));
  });
}

/** bytes.strip(b'\r\n') */
function stripCrLf(data: Buffer): Buffer {
  let start = 0;
  let end = data.length;
  while (start < end && (data[start] === 0x0a || data[start] === 0x0d)) start++;
  while (end > start && (data[end - 1] === 0x0a || data[end - 1] === 0x0d)) end--;
  return data.subarray(start, end);
}

/** bytes.strip() */
function stripWhitespace(data: Buffer): Buffer {
  return Buffer.from(pyStrip(data.toString('latin1')), 'latin1');
}

function pyBytesRepr(data: Buffer | undefined): string {
  if (data === undefined) return 'None';
  let out = "b'";
  for (const byte of data) {
    if (byte === 0x27) out += "\\'";
    else if (byte === 0x5c) out += '\\\\';
    else if (byte === 0x0a) out += '\\n';
    else if (byte === 0x0d) out += '\\r';
    else if (byte === 0x09) out += '\\t';
    else if (byte >= 0x20 && byte < 0x7f) out += String.fromCharCode(byte);
    else out += `\\x${byte.toString(16).padStart(2, '0')}`;
  }
  return `${out}'`;
}

/** FileVaultSecret / ScriptVaultSecret / ClientScriptVaultSecret.load() */
async function loadFileSecret(path: string, label: string | undefined, known: readonly VaultSecret[]): Promise<Buffer> {
  if (await isExecutable(path)) {
    const client = isClientScript(path);
    const args = client && label ? ['--vault-id', label] : [];
    let result: ScriptOutput;
    try {
      result = await runScript(path, args, client);
    } catch (err) {
      const kind = client ? 'vault password client script' : 'vault password script';
      throw new VaultError(`Problem running ${kind} ${path} (${(err as Error).message}). If this is not a script, remove the executable bit from the file.`);
    }
    if (client && result.code === 2) {
      throw new VaultError(`Vault password client script ${path} did not find a secret for vault-id=${label}: ${pyBytesRepr(result.stderr)}`);
    }
    if (result.code !== 0) {
      const code = result.code ?? -1;
      if (client) throw new VaultError(`Vault password client script ${path} returned non-zero (${code}) when getting secret for vault-id=${label}: ${pyBytesRepr(result.stderr)}`);
      throw new VaultError(`Vault password script ${path} returned non-zero (${code}): None`);
    }
    const password = stripCrLf(result.stdout);
    if (password.length === 0) throw new VaultError(`Invalid vault password was provided from script (${path})`);
    return password;
  }
  let data: Buffer;
  try {
    data = await readFile(path);
  } catch (err) {
    throw new VaultError(`Could not read vault password file ${path}: ${(err as Error).message}`);
  }
  let password = stripWhitespace(data);
  // A password file may itself be vaulted with a secret given earlier.
  if (isVaultText(password)) password = decryptVaultDetailed(password.toString('latin1'), known, path).plaintext;
  password = stripCrLf(password);
  if (password.length === 0) throw new VaultError(`Invalid vault password was provided from file (${path})`);
  return password;
}

/** PromptVaultSecret.load(): ask once (read) or twice (new password), refuse empty or mismatched input. */
async function promptSecret(prompt: SecretPrompt | undefined, questions: readonly string[], vaultId: string): Promise<Buffer> {
  if (!prompt) throw new UsageError(`A vault password for vault-id ${vaultId} was requested, but there is no terminal to prompt on`);
  const answers: Buffer[] = [];
  for (const question of questions) {
    let answer: string;
    try {
      answer = await prompt(question);
    } catch (err) {
      if (err instanceof TsbookError) throw err;
      throw new VaultError(`EOFError (ctrl-d) on prompt for (${vaultId})`);
    }
    if (answer === '') throw new VaultError('Invalid vault password was provided');
    answers.push(stripWhitespace(Buffer.from(answer, 'utf8')));
  }
  for (const answer of answers) if (!answer.equals(answers[0]!)) throw new VaultError('Passwords do not match');
  return answers[0]!;
}

/**
 * Ansible's CLI.build_vault_ids + setup_vault_secrets: config identities, then `--vault-id`s, then
 * password files (as `default@FILE`), then a prompt for `--ask-vault-pass` (or, with autoPrompt,
 * when nothing else was given). A missing or failing source is a warning while another one works,
 * and the error when none does.
 */
export async function loadVaultSecrets(options: VaultSecretOptions = {}): Promise<VaultSecret[]> {
  const defaultId = options.defaultIdentity ?? DEFAULT_VAULT_ID;
  const cwd = options.cwd ?? process.cwd();
  const warn = options.onWarning ?? (() => undefined);
  const slugs = [...(options.identityList ?? []), ...(options.vaultIds ?? [])];
  for (const slug of slugs) {
    if (slug.includes(';')) throw new UsageError(`'${slug}' is not a valid vault id. The character ';' is not allowed in vault ids`);
  }
  const files = [...(options.vaultPasswordFiles ?? []), ...(options.configPasswordFile ? [options.configPasswordFile] : [])];
  for (const file of files) slugs.push(`${defaultId}@${file}`);
  if (options.askVaultPass || (slugs.length === 0 && (options.autoPrompt ?? false))) slugs.push(`${defaultId}@prompt_ask_vault_pass`);

  const prompts: Record<'prompt' | 'prompt_ask_vault_pass', (id: string) => string[]> = options.createNewPassword
    ? { prompt: (id) => [`New vault password (${id}): `, `Confirm new vault password (${id}): `], prompt_ask_vault_pass: () => ['New Vault password: ', 'Confirm New Vault password: '] }
    : { prompt: (id) => [`Vault password (${id}): `], prompt_ask_vault_pass: () => ['Vault password: '] };

  const secrets: VaultSecret[] = [];
  let lastError: TsbookError | undefined;
  for (const slug of slugs) {
    const { label, source } = splitVaultId(slug);
    if (source === 'prompt' || source === 'prompt_ask_vault_pass') {
      const id = label || defaultId;
      try {
        secrets.push({ id, password: await promptSecret(options.prompt, prompts[source](id), id) });
      } catch (err) {
        if (err instanceof TsbookError) warn(`Error in vault password prompt (${label ?? 'None'}): ${err.message}`);
        throw err;
      }
      continue;
    }
    const path = unfrackPath(source, cwd);
    try {
      await access(path, fsConstants.F_OK);
    } catch {
      lastError = new VaultError(`The vault password file ${path} was not found`);
      warn(`Error getting vault password file (${label ?? 'None'}): ${lastError.message}`);
      continue;
    }
    try {
      secrets.push({ id: label || defaultId, password: await loadFileSecret(path, label, secrets) });
    } catch (err) {
      if (!(err instanceof TsbookError)) throw err;
      lastError = err;
      warn(`Error in vault password file loading (${label ?? 'None'}): ${err.message}`);
    }
  }
  if (lastError && secrets.length === 0) throw lastError;
  return secrets;
}

/** The keyring's view for the engine and the output: plaintexts that came out of vaults. */
export interface SecretRegistry {
  /** Decrypted inline `!vault` values (each a whole plaintext string), for redaction. */
  decryptedValues(): ReadonlySet<string>;
  /** Files decrypted whole (their content is never written to disk). */
  decryptedFiles(): ReadonlySet<string>;
}

/**
 * The vault secrets of one tsbook invocation. Decrypts whole files (install it with
 * `installAsFileDecryptor()` before loading) and inline `!vault` values (`decryptVaultText`, for the
 * Templar's `decryptVault` option), and remembers what it decrypted.
 */
export class VaultKeyring implements SecretRegistry {
  private readonly values = new Set<string>();
  private readonly files = new Set<string>();
  private readonly inlineCache = new WeakMap<VaultText, string>();

  constructor(
    readonly secrets: readonly VaultSecret[],
    private readonly options: { readonly vaultIdMatch?: boolean } = {},
  ) {}

  /** Builds a keyring from CLI options and ansible.cfg (see loadVaultSecrets). */
  static async fromOptions(options: VaultSecretOptions & { readonly vaultIdMatch?: boolean }): Promise<VaultKeyring> {
    return new VaultKeyring(await loadVaultSecrets(options), { vaultIdMatch: options.vaultIdMatch });
  }

  get isEmpty(): boolean {
    return this.secrets.length === 0;
  }

  /** Decrypts vault text; VaultError "Decryption failed (...) on FILE" when no secret works. */
  decryptDetailed(text: string, file?: string): DecryptResult {
    return decryptVaultDetailed(text, this.secrets, file, { vaultIdMatch: this.options.vaultIdMatch });
  }

  decrypt(text: string, file?: string): Buffer {
    return this.decryptDetailed(text, file).plaintext;
  }

  /** Whole-file decryption (vars files, group_vars, task files, inventories...). */
  decryptFile = (text: string, path: string): Buffer => {
    const plaintext = this.decrypt(text, path);
    this.files.add(path);
    return plaintext;
  };

  /**
   * Decrypts an inline `!vault` value (lazily, on use; cached per value). Like Ansible's
   * AnsibleVaultEncryptedUnicode, errors name no file. Pass as the Templar's `decryptVault` option.
   */
  decryptVaultText = (value: VaultText): string => {
    const cached = this.inlineCache.get(value);
    if (cached !== undefined) return cached;
    const plaintext = this.decrypt(value.ciphertext).toString('utf8');
    this.inlineCache.set(value, plaintext);
    if (plaintext !== '') this.values.add(plaintext);
    return plaintext;
  };

  /** Makes parseYaml (and every reader using src/load/vault-hook.ts) decrypt vaulted files with this keyring. */
  installAsFileDecryptor(): void {
    setVaultFileDecryptor(this.decryptFile);
  }

  decryptedValues(): ReadonlySet<string> {
    return this.values;
  }

  decryptedFiles(): ReadonlySet<string> {
    return this.files;
  }
}

/** Replaces every vault value anywhere in `value` (arrays, plain objects) with its plaintext. */
export function revealVaultValues(value: unknown, decrypt: (v: VaultText) => string): unknown {
  if (value instanceof VaultText) return decrypt(value);
  if (Array.isArray(value)) {
    let out: unknown[] | undefined;
    value.forEach((item, i) => {
      const next = revealVaultValues(item, decrypt);
      if (next !== item) (out ??= value.slice())[i] = next;
    });
    return out ?? value;
  }
  if (value !== null && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    const record = value as Record<string, unknown>;
    let out: Record<string, unknown> | undefined;
    for (const key of Object.keys(record)) {
      const next = revealVaultValues(record[key], decrypt);
      if (next !== record[key]) (out ??= { ...record })[key] = next;
    }
    return out ?? value;
  }
  return value;
}

/** Replaces each decrypted vault value in `text` with `replacement` (longest first). */
export function redactSecrets(text: string, registry: SecretRegistry, replacement = '********'): string {
  const values = [...registry.decryptedValues()].sort((a, b) => b.length - a.length);
  let out = text;
  for (const v of values) if (out.includes(v)) out = out.split(v).join(replacement);
  return out;
}
