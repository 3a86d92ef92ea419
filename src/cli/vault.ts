/**
 * `tsbook vault create|decrypt|edit|view|encrypt|encrypt_string|rekey`: ansible-vault 2.14's
 * commands, flags, outputs and exit codes.
 *
 * Plaintext touches disk in exactly two cases, as with ansible-vault: `decrypt` (the user asked for
 * it) and `edit`/`create`, which hand the plaintext to $EDITOR in a 0600 file inside a private 0700
 * temp directory; the file is overwritten with random bytes and removed afterwards, whatever happens.
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, constants as fsConstants, fsyncSync, openSync, writeSync } from 'node:fs';
import { chmod, chown, mkdir, mkdtemp, readFile, realpath, rm, stat, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, extname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { Command, Option } from 'commander';
import { TsbookError, UsageError, VaultError } from '../model/errors.js';
import { loadConfig, type EffectiveConfig } from '../load/config.js';
import {
  decryptVaultDetailed,
  encryptVault,
  formatEncryptedString,
  loadVaultSecrets,
  parseVaultEnvelope,
  VaultKeyring,
  type SecretPrompt,
  type VaultSecret,
  type VaultSecretOptions,
} from '../load/vault.js';
import { collect } from './options.js';
import { promptSecret } from './prompt.js';

/** Options of `tsbook vault <action>`, as commander parses them. */
export interface VaultCliOptions {
  readonly vaultId?: string[];
  readonly vaultPasswordFile?: string[];
  readonly vaultPassFile?: string[];
  readonly askVaultPassword?: boolean;
  readonly askVaultPass?: boolean;
  readonly encryptVaultId?: string;
  readonly newVaultPasswordFile?: string;
  readonly newVaultId?: string;
  readonly output?: string;
  readonly name?: string[];
  readonly stdinName?: string;
  readonly prompt?: boolean;
  readonly showInput?: boolean;
  readonly verbose?: number;
}

/** Where the command reads and writes; tests replace it. */
export interface VaultIo {
  readStdin(): Promise<Buffer>;
  writeStdout(data: string | Buffer): void;
  writeStderr(text: string): void;
  readonly stdinIsTTY: boolean;
  readonly stdoutIsTTY: boolean;
  /** Hidden input (passwords). */
  promptSecret: SecretPrompt;
  /** Visible input (encrypt_string's variable name). */
  promptLine(question: string): Promise<string>;
  readonly env: NodeJS.ProcessEnv;
  readonly cwd: string;
}

export type VaultAction = 'create' | 'decrypt' | 'edit' | 'view' | 'encrypt' | 'encrypt_string' | 'rekey';

function readAll(stream: NodeJS.ReadableStream): Promise<Buffer> {
  return new Promise((resolvePromise, reject) => {
    const chunks: Buffer[] = [];
    stream.on('data', (c: Buffer | string) => chunks.push(typeof c === 'string' ? Buffer.from(c) : c));
    stream.on('end', () => resolvePromise(Buffer.concat(chunks)));
    stream.on('error', reject);
  });
}

function promptVisible(question: string): Promise<string> {
  return new Promise((resolvePromise, reject) => {
    const rl = createInterface({ input: process.stdin, output: process.stderr, terminal: Boolean(process.stdin.isTTY) });
    let answered = false;
    rl.question(question, (answer) => {
      answered = true;
      rl.close();
      resolvePromise(answer);
    });
    rl.on('close', () => {
      if (!answered) reject(new VaultError('EOFError (ctrl-d) on prompt'));
    });
  });
}

export function processIo(): VaultIo {
  return {
    readStdin: () => readAll(process.stdin),
    writeStdout: (data) => void process.stdout.write(data),
    writeStderr: (text) => void process.stderr.write(text),
    stdinIsTTY: Boolean(process.stdin.isTTY),
    stdoutIsTTY: Boolean(process.stdout.isTTY),
    promptSecret,
    promptLine: promptVisible,
    env: process.env,
    cwd: process.cwd(),
  };
}

// ------------------------------------------------------------------ files

function errnoText(err: unknown, path: string): string {
  const e = err as NodeJS.ErrnoException;
  const names: Record<string, [number, string]> = {
    ENOENT: [2, 'No such file or directory'],
    EACCES: [13, 'Permission denied'],
    EISDIR: [21, 'Is a directory'],
  };
  const known = e.code ? names[e.code] : undefined;
  return known ? `[Errno ${known[0]}] ${known[1]}: '${path}'` : e.message;
}

/** A path argument resolved against the command's working directory. */
function abs(io: VaultIo, path: string): string {
  return path === '-' ? path : resolve(io.cwd, path);
}

async function readSource(path: string, io: VaultIo): Promise<Buffer> {
  if (path === '-') return io.readStdin();
  try {
    return await readFile(abs(io, path));
  } catch (err) {
    throw new VaultError(`Unable to read source file (${path}): ${errnoText(err, path)}`);
  }
}

/** Overwrites a plaintext file with random bytes before removing it (Ansible's _shred_file_custom). */
async function shredFile(path: string): Promise<void> {
  let size: number;
  try {
    const st = await stat(path);
    if (!st.isFile()) return;
    size = st.size;
  } catch {
    return;
  }
  try {
    const fd = openSync(path, 'r+');
    try {
      for (let off = 0; off < size; off += 1 << 20) writeSync(fd, randomBytes(Math.min(1 << 20, size - off)), 0, Math.min(1 << 20, size - off), off);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  } finally {
    await unlink(path);
  }
}

/** VaultEditor.write_data: stdout for '-', else remove (shredding plaintext) and create anew with `mode`. */
async function writeData(data: Buffer | string, target: string, io: VaultIo, options: { shred: boolean; mode?: number }): Promise<void> {
  if (target === '-') {
    io.writeStdout(data);
    return;
  }
  try {
    const st = await stat(target);
    if (st.isFile()) {
      if (options.shred) await shredFile(target);
      else await unlink(target);
    }
  } catch {
    // the target does not exist yet
  }
  let fd: number;
  try {
    fd = openSync(target, fsConstants.O_CREAT | fsConstants.O_EXCL | fsConstants.O_RDWR | fsConstants.O_TRUNC, options.mode ?? 0o600);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') throw new VaultError(`Vault file got recreated while we were operating on it: ${(err as Error).message}`);
    throw new VaultError(`Problem creating temporary vault file: ${(err as Error).message}`);
  }
  try {
    const buf = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
    writeSync(fd, buf, 0, buf.length, 0);
  } finally {
    closeSync(fd);
  }
  if (options.mode !== undefined) await chmod(target, options.mode);
}

/** os.path.realpath: symlinks followed, absolute even when the file does not exist. */
async function realPath(path: string, io: VaultIo): Promise<string> {
  if (path === '-') return path;
  try {
    return await realpath(abs(io, path));
  } catch {
    return abs(io, path);
  }
}

// ------------------------------------------------------------------ secrets

interface Secrets {
  readonly read: readonly VaultSecret[];
  readonly encrypt?: VaultSecret;
  readonly newEncrypt?: VaultSecret;
}

function pyList(items: readonly string[]): string {
  return `[${items.map((i) => `'${i}'`).join(', ')}]`;
}

/** match_encrypt_secret */
function matchEncryptSecret(secrets: readonly VaultSecret[], encryptVaultId: string | undefined): VaultSecret | undefined {
  if (encryptVaultId) {
    const hit = secrets.find((s) => s.id === encryptVaultId);
    if (!hit) throw new VaultError(`Did not find a match for --encrypt-vault-id=${encryptVaultId} in the known vault-ids ${pyList(secrets.map((s) => s.id))}`);
    return hit;
  }
  return secrets[0];
}

/** VaultCLI.run's secret setup for each kind of action. */
async function setupSecrets(action: VaultAction, options: VaultCliOptions, config: EffectiveConfig, io: VaultIo): Promise<Secrets> {
  const s = config.settings;
  const base: VaultSecretOptions = {
    vaultIds: options.vaultId ?? [],
    vaultPasswordFiles: [...(options.vaultPasswordFile ?? []), ...(options.vaultPassFile ?? [])],
    askVaultPass: Boolean(options.askVaultPassword || options.askVaultPass || s.askVaultPass.value),
    identityList: s.vaultIdentityList.value,
    configPasswordFile: s.vaultPasswordFile.value ?? undefined,
    defaultIdentity: s.vaultIdentity.value ?? 'default',
    autoPrompt: true,
    prompt: io.promptSecret,
    onWarning: (m) => io.writeStderr(`[WARNING]: ${m}\n`),
    cwd: io.cwd,
  };
  for (const id of base.vaultIds ?? []) {
    if (id.includes(';')) throw new UsageError(`'${id}' is not a valid vault id. The character ';' is not allowed in vault ids`);
  }
  const encryptVaultId = options.encryptVaultId || s.vaultEncryptIdentity.value || undefined;
  if (action === 'encrypt' || action === 'encrypt_string' || action === 'create') {
    const secrets = await loadVaultSecrets({ ...base, createNewPassword: true });
    if (secrets.length > 1 && !encryptVaultId) {
      throw new UsageError(`The vault-ids ${secrets.map((x) => x.id).join(',')} are available to encrypt. Specify the vault-id to encrypt with --encrypt-vault-id`);
    }
    if (secrets.length === 0) throw new UsageError("A vault password is required to use Ansible's Vault");
    return { read: secrets, encrypt: matchEncryptSecret(secrets, encryptVaultId) };
  }
  const secrets = await loadVaultSecrets(base);
  if (secrets.length === 0) throw new UsageError("A vault password is required to use Ansible's Vault");
  if (action !== 'rekey') return { read: secrets };
  const newIds = [...(encryptVaultId ? s.vaultIdentityList.value : []), ...(options.newVaultId ? [options.newVaultId] : [])];
  const newSecrets = await loadVaultSecrets({
    ...base,
    vaultIds: newIds,
    identityList: [],
    vaultPasswordFiles: options.newVaultPasswordFile ? [options.newVaultPasswordFile] : [],
    createNewPassword: true,
  });
  if (newSecrets.length === 0) throw new UsageError("A new vault password is required to use Ansible's Vault rekey");
  return { read: secrets, newEncrypt: matchEncryptSecret(newSecrets, encryptVaultId) };
}

// ------------------------------------------------------------------ editor

/** Python's shlex.split (POSIX mode), enough for $EDITOR values. */
export function shlexSplit(text: string): string[] {
  const out: string[] = [];
  let cur = '';
  let inWord = false;
  let i = 0;
  while (i < text.length) {
    const ch = text[i]!;
    if (/\s/.test(ch)) {
      if (inWord) out.push(cur);
      cur = '';
      inWord = false;
      i++;
    } else if (ch === "'") {
      const end = text.indexOf("'", i + 1);
      if (end < 0) throw new UsageError('No closing quotation in $EDITOR');
      cur += text.slice(i + 1, end);
      inWord = true;
      i = end + 1;
    } else if (ch === '"') {
      i++;
      while (i < text.length && text[i] !== '"') {
        if (text[i] === '\\' && i + 1 < text.length && '\\"$`\n'.includes(text[i + 1]!)) i++;
        cur += text[i];
        i++;
      }
      if (i >= text.length) throw new UsageError('No closing quotation in $EDITOR');
      inWord = true;
      i++;
    } else if (ch === '\\' && i + 1 < text.length) {
      cur += text[i + 1];
      inWord = true;
      i += 2;
    } else {
      cur += ch;
      inWord = true;
      i++;
    }
  }
  if (inWord) out.push(cur);
  return out;
}

/**
 * VaultEditor._edit_file_helper: plaintext in a 0600 file in a fresh 0700 temp dir, $EDITOR (default
 * vi) on it, re-encrypt if changed (or forced), then shred the temp file and remove the dir.
 */
async function editInTemp(target: string, secret: VaultSecret, vaultId: string | undefined, existing: Buffer | undefined, forceSave: boolean, io: VaultIo): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'tsbook-vault-'));
  await chmod(dir, 0o700);
  const tmp = join(dir, `plaintext${extname(target)}`);
  try {
    await writeFile(tmp, existing ?? Buffer.alloc(0), { mode: 0o600, flag: 'wx' });
    const cmd = [...shlexSplit(io.env.EDITOR ?? 'vi'), tmp];
    const r = spawnSync(cmd[0]!, cmd.slice(1), { stdio: 'inherit', env: io.env });
    if (r.error) throw new VaultError(`Unable to execute the command "${cmd.join(' ')}": ${r.error.message}`);
    const edited = await readFile(tmp);
    if (forceSave || existing === undefined || !existing.equals(edited)) {
      let prevMode: number | undefined;
      let prevOwner: { uid: number; gid: number } | undefined;
      try {
        const st = await stat(target);
        prevMode = st.mode & 0o7777;
        prevOwner = { uid: st.uid, gid: st.gid };
      } catch {
        // a new file
      }
      await writeData(encryptVault(edited, secret, vaultId), target, io, { shred: false, mode: prevMode ?? 0o600 });
      if (prevOwner) await chown(target, prevOwner.uid, prevOwner.gid).catch(() => undefined);
    }
  } finally {
    await shredFile(tmp).catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
  }
}

// ------------------------------------------------------------------ actions

function withFile(err: unknown, file: string): never {
  if (err instanceof TsbookError) throw new VaultError(`${err.message} for ${file}`, { cause: err });
  throw err;
}

function decryptOrExplain(data: Buffer, secrets: readonly VaultSecret[], file: string, vaultIdMatch: boolean) {
  const text = data.toString('utf8');
  return decryptVaultDetailed(text, secrets, file, { vaultIdMatch });
}

function vaultIdMatchOf(config: EffectiveConfig): boolean {
  const v = config.settings.vaultIdMatch.value;
  return typeof v === 'string' ? v !== '' : v;
}

async function doEncrypt(files: readonly string[], options: VaultCliOptions, secrets: Secrets, io: VaultIo): Promise<void> {
  if (files.length === 0 && io.stdinIsTTY) io.writeStderr('Reading plaintext input from stdin\n');
  for (const f of files.length > 0 ? files : ['-']) {
    const path = await realPath(f, io);
    const plaintext = await readSource(path, io);
    const out = encryptVault(plaintext, secrets.encrypt!, secrets.encrypt!.id);
    await writeData(out, options.output ?? path, io, { shred: true });
  }
  if (io.stdoutIsTTY) io.writeStderr('Encryption successful\n');
}

async function doDecrypt(files: readonly string[], options: VaultCliOptions, secrets: Secrets, io: VaultIo, match: boolean): Promise<void> {
  if (files.length === 0 && io.stdinIsTTY) io.writeStderr('Reading ciphertext input from stdin\n');
  for (const f of files.length > 0 ? files : ['-']) {
    const path = await realPath(f, io);
    const data = await readSource(path, io);
    let plaintext: Buffer;
    try {
      plaintext = decryptOrExplain(data, secrets.read, path, match).plaintext;
    } catch (err) {
      withFile(err, path);
    }
    await writeData(plaintext, options.output ?? path, io, { shred: false });
  }
  if (io.stdoutIsTTY) io.writeStderr('Decryption successful\n');
}

function page(text: string, io: VaultIo): void {
  if (!io.stdoutIsTTY) {
    io.writeStdout(text.endsWith('\n') ? text : `${text}\n`);
    return;
  }
  const pager = io.env.PAGER ?? (spawnSync('less', ['--version'], { stdio: 'ignore' }).status === 0 ? 'less' : undefined);
  if (pager === undefined) {
    io.writeStdout(text.endsWith('\n') ? text : `${text}\n`);
    return;
  }
  spawnSync('/bin/sh', ['-c', pager], { input: text, stdio: ['pipe', 'inherit', 'inherit'], env: { LESS: 'FRSX', ...io.env } });
}

async function doView(files: readonly string[], secrets: Secrets, io: VaultIo, match: boolean): Promise<void> {
  for (const f of files) {
    const data = await readSource(f, io);
    let plaintext: Buffer;
    try {
      plaintext = decryptOrExplain(data, secrets.read, f, match).plaintext;
    } catch (err) {
      withFile(err, f);
    }
    page(plaintext.toString('utf8'), io);
  }
}

async function doEdit(files: readonly string[], secrets: Secrets, io: VaultIo, match: boolean): Promise<void> {
  for (const f of files) {
    const path = await realPath(f, io);
    const data = await readSource(path, io);
    let result;
    try {
      result = decryptVaultDetailed(data.toString('utf8'), secrets.read, undefined, { vaultIdMatch: match });
    } catch (err) {
      withFile(err, path);
    }
    const envelope = parseVaultEnvelope(data.toString('utf8'), path);
    await editInTemp(path, result.secretUsed, envelope.vaultId ?? 'default', result.plaintext, envelope.cipher !== 'AES256', io);
  }
}

async function doCreate(files: readonly string[], secrets: Secrets, io: VaultIo): Promise<void> {
  if (files.length !== 1) throw new UsageError('ansible-vault create can take only one filename argument');
  const file = files[0]!;
  const dir = dirname(file);
  if (dir && dir !== '.') {
    try {
      await stat(abs(io, dir));
    } catch {
      io.writeStderr(`[WARNING]: ${dir} does not exist, creating...\n`);
      await mkdir(abs(io, dir), { recursive: true });
    }
  }
  try {
    if ((await stat(abs(io, file))).isFile()) throw new VaultError(`${file} exists, please use 'edit' instead`);
  } catch (err) {
    if (err instanceof VaultError) throw err;
  }
  await editInTemp(abs(io, file), secrets.encrypt!, secrets.encrypt!.id, undefined, false, io);
}

async function doRekey(files: readonly string[], secrets: Secrets, io: VaultIo, match: boolean): Promise<void> {
  for (const f of files) {
    const path = await realPath(f, io);
    let prev;
    try {
      prev = await stat(path);
    } catch (err) {
      throw new VaultError(`${errnoText(err, path)}`);
    }
    const data = await readSource(path, io);
    let plaintext: Buffer;
    try {
      plaintext = decryptVaultDetailed(data.toString('utf8'), secrets.read, undefined, { vaultIdMatch: match }).plaintext;
    } catch (err) {
      withFile(err, path);
    }
    const secret = secrets.newEncrypt!;
    await writeData(encryptVault(plaintext, secret, secret.id), path, io, { shred: true, mode: prev.mode & 0o7777 });
    await chown(path, prev.uid, prev.gid).catch(() => undefined);
  }
  io.writeStderr('Rekey successful\n');
}

type Plain = { readonly text: Buffer; readonly from: string; readonly name?: string };

async function doEncryptString(args: readonly string[], options: VaultCliOptions, secrets: Secrets, io: VaultIo): Promise<void> {
  const readStdin = args.includes('-') || args.length === 0 || options.stdinName !== undefined;
  if (options.prompt && readStdin) throw new UsageError('The --prompt option is not supported if also reading input from stdin');
  const plain: Plain[] = [];
  if (options.prompt) {
    const answer = await io.promptLine('Variable name (enter for no name): ');
    const name = answer === '' ? undefined : answer;
    const hidden = !options.showInput;
    const value = hidden ? await io.promptSecret('String to encrypt (hidden): ') : await io.promptLine('String to encrypt:');
    if (value === '') throw new UsageError('The plaintext provided from the prompt was empty, not encrypting');
    plain.push({ text: Buffer.from(value, 'utf8'), from: 'the interactive prompt', name });
  }
  if (readStdin) {
    if (io.stdoutIsTTY) io.writeStderr('Reading plaintext input from stdin. (ctrl-d to end input, twice if your content does not already have a newline)\n');
    const text = await io.readStdin();
    if (text.length === 0) throw new UsageError('stdin was empty, not encrypting');
    if (io.stdoutIsTTY && !text.toString('utf8').endsWith('\n')) io.writeStderr('\n');
    plain.push({ text, from: 'stdin', name: options.stdinName });
  }
  const rest = args.filter((a) => a !== '-');
  const names = options.name ?? [];
  if (names.length > 0 && rest.length > names.length) {
    io.writeStderr('The number of --name options do not match the number of args.\n');
    io.writeStderr(`The last named variable will be "${names[names.length - 1]}". The rest will not have names.\n`);
  }
  rest.forEach((text, i) => {
    if (text === '') throw new UsageError('The plaintext provided from the command line args was empty, not encrypting');
    plain.push({ text: Buffer.from(text, 'utf8'), from: 'the command line args', name: names[i] });
  });
  const secret = secrets.encrypt!;
  const outs = plain.map((p, index) => {
    if (plain.length > 1) {
      io.writeStderr(
        p.name
          ? `# The encrypted version of variable ("${p.name}", the string #${index + 1} from ${p.from}).\n`
          : `# The encrypted version of the string #${index + 1} from ${p.from}.)\n`,
      );
    }
    return formatEncryptedString(encryptVault(p.text, secret, secret.id), p.name);
  });
  await writeData(outs.join('\n'), options.output ?? '-', io, { shred: true });
  if (io.stdoutIsTTY) io.writeStderr('Encryption successful\n');
}

/** Runs one `tsbook vault` action; resolves to the exit code, throws TsbookError for user errors. */
export async function runVaultCommand(action: VaultAction, args: readonly string[], options: VaultCliOptions, io: VaultIo = processIo()): Promise<number> {
  if (options.output !== undefined && args.length > 1) throw new UsageError('At most one input file may be used with the --output option');
  if (options.output !== undefined) options = { ...options, output: abs(io, options.output) };
  const config = await loadConfig({ cwd: io.cwd, env: io.env });
  for (const w of config.warnings) io.writeStderr(`[WARNING]: ${w}\n`);
  const secrets = await setupSecrets(action, options, config, io);
  const match = vaultIdMatchOf(config);
  switch (action) {
    case 'encrypt':
      await doEncrypt(args, options, secrets, io);
      break;
    case 'decrypt':
      await doDecrypt(args, options, secrets, io, match);
      break;
    case 'view':
      await doView(args, secrets, io, match);
      break;
    case 'edit':
      await doEdit(args, secrets, io, match);
      break;
    case 'create':
      await doCreate(args, secrets, io);
      break;
    case 'rekey':
      await doRekey(args, secrets, io, match);
      break;
    case 'encrypt_string':
      await doEncryptString(args, options, secrets, io);
      break;
  }
  return 0;
}

// ------------------------------------------------------------------ commander

function addCommonOptions(cmd: Command): Command {
  return addVaultOptions(cmd).option('-v, --verbose', 'more output', (_v: string, prev: number | undefined) => (prev ?? 0) + 1);
}

const ACTIONS: readonly { name: VaultAction; description: string; arg: string; output?: boolean; encryptId?: boolean }[] = [
  { name: 'create', description: 'Create new vault encrypted file', arg: '[file_name...]', encryptId: true },
  { name: 'decrypt', description: 'Decrypt vault encrypted file', arg: '[file_name...]', output: true },
  { name: 'edit', description: 'Edit vault encrypted file', arg: '[file_name...]', encryptId: true },
  { name: 'view', description: 'View vault encrypted file', arg: '[file_name...]' },
  { name: 'encrypt', description: 'Encrypt YAML file', arg: '[file_name...]', output: true, encryptId: true },
  { name: 'encrypt_string', description: 'Encrypt a string', arg: '[string_to_encrypt...]', output: true, encryptId: true },
  { name: 'rekey', description: 'Re-key a vault encrypted file', arg: '[file_name...]', encryptId: true },
];

/** Adds `tsbook vault <action>` (ansible-vault). */
export function registerVault(program: Command, io: () => VaultIo = processIo): void {
  const vault = program
    .command('vault')
    .description('Encrypt and decrypt Ansible Vault files and strings (like ansible-vault)')
    .addHelpText('after', `\nSee 'tsbook vault <command> --help' for more information on a specific command.`);
  for (const a of ACTIONS) {
    const cmd = vault.command(a.name).description(a.description).argument(a.arg);
    addCommonOptions(cmd);
    if (a.output) cmd.option('--output <file>', 'output file name for encrypt or decrypt; use - for stdout');
    if (a.encryptId) cmd.option('--encrypt-vault-id <id>', 'the vault id used to encrypt (required if more than one vault-id is provided)');
    if (a.name === 'encrypt_string') {
      cmd
        .option('-p, --prompt', 'prompt for the string to encrypt')
        .option('--show-input', 'do not hide input when prompted for the string to encrypt')
        .option('-n, --name <name>', 'specify the variable name (repeatable)', collect)
        .option('--stdin-name <name>', 'specify the variable name for stdin');
    }
    if (a.name === 'rekey') {
      cmd
        .option('--new-vault-password-file <file>', 'new vault password file for rekey')
        .option('--new-vault-id <id>', 'the new vault identity to use for rekey');
    }
    cmd.action(async (args: string[], options: VaultCliOptions) => {
      if (options.newVaultPasswordFile !== undefined && options.newVaultId !== undefined) {
        throw new UsageError('argument --new-vault-id: not allowed with argument --new-vault-password-file');
      }
      if ((options.askVaultPassword || options.askVaultPass) && ((options.vaultPasswordFile?.length ?? 0) > 0 || (options.vaultPassFile?.length ?? 0) > 0)) {
        throw new UsageError('argument --vault-password-file/--vault-pass-file: not allowed with argument --ask-vault-password/--ask-vault-pass');
      }
      process.exitCode = await runVaultCommand(a.name, args, options, io());
    });
    cmd.exitOverride();
  }
  vault.exitOverride();
}

// ------------------------------------------------------------------ tsbook run / adhoc

/** The vault flags of `tsbook run` and the ad-hoc verbs, as commander parses them. */
export interface VaultRunOptions {
  readonly vaultId?: string[];
  readonly vaultPasswordFile?: string[];
  readonly vaultPassFile?: string[];
  readonly askVaultPassword?: boolean;
  readonly askVaultPass?: boolean;
}

/** Adds ansible-playbook's vault flags: --vault-id, --vault-password-file (--vault-pass-file), -J/--ask-vault-password (--ask-vault-pass). */
export function addVaultOptions(cmd: Command): Command {
  return cmd
    .option('--vault-id <id>', 'the vault identity to use: label@file, label@script or label@prompt (repeatable)', collect)
    .option('--vault-password-file <file>', 'vault password file or executable script (repeatable)', collect)
    .addOption(new Option('--vault-pass-file <file>').hideHelp().argParser(collect))
    .option('-J, --ask-vault-password', 'ask for vault password')
    .addOption(new Option('--ask-vault-pass').hideHelp());
}

/**
 * The keyring for a playbook or ad-hoc run (CLI._play_prereqs: no automatic prompt), with ansible.cfg's
 * vault settings, installed as the whole-file decryptor so every vaulted file the loader reads is
 * decrypted in memory. Pass `keyring.decryptVaultText` as the Templar's `decryptVault`.
 */
export async function keyringForRun(
  options: VaultRunOptions,
  config: EffectiveConfig,
  io: { prompt?: SecretPrompt; onWarning?: (message: string) => void; cwd?: string } = {},
): Promise<VaultKeyring> {
  const s = config.settings;
  const askVaultPass = Boolean(options.askVaultPassword || options.askVaultPass || s.askVaultPass.value);
  const files = [...(options.vaultPasswordFile ?? []), ...(options.vaultPassFile ?? [])];
  if ((options.askVaultPassword || options.askVaultPass) && files.length > 0) {
    throw new UsageError('argument --vault-password-file/--vault-pass-file: not allowed with argument --ask-vault-password/--ask-vault-pass');
  }
  const vaultIdMatch = typeof s.vaultIdMatch.value === 'string' ? s.vaultIdMatch.value !== '' : s.vaultIdMatch.value;
  const keyring = await VaultKeyring.fromOptions({
    vaultIds: options.vaultId ?? [],
    vaultPasswordFiles: files,
    askVaultPass,
    identityList: s.vaultIdentityList.value,
    configPasswordFile: s.vaultPasswordFile.value ?? undefined,
    defaultIdentity: s.vaultIdentity.value ?? 'default',
    autoPrompt: false,
    prompt: io.prompt ?? promptSecret,
    onWarning: io.onWarning,
    cwd: io.cwd,
    vaultIdMatch,
  });
  keyring.installAsFileDecryptor();
  return keyring;
}
