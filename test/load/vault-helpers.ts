/** Shared by the vault and config tests: the ansible-core oracle, temp dirs, an in-memory VaultIo. */
import { execFileSync, spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { VaultIo } from '../../src/cli/vault.js';

function which(bin: string): string | undefined {
  const r = spawnSync('sh', ['-c', `command -v ${bin}`], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : undefined;
}

export const ANSIBLE_VAULT = which('ansible-vault');
export const ANSIBLE_CONFIG_BIN = which('ansible-config');

/** The Python ansible-vault runs with (its shebang), for calling VaultLib directly. */
export const PYTHON: string | undefined = (() => {
  if (!ANSIBLE_VAULT) return undefined;
  const first = readFileSync(ANSIBLE_VAULT, 'utf8').split('\n', 1)[0] ?? '';
  const m = /^#!\s*(\S+)(?:\s+(\S+))?/.exec(first);
  if (!m) return 'python3';
  return m[1]!.endsWith('/env') ? (m[2] ?? 'python3') : m[1]!;
})();

/** Locally a missing ansible skips the differential tests; in CI it fails them. */
export const RUN_ORACLE = Boolean(ANSIBLE_VAULT) || Boolean(process.env.CI);

/** A private (0700) temp dir; `cleanup()` removes it. */
export function tempDir(prefix = 'tsbook-vault-test-'): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  chmodSync(dir, 0o700);
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** The environment for ansible-* runs: no user config, no color. */
export function ansibleEnv(home: string, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, HOME: home, ANSIBLE_NOCOLOR: '1', ANSIBLE_RETRY_FILES_ENABLED: '0', ...extra };
  for (const k of Object.keys(env)) if (k.startsWith('ANSIBLE_') && !(k in extra) && k !== 'ANSIBLE_NOCOLOR' && k !== 'ANSIBLE_RETRY_FILES_ENABLED') delete env[k];
  return env;
}

export function runAnsibleVault(args: readonly string[], cwd: string, input?: string | Buffer, extraEnv: NodeJS.ProcessEnv = {}): SpawnSyncReturns<string> {
  if (!ANSIBLE_VAULT) throw new Error('ansible-vault is not installed (required in CI)');
  return spawnSync(ANSIBLE_VAULT, args as string[], { cwd, env: ansibleEnv(cwd, extraEnv), input, encoding: 'utf8' });
}

/** Ansible's own VaultLib.encrypt with a fixed salt (hex), for byte-for-byte comparisons. */
export function pythonEncrypt(plaintext: string, password: string, saltHex: string, vaultId?: string): string {
  if (!PYTHON) throw new Error('ansible-vault is not installed (required in CI)');
  const script = [
    'import sys, binascii',
    'from ansible.parsing.vault import VaultLib, VaultSecret',
    'pt, pw, salt, vid = sys.argv[1:5]',
    "v = VaultLib([('default', VaultSecret(pw.encode()))])",
    "sys.stdout.write(v.encrypt(pt.encode(), VaultSecret(pw.encode()), vault_id=(vid or None), salt=binascii.unhexlify(salt)).decode())",
  ].join('\n');
  return execFileSync(PYTHON, ['-c', script, plaintext, password, saltHex, vaultId ?? ''], { encoding: 'utf8' });
}

export interface MemIo extends VaultIo {
  readonly out: Buffer[];
  readonly err: string[];
  stdout(): string;
  stderr(): string;
}

/** An in-memory VaultIo: stdin from `stdin`, prompts answered from `answers` in order. */
export function memIo(cwd: string, options: { stdin?: string | Buffer; answers?: string[]; env?: NodeJS.ProcessEnv; tty?: boolean } = {}): MemIo {
  const out: Buffer[] = [];
  const err: string[] = [];
  const answers = [...(options.answers ?? [])];
  const prompts: string[] = [];
  const ask = async (q: string) => {
    prompts.push(q);
    const a = answers.shift();
    if (a === undefined) throw new Error(`unexpected prompt: ${q}`);
    return a;
  };
  return {
    out,
    err,
    readStdin: async () => Buffer.from(options.stdin ?? ''),
    writeStdout: (d) => void out.push(Buffer.from(d)),
    writeStderr: (t) => void err.push(t),
    stdinIsTTY: options.tty ?? false,
    stdoutIsTTY: options.tty ?? false,
    promptSecret: ask,
    promptLine: ask,
    env: options.env ?? { HOME: cwd, PATH: process.env.PATH },
    cwd,
    stdout: () => Buffer.concat(out).toString('utf8'),
    stderr: () => err.join(''),
  };
}
