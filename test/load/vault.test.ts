import { afterEach, describe, expect, it } from 'vitest';
import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { VaultError } from '../../src/model/errors.js';
import { VaultText } from '../../src/model/values.js';
import {
  decryptVault,
  decryptVaultDetailed,
  encryptVault,
  formatEncryptedString,
  isVaultText,
  loadVaultSecrets,
  parseVaultEnvelope,
  redactSecrets,
  revealVaultValues,
  setVaultFileDecryptor,
  splitVaultId,
  VaultKeyring,
  type VaultSecret,
} from '../../src/load/vault.js';
import { parseYaml, toValue } from '../../src/load/yaml.js';
import { loadVarsFile } from '../../src/load/vars-files.js';
import { inventoryVarsFor, loadInventory } from '../../src/load/inventory.js';
import { mkdirSync } from 'node:fs';
import { Templar } from '../../src/template/index.js';
import { tempDir } from './vault-helpers.js';

const secret = (password: string, id = 'default'): VaultSecret => ({ id, password: Buffer.from(password) });

afterEach(() => setVaultFileDecryptor(undefined));

describe('vault format', () => {
  it('round-trips text and binary data, including empty input', () => {
    for (const data of ['hello', '', 'x'.repeat(16), 'héllo\nwörld\n', Buffer.from([0, 255, 128, 10])]) {
      const text = encryptVault(data, secret('pw'));
      expect(decryptVault(text, [secret('pw')])).toEqual(Buffer.isBuffer(data) ? data : Buffer.from(data));
    }
  });

  it('writes a 1.1 header without a vault id (or with "default") and 1.2 with one', () => {
    expect(encryptVault('a', secret('pw')).split('\n')[0]).toBe('$ANSIBLE_VAULT;1.1;AES256');
    expect(encryptVault('a', secret('pw'), 'default').split('\n')[0]).toBe('$ANSIBLE_VAULT;1.1;AES256');
    expect(encryptVault('a', secret('pw'), 'prod').split('\n')[0]).toBe('$ANSIBLE_VAULT;1.2;AES256;prod');
  });

  it('formats 80-column hex lines with a trailing newline, and a random salt each time', () => {
    const text = encryptVault('some longer plaintext that spans several lines of hex output', secret('pw'));
    const lines = text.split('\n');
    expect(lines.at(-1)).toBe('');
    for (const line of lines.slice(1, -2)) expect(line).toMatch(/^[0-9a-f]{80}$/);
    expect(lines.at(-2)).toMatch(/^[0-9a-f]{1,80}$/);
    expect(encryptVault('same', secret('pw'))).not.toBe(encryptVault('same', secret('pw')));
  });

  it('is deterministic for a given salt and hides a salt/hmac/ciphertext triple', () => {
    const salt = Buffer.alloc(32, 7);
    const a = encryptVault('data', secret('pw'), undefined, salt);
    expect(encryptVault('data', secret('pw'), undefined, salt)).toBe(a);
    const inner = Buffer.from(parseVaultEnvelope(a).body, 'hex').toString('latin1').split('\n');
    expect(inner).toHaveLength(3);
    expect(inner[0]).toBe(salt.toString('hex'));
    expect(inner[1]).toMatch(/^[0-9a-f]{64}$/);
    expect(inner[2]).toMatch(/^[0-9a-f]{32}$/); // 4 bytes padded to one AES block
  });

  it('refuses to encrypt vault data twice and vault ids with ";"', () => {
    const once = encryptVault('x', secret('pw'));
    expect(() => encryptVault(once, secret('pw'))).toThrow('input is already encrypted');
    expect(() => encryptVault('x', secret('pw'), 'a;b')).toThrow("The character ';' is not allowed in vault ids");
  });

  it('fails with Ansible\'s message on a wrong password, naming the file', () => {
    const text = encryptVault('x', secret('right'));
    let err: unknown;
    try {
      decryptVault(text, [secret('wrong')], '/srv/vars.yml');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(VaultError);
    expect((err as VaultError).message).toBe('Decryption failed (no vault secrets were found that could decrypt) on /srv/vars.yml');
    expect(() => decryptVault(text, [secret('wrong')])).toThrow(/^Decryption failed \(no vault secrets were found that could decrypt\)$/);
    expect(() => decryptVault(text, [])).toThrow('Attempting to decrypt but no vault secrets found');
  });

  it('detects tampering through the HMAC', () => {
    const text = encryptVault('attack at dawn', secret('pw'));
    const env = parseVaultEnvelope(text);
    const inner = Buffer.from(env.body, 'hex').toString('latin1').split('\n');
    const ct = inner[2]!;
    inner[2] = (ct[0] === '0' ? '1' : '0') + ct.slice(1);
    const forged = `$ANSIBLE_VAULT;1.1;AES256\n${Buffer.from(inner.join('\n'), 'latin1').toString('hex')}\n`;
    expect(() => decryptVault(forged, [secret('pw')])).toThrow('Decryption failed');
  });

  it('tries every secret: the matching vault id first, then the others', () => {
    const text = encryptVault('payload', secret('p2', 'prod'), 'prod');
    const r = decryptVaultDetailed(text, [secret('p1', 'dev'), secret('p2', 'other')]);
    expect(r.plaintext.toString()).toBe('payload');
    expect(r.vaultIdUsed).toBe('other');
    expect(r.envelopeVaultId).toBe('prod');
    expect(() => decryptVaultDetailed(text, [secret('p2', 'other')], undefined, { vaultIdMatch: true })).toThrow('Decryption failed');
    expect(decryptVaultDetailed(text, [secret('p1', 'prod'), secret('p2', 'prod')], undefined, { vaultIdMatch: true }).plaintext.toString()).toBe('payload');
  });

  it('reports envelope and hex format errors', () => {
    expect(() => decryptVault('$ANSIBLE_VAULT;1.1;AES256\nabc\n', [secret('pw')])).toThrow('Vault format unhexlify error: Odd-length string');
    expect(() => decryptVault('$ANSIBLE_VAULT;1.1;AES256\nzz\n', [secret('pw')])).toThrow('Vault format unhexlify error: Non-hexadecimal digit found');
    expect(() => decryptVault('$ANSIBLE_VAULT;1.1;AES256\n6161\n', [secret('pw')])).toThrow('not enough values to unpack (expected 3, got 1)');
    expect(() => decryptVault('$ANSIBLE_VAULT;1.1;AES128\n6161\n', [secret('pw')])).toThrow('AES128 cipher could not be found');
    expect(() => decryptVault('not vault', [secret('pw')], 'f.yml')).toThrow('input is not vault encrypted data. f.yml is not a vault encrypted file');
  });

  it('accepts CRLF line endings and uppercase hex, as Python does', () => {
    const text = encryptVault('crlf', secret('pw'));
    const crlf = text.split('\n').map((l, i) => (i === 0 ? l : l.toUpperCase())).join('\r\n');
    expect(decryptVault(crlf, [secret('pw')]).toString()).toBe('crlf');
  });

  it('isVaultText needs the header and pure ASCII', () => {
    expect(isVaultText('$ANSIBLE_VAULT;1.1;AES256\n00\n')).toBe(true);
    expect(isVaultText(Buffer.from('$ANSIBLE_VAULT;1.1;AES256\n00\n'))).toBe(true);
    expect(isVaultText('$ANSIBLE_VAULT;1.1;AES256\né')).toBe(false);
    expect(isVaultText(' $ANSIBLE_VAULT')).toBe(false);
    expect(isVaultText('plain: yaml')).toBe(false);
  });

  it('formats encrypt_string blocks with a 10-space indent', () => {
    const v = encryptVault('s', secret('pw'));
    const block = formatEncryptedString(v, 'db_pass');
    const lines = block.split('\n');
    expect(lines[0]).toBe('db_pass: !vault |');
    expect(lines[1]).toBe('          $ANSIBLE_VAULT;1.1;AES256');
    expect(block.endsWith('\n')).toBe(false);
    expect(formatEncryptedString(v).split('\n')[0]).toBe('!vault |');
    // and it parses back as an inline vault value that decrypts
    const file = parseYaml('/x.yml', block);
    const value = (toValue(file, file.doc.contents as never) as Record<string, unknown>).db_pass;
    expect(value).toBeInstanceOf(VaultText);
    expect(new VaultKeyring([secret('pw')]).decryptVaultText(value as VaultText)).toBe('s');
  });
});

describe('vault secrets (setup_vault_secrets)', () => {
  it('splits vault ids on the first @', () => {
    expect(splitVaultId('dev@a@b')).toEqual({ label: 'dev', source: 'a@b' });
    expect(splitVaultId('file')).toEqual({ source: 'file' });
  });

  it('reads password files stripped of whitespace, scripts stripped of CR/LF only', async () => {
    const t = tempDir();
    try {
      writeFileSync(join(t.dir, 'pw'), '  two\nlines \n\n');
      writeFileSync(join(t.dir, 'script.sh'), '#!/bin/sh\nprintf " spaced \\n"\n');
      chmodSync(join(t.dir, 'script.sh'), 0o755);
      const secrets = await loadVaultSecrets({ vaultIds: ['dev@script.sh'], vaultPasswordFiles: ['pw'], cwd: t.dir });
      expect(secrets.map((s) => [s.id, s.password.toString()])).toEqual([
        ['dev', ' spaced '],
        ['default', 'two\nlines'],
      ]);
    } finally {
      t.cleanup();
    }
  });

  it('passes --vault-id LABEL to *-client scripts and reports their exit codes', async () => {
    const t = tempDir();
    try {
      writeFileSync(join(t.dir, 'pass-client.sh'), '#!/bin/sh\n[ "$1" = --vault-id ] || exit 9\n[ "$2" = prod ] && { echo "pw-$2"; exit 0; }\necho "no $2" >&2\nexit 2\n');
      chmodSync(join(t.dir, 'pass-client.sh'), 0o755);
      const ok = await loadVaultSecrets({ vaultIds: ['prod@pass-client.sh'], cwd: t.dir });
      expect(ok[0]!.password.toString()).toBe('pw-prod');
      await expect(loadVaultSecrets({ vaultIds: ['dev@pass-client.sh'], cwd: t.dir })).rejects.toThrow(
        `Vault password client script ${join(t.dir, 'pass-client.sh')} did not find a secret for vault-id=dev: b'no dev\\n'`,
      );
    } finally {
      t.cleanup();
    }
  });

  it('warns about a missing or failing source while another works, fails when none does', async () => {
    const t = tempDir();
    try {
      writeFileSync(join(t.dir, 'good'), 'pw\n');
      writeFileSync(join(t.dir, 'empty'), '\n');
      writeFileSync(join(t.dir, 'fail.sh'), '#!/bin/sh\nexit 3\n');
      chmodSync(join(t.dir, 'fail.sh'), 0o755);
      const warnings: string[] = [];
      const secrets = await loadVaultSecrets({ vaultIds: ['x@missing', 'good'], cwd: t.dir, onWarning: (m) => warnings.push(m) });
      expect(secrets.map((s) => s.id)).toEqual(['default']);
      expect(warnings).toEqual([`Error getting vault password file (x): The vault password file ${join(t.dir, 'missing')} was not found`]);
      await expect(loadVaultSecrets({ vaultPasswordFiles: ['missing'], cwd: t.dir })).rejects.toThrow(`The vault password file ${join(t.dir, 'missing')} was not found`);
      await expect(loadVaultSecrets({ vaultPasswordFiles: ['empty'], cwd: t.dir })).rejects.toThrow(`Invalid vault password was provided from file (${join(t.dir, 'empty')})`);
      await expect(loadVaultSecrets({ vaultPasswordFiles: ['fail.sh'], cwd: t.dir })).rejects.toThrow(`Vault password script ${join(t.dir, 'fail.sh')} returned non-zero (3): None`);
    } finally {
      t.cleanup();
    }
  });

  it('decrypts a vaulted password file with a secret given before it', async () => {
    const t = tempDir();
    try {
      writeFileSync(join(t.dir, 'outer'), 'outer-pw');
      writeFileSync(join(t.dir, 'inner'), encryptVault('inner-pw\n', secret('outer-pw')));
      const secrets = await loadVaultSecrets({ vaultIds: ['a@outer', 'b@inner'], cwd: t.dir });
      expect(secrets.map((s) => s.password.toString())).toEqual(['outer-pw', 'inner-pw']);
    } finally {
      t.cleanup();
    }
  });

  it('prompts for --ask-vault-pass and label@prompt (twice, confirmed, for new passwords)', async () => {
    const questions: string[] = [];
    const answers = ['a1', 'p1', 'p1'];
    const prompt = async (q: string) => {
      questions.push(q);
      return answers.shift()!;
    };
    const s1 = await loadVaultSecrets({ askVaultPass: true, prompt });
    expect(s1).toEqual([{ id: 'default', password: Buffer.from('a1') }]);
    const s2 = await loadVaultSecrets({ vaultIds: ['prod@prompt'], createNewPassword: true, prompt });
    expect(s2).toEqual([{ id: 'prod', password: Buffer.from('p1') }]);
    expect(questions).toEqual(['Vault password: ', 'New vault password (prod): ', 'Confirm new vault password (prod): ']);
    const mismatch = ['x', 'y'];
    await expect(loadVaultSecrets({ askVaultPass: true, createNewPassword: true, prompt: async () => mismatch.shift()! })).rejects.toThrow('Passwords do not match');
    await expect(loadVaultSecrets({ askVaultPass: true, prompt: async () => '' })).rejects.toThrow('Invalid vault password was provided');
  });

  it('puts ansible.cfg identities first and its password file last; auto-prompts only when asked to', async () => {
    const t = tempDir();
    try {
      writeFileSync(join(t.dir, 'cfgpw'), 'cfg');
      writeFileSync(join(t.dir, 'clipw'), 'cli');
      writeFileSync(join(t.dir, 'idpw'), 'id');
      const secrets = await loadVaultSecrets({ identityList: ['fromcfg@idpw'], vaultPasswordFiles: ['clipw'], configPasswordFile: join(t.dir, 'cfgpw'), cwd: t.dir });
      expect(secrets.map((s) => `${s.id}=${s.password.toString()}`)).toEqual(['fromcfg=id', 'default=cli', 'default=cfg']);
      expect(await loadVaultSecrets({ cwd: t.dir })).toEqual([]);
      await expect(loadVaultSecrets({ cwd: t.dir, autoPrompt: true })).rejects.toThrow('no terminal to prompt on');
    } finally {
      t.cleanup();
    }
  });
});

describe('VaultKeyring integration', () => {
  it('decrypts whole vaulted YAML files in parseYaml once installed, and hides their content in errors', async () => {
    const t = tempDir();
    try {
      const path = join(t.dir, 'vars.yml');
      writeFileSync(path, encryptVault('db_user: admin\ndb_port: 5432\n', secret('pw')));
      expect(() => parseYaml(path, encryptVault('a: 1\n', secret('pw')))).toThrow('Attempting to decrypt but no vault secrets found');
      const keyring = new VaultKeyring([secret('pw')]);
      keyring.installAsFileDecryptor();
      expect(await loadVarsFile(path)).toEqual({ db_user: 'admin', db_port: 5432 });
      expect([...keyring.decryptedFiles()]).toEqual([path]);
      const bad = parseYamlError(path, encryptVault('a: [1\n', secret('pw')));
      expect(bad.frame).toBeUndefined();
      new VaultKeyring([secret('other')]).installAsFileDecryptor();
      await expect(loadVarsFile(path)).rejects.toThrow(`Decryption failed (no vault secrets were found that could decrypt) on ${path}`);
    } finally {
      t.cleanup();
    }
  });

  it('decrypts vaulted INI inventories and group_vars files; a wrong password makes the INI unparsable', async () => {
    const t = tempDir();
    try {
      mkdirSync(join(t.dir, 'group_vars'));
      writeFileSync(join(t.dir, 'hosts.ini'), encryptVault('[web]\nh1 a=1\n', secret('pw')));
      writeFileSync(join(t.dir, 'group_vars', 'web.yml'), encryptVault('b: two\n', secret('pw')));
      new VaultKeyring([secret('pw')]).installAsFileDecryptor();
      const inv = await loadInventory([join(t.dir, 'hosts.ini')]);
      expect(inventoryVarsFor(inv, 'h1')).toMatchObject({ a: 1, b: 'two' });
      new VaultKeyring([secret('bad')]).installAsFileDecryptor();
      const warnings: string[] = [];
      await loadInventory([join(t.dir, 'hosts.ini')], { strict: false, onWarning: (m) => warnings.push(m) });
      expect(warnings.join('\n')).toContain(`Failed to parse ${join(t.dir, 'hosts.ini')} with ini plugin: Decryption failed (no vault secrets were found that could decrypt) on ${join(t.dir, 'hosts.ini')}`);
    } finally {
      t.cleanup();
    }
  });

  it('decrypts inline !vault values lazily through the Templar, and registers them for redaction', () => {
    const keyring = new VaultKeyring([secret('pw')]);
    const value = new VaultText(encryptVault('s3cret', secret('pw')), '/p.yml');
    const templar = new Templar({ password: value, msg: 'pw is {{ password }}' }, { decryptVault: keyring.decryptVaultText });
    expect(templar.template('{{ msg }}')).toBe('pw is s3cret');
    expect([...keyring.decryptedValues()]).toEqual(['s3cret']);
    expect(redactSecrets('got s3cret!', keyring)).toBe('got ********!');
    const wrong = new Templar({ password: new VaultText(encryptVault('x', secret('other')), '/p.yml') }, { decryptVault: keyring.decryptVaultText });
    expect(() => wrong.template('{{ password }}')).toThrow('Decryption failed (no vault secrets were found that could decrypt)');
  });

  it('decrypts vault values nested in variables and in templated args', () => {
    const keyring = new VaultKeyring([secret('pw')]);
    const v = new VaultText(encryptVault('nested-pw', secret('pw')), '/p.yml');
    const templar = new Templar({ db: { user: 'u', password: v } }, { decryptVault: keyring.decryptVaultText });
    expect(templar.template('{{ db.password }}')).toBe('nested-pw');
    expect(templar.template({ args: [v, 'x'] })).toEqual({ args: ['nested-pw', 'x'] });
    expect(() => new Templar({}).template({ p: v })).toThrow('Attempting to decrypt but no vault secrets found');
  });

  it('reveals vault values nested in lists and maps (for module args)', () => {
    const keyring = new VaultKeyring([secret('pw')]);
    const v = new VaultText(encryptVault('inner', secret('pw')), '/p.yml');
    const input = { a: [1, v], b: { c: v }, d: 'plain' };
    expect(revealVaultValues(input, keyring.decryptVaultText)).toEqual({ a: [1, 'inner'], b: { c: 'inner' }, d: 'plain' });
    const untouched = { x: [1, 2] };
    expect(revealVaultValues(untouched, keyring.decryptVaultText)).toBe(untouched);
  });

  it('builds from CLI-like options', async () => {
    const t = tempDir();
    try {
      writeFileSync(join(t.dir, 'pw'), 'pw\n');
      const keyring = await VaultKeyring.fromOptions({ vaultPasswordFiles: ['pw'], cwd: t.dir });
      expect(keyring.isEmpty).toBe(false);
      expect(keyring.decrypt(encryptVault('ok', secret('pw'))).toString()).toBe('ok');
    } finally {
      t.cleanup();
    }
  });
});

function parseYamlError(path: string, text: string): VaultError & { frame?: string } {
  try {
    parseYaml(path, text);
  } catch (e) {
    return e as VaultError;
  }
  throw new Error('expected an error');
}
