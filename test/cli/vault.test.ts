/** `tsbook vault` against `ansible-vault`: outputs, files and exit codes. A missing ansible fails in CI. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { chmodSync, existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Command, CommanderError } from 'commander';
import { registerVault } from '../../src/cli/vault.js';
import { describeError, exitCodeFor } from '../../src/cli/exit.js';
import { decryptVault, encryptVault } from '../../src/load/vault.js';
import { memIo, runAnsibleVault, RUN_ORACLE, tempDir, type MemIo } from '../load/vault-helpers.js';

interface Run {
  readonly status: number;
  readonly stdout: string;
  readonly stderr: string;
}

async function tsbookVault(args: string[], io: MemIo): Promise<Run> {
  const program = new Command('tsbook').exitOverride();
  program.configureOutput({ writeErr: (s) => io.writeStderr(s), writeOut: (s) => io.writeStdout(s) });
  registerVault(program, () => io);
  const before = process.exitCode;
  let status = 0;
  try {
    await program.parseAsync(['node', 'tsbook', 'vault', ...args]);
    status = Number(process.exitCode ?? 0);
  } catch (err) {
    if (err instanceof CommanderError) status = 5;
    else {
      io.writeStderr(`${describeError(err, false)}\n`);
      status = exitCodeFor(err);
    }
  } finally {
    process.exitCode = before;
  }
  return { status, stdout: io.stdout(), stderr: io.stderr() };
}

/** Hex lines of vault envelopes replaced, so two encryptions compare equal. */
const maskCiphertext = (s: string) => s.replace(/^(\s*)[0-9a-f]{2,80}$/gm, '$1<hex>');

const sec = (password: string, id = 'default') => ({ id, password: Buffer.from(password) });

describe.runIf(RUN_ORACLE)('tsbook vault vs ansible-vault', () => {
  let t: { dir: string; cleanup: () => void };
  const path = (name: string) => join(t.dir, name);
  beforeEach(() => {
    t = tempDir();
    writeFileSync(path('pw1'), 'one\n');
    writeFileSync(path('pw2'), 'two\n');
  });
  afterEach(() => t.cleanup());

  it('encrypt: in place, mode 0600, silent off a TTY, readable by ansible-vault', async () => {
    writeFileSync(path('f.yml'), 'a: 1\n', { mode: 0o644 });
    const r = await tsbookVault(['encrypt', '--vault-password-file', 'pw1', 'f.yml'], memIo(t.dir));
    expect(r).toEqual({ status: 0, stdout: '', stderr: '' });
    expect(statSync(path('f.yml')).mode & 0o777).toBe(0o600);
    writeFileSync(path('g.yml'), 'a: 1\n', { mode: 0o644 });
    const a = runAnsibleVault(['encrypt', '--vault-password-file', 'pw1', 'g.yml'], t.dir);
    expect([a.status, a.stdout, a.stderr]).toEqual([0, '', '']);
    expect(statSync(path('g.yml')).mode & 0o777).toBe(0o600);
    const view = runAnsibleVault(['view', '--vault-password-file', 'pw1', 'f.yml'], t.dir);
    expect(view.stdout).toBe('a: 1\n');
  });

  it('encrypt from stdin with --output - writes the envelope to stdout', async () => {
    const r = await tsbookVault(['encrypt', '--vault-id', 'ci@pw2', '--output', '-'], memIo(t.dir, { stdin: 'from stdin\n' }));
    expect(r.status).toBe(0);
    expect(r.stdout.split('\n')[0]).toBe('$ANSIBLE_VAULT;1.2;AES256;ci');
    writeFileSync(path('out.vault'), r.stdout);
    expect(runAnsibleVault(['view', '--vault-id', 'ci@pw2', 'out.vault'], t.dir).stdout).toBe('from stdin\n');
  });

  it('decrypt and view of ansible-vault files; decrypt writes plaintext 0600', async () => {
    writeFileSync(path('s.yml'), 'k: v\n');
    runAnsibleVault(['encrypt', '--vault-id', 'prod@pw2', 's.yml'], t.dir);
    const view = await tsbookVault(['view', '--vault-id', 'prod@pw2', 's.yml'], memIo(t.dir));
    expect(view).toEqual({ status: 0, stdout: 'k: v\n', stderr: '' });
    const dec = await tsbookVault(['decrypt', '--vault-password-file', 'pw2', 's.yml'], memIo(t.dir));
    expect(dec.status).toBe(0);
    expect(readFileSync(path('s.yml'), 'utf8')).toBe('k: v\n');
    expect(statSync(path('s.yml')).mode & 0o777).toBe(0o600);
  });

  it('a wrong password: same message and exit code 1 for view and decrypt', async () => {
    writeFileSync(path('w.yml'), encryptVault('x: 1\n', sec('one')));
    for (const args of [
      ['view', '--vault-password-file', 'pw2', 'w.yml'],
      ['decrypt', '--vault-password-file', 'pw2', 'w.yml'],
    ]) {
      const ours = await tsbookVault(args, memIo(t.dir));
      const theirs = runAnsibleVault(args, t.dir);
      expect(theirs.status).toBe(1);
      expect(ours.status).toBe(1);
      expect(ours.stderr).toBe(theirs.stderr);
      expect(ours.stderr).toMatch(/^ERROR! Decryption failed \(no vault secrets were found that could decrypt\) on .* for .*\n$/);
    }
    expect(readFileSync(path('w.yml'), 'utf8')).toMatch(/^\$ANSIBLE_VAULT/);
  });

  it('a missing file and a missing password file fail like ansible-vault', async () => {
    const missing = ['view', '--vault-password-file', 'pw1', 'nonexist'];
    const ours = await tsbookVault(missing, memIo(t.dir));
    const theirs = runAnsibleVault(missing, t.dir);
    expect([ours.status, ours.stderr]).toEqual([theirs.status, theirs.stderr]);
    writeFileSync(path('e.yml'), encryptVault('x', sec('one')));
    const nopw = ['view', '--vault-password-file', 'nope', 'e.yml'];
    const o2 = await tsbookVault(nopw, memIo(t.dir));
    const t2 = runAnsibleVault(nopw, t.dir);
    expect(o2.status).toBe(t2.status);
    expect(o2.stderr.split('\n').at(-2)).toBe(t2.stderr.split('\n').at(-2));
    expect(o2.stderr).toContain('[WARNING]: Error getting vault password file (default): The vault password file');
  });

  it('encrypt_string: the same YAML block modulo ciphertext, names, delimiters on stderr, no final newline', async () => {
    const args = ['encrypt_string', '--vault-id', 'dev@pw1', '-n', 'first', 'alpha', 'beta'];
    const ours = await tsbookVault(args, memIo(t.dir));
    const theirs = runAnsibleVault(args, t.dir);
    expect(ours.status).toBe(0);
    expect(theirs.status).toBe(0);
    expect(maskCiphertext(ours.stdout)).toBe(maskCiphertext(theirs.stdout));
    expect(ours.stderr).toBe(theirs.stderr);
    expect(ours.stdout.endsWith('\n')).toBe(false);
    // and each block decrypts with ansible-vault's key
    const first = ours.stdout.split('\n').slice(1, 7).map((l) => l.trim()).join('\n');
    expect(decryptVault(first, [sec('one', 'dev')]).toString()).toBe('alpha');
  });

  it('encrypt_string from stdin with --stdin-name matches ansible-vault', async () => {
    const args = ['encrypt_string', '--vault-password-file', 'pw1', '--stdin-name', 'db_pass'];
    const ours = await tsbookVault(args, memIo(t.dir, { stdin: 'p4ss' }));
    const theirs = runAnsibleVault(args, t.dir, 'p4ss');
    expect(maskCiphertext(ours.stdout)).toBe(maskCiphertext(theirs.stdout));
    expect(ours.stdout.startsWith('db_pass: !vault |\n          $ANSIBLE_VAULT;1.1;AES256\n')).toBe(true);
    const empty = await tsbookVault(args, memIo(t.dir, { stdin: '' }));
    const theirsEmpty = runAnsibleVault(args, t.dir, '');
    expect(empty.status).toBe(5);
    expect(theirsEmpty.status).toBe(5);
    expect(empty.stderr).toBe('ERROR! stdin was empty, not encrypting\n');
    expect(theirsEmpty.stderr).toContain('ERROR! stdin was empty, not encrypting');
  });

  it('several vault ids without --encrypt-vault-id: usage error (exit 5); with it: that id', async () => {
    const bad = ['encrypt_string', '--vault-id', 'a@pw1', '--vault-id', 'b@pw2', 'x'];
    const ours = await tsbookVault(bad, memIo(t.dir));
    const theirs = runAnsibleVault(bad, t.dir);
    expect(ours.status).toBe(5);
    expect(theirs.status).toBe(5);
    expect(ours.stderr).toBe('ERROR! The vault-ids a,b are available to encrypt. Specify the vault-id to encrypt with --encrypt-vault-id\n');
    expect(theirs.stderr).toContain(ours.stderr.trim());
    const good = await tsbookVault([...bad.slice(0, -1), '--encrypt-vault-id', 'b', 'x'], memIo(t.dir));
    expect(good.stdout).toContain('$ANSIBLE_VAULT;1.2;AES256;b');
    const missing = await tsbookVault([...bad.slice(0, -1), '--encrypt-vault-id', 'c', 'x'], memIo(t.dir));
    expect(missing.status).toBe(1);
    expect(missing.stderr).toBe("ERROR! Did not find a match for --encrypt-vault-id=c in the known vault-ids ['a', 'b']\n");
  });

  it('rekey: new password, new vault id, mode preserved, "Rekey successful" on stderr', async () => {
    writeFileSync(path('r.yml'), encryptVault('rekey me\n', sec('one')), { mode: 0o640 });
    const r = await tsbookVault(['rekey', '--vault-password-file', 'pw1', '--new-vault-id', 'new@pw2', 'r.yml'], memIo(t.dir));
    expect(r).toEqual({ status: 0, stdout: '', stderr: 'Rekey successful\n' });
    expect(statSync(path('r.yml')).mode & 0o777).toBe(0o640);
    expect(readFileSync(path('r.yml'), 'utf8').split('\n')[0]).toBe('$ANSIBLE_VAULT;1.2;AES256;new');
    expect(runAnsibleVault(['view', '--vault-password-file', 'pw2', 'r.yml'], t.dir).stdout).toBe('rekey me\n');
    const r2 = await tsbookVault(['rekey', '--vault-password-file', 'pw2', '--new-vault-password-file', 'pw1', 'r.yml'], memIo(t.dir));
    expect(r2.status).toBe(0);
    expect(readFileSync(path('r.yml'), 'utf8').split('\n')[0]).toBe('$ANSIBLE_VAULT;1.1;AES256');
  });

  it('edit: $EDITOR gets a 0600 temp file in a private dir that is gone afterwards; the vault id is kept', async () => {
    writeFileSync(path('e.yml'), encryptVault('line1\n', sec('two', 'prod'), 'prod'));
    const editor = path('editor.sh');
    writeFileSync(editor, `#!/bin/sh\nstat -c '%a' "$1" > "${path('mode.log')}"\nstat -c '%a' "$(dirname "$1")" >> "${path('mode.log')}"\necho "$1" > "${path('path.log')}"\necho line2 >> "$1"\n`);
    chmodSync(editor, 0o755);
    const io = memIo(t.dir, { env: { HOME: t.dir, PATH: process.env.PATH, EDITOR: editor } });
    const r = await tsbookVault(['edit', '--vault-id', 'prod@pw2', 'e.yml'], io);
    expect(r.status).toBe(0);
    expect(readFileSync(path('mode.log'), 'utf8')).toBe('600\n700\n');
    const tmp = readFileSync(path('path.log'), 'utf8').trim();
    expect(tmp.endsWith('.yml')).toBe(true);
    expect(existsSync(tmp)).toBe(false);
    expect(existsSync(join(tmp, '..'))).toBe(false);
    const text = readFileSync(path('e.yml'), 'utf8');
    expect(text.split('\n')[0]).toBe('$ANSIBLE_VAULT;1.2;AES256;prod');
    expect(runAnsibleVault(['view', '--vault-id', 'prod@pw2', 'e.yml'], t.dir).stdout).toBe('line1\nline2\n');
  });

  it('edit without changes leaves the file untouched; create refuses an existing file', async () => {
    const original = encryptVault('same\n', sec('one'));
    writeFileSync(path('u.yml'), original);
    const env = { HOME: t.dir, PATH: process.env.PATH, EDITOR: 'true' };
    expect((await tsbookVault(['edit', '--vault-password-file', 'pw1', 'u.yml'], memIo(t.dir, { env }))).status).toBe(0);
    expect(readFileSync(path('u.yml'), 'utf8')).toBe(original);
    const exists = await tsbookVault(['create', '--vault-password-file', 'pw1', 'u.yml'], memIo(t.dir, { env }));
    expect(exists.status).toBe(1);
    expect(exists.stderr).toBe("ERROR! u.yml exists, please use 'edit' instead\n");
  });

  it('create: writes what the editor saved, encrypted, mode 0600', async () => {
    const editor = path('write.sh');
    writeFileSync(editor, '#!/bin/sh\nprintf "new: file\\n" > "$1"\n');
    chmodSync(editor, 0o755);
    const env = { HOME: t.dir, PATH: process.env.PATH, EDITOR: editor };
    const r = await tsbookVault(['create', '--vault-password-file', 'pw1', 'sub/new.yml'], memIo(t.dir, { env }));
    expect(r.status).toBe(0);
    expect(r.stderr).toBe('[WARNING]: sub does not exist, creating...\n');
    expect(statSync(path('sub/new.yml')).mode & 0o777).toBe(0o600);
    expect(runAnsibleVault(['view', '--vault-password-file', 'pw1', 'sub/new.yml'], t.dir).stdout).toBe('new: file\n');
  });

  it('prompts for a new password twice when nothing else is given', async () => {
    const io = memIo(t.dir, { answers: ['pp', 'pp'], stdin: 'data' });
    const r = await tsbookVault(['encrypt_string', '-n', 'v', 'value'], io);
    expect(r.status).toBe(0);
    const block = r.stdout.split('\n').slice(1).map((l) => l.trim()).join('\n');
    expect(decryptVault(block, [sec('pp')]).toString()).toBe('value');
  });

  it('--output with several files is a usage error', async () => {
    const r = await tsbookVault(['decrypt', '--vault-password-file', 'pw1', '--output', 'x', 'a', 'b'], memIo(t.dir));
    expect(r.status).toBe(5);
    expect(r.stderr).toBe('ERROR! At most one input file may be used with the --output option\n');
  });
});
