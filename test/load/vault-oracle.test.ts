/** tsbook's vault vs ansible-core 2.14's, both ways. A missing ansible fails in CI. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { decryptVault, encryptVault, setVaultFileDecryptor, VaultKeyring, type VaultSecret } from '../../src/load/vault.js';
import { VaultText } from '../../src/model/values.js';
import { parseYaml, toValue } from '../../src/load/yaml.js';
import { pythonEncrypt, runAnsibleVault, RUN_ORACLE, tempDir } from './vault-helpers.js';

const secret = (password: string, id = 'default'): VaultSecret => ({ id, password: Buffer.from(password) });

describe.runIf(RUN_ORACLE)('vault vs ansible-vault', () => {
  let t: { dir: string; cleanup: () => void };
  beforeAll(() => {
    t = tempDir();
    writeFileSync(join(t.dir, 'pw1'), 'correct horse\n');
    writeFileSync(join(t.dir, 'pw2'), 'battery staple\n');
  });
  afterAll(() => t.cleanup());

  it('encrypts byte for byte like VaultLib.encrypt given the same salt', () => {
    const salt = 'a5'.repeat(32);
    const cases: [string, string | undefined][] = [
      ['hello', undefined],
      ['', undefined],
      ['exactly sixteen!', 'prod'],
      ['multi\nline\nyaml: true\n' + 'x'.repeat(300), 'dev'],
      ['ünïcödé ✓', 'default'],
    ];
    for (const [plaintext, id] of cases) {
      const ours = encryptVault(plaintext, secret('pw'), id, Buffer.from(salt, 'hex'));
      expect(ours).toBe(pythonEncrypt(plaintext, 'pw', salt, id));
    }
  });

  it('ansible-vault view/decrypt read what tsbook encrypts (1.1 and 1.2 with ids)', () => {
    const plain = 'db_password: hunter2\nlist:\n  - ünïcödé\n';
    writeFileSync(join(t.dir, 'v11.yml'), encryptVault(plain, secret('correct horse')));
    writeFileSync(join(t.dir, 'v12.yml'), encryptVault(plain, secret('battery staple', 'prod'), 'prod'));
    const v11 = runAnsibleVault(['view', '--vault-password-file', 'pw1', 'v11.yml'], t.dir);
    expect(v11.stderr).toBe('');
    expect(v11.status).toBe(0);
    expect(v11.stdout).toBe(plain);
    const v12 = runAnsibleVault(['decrypt', '--vault-id', 'dev@pw1', '--vault-id', 'prod@pw2', '--output', '-', 'v12.yml'], t.dir);
    expect(v12.status).toBe(0);
    expect(v12.stdout).toBe(plain);
  });

  it('tsbook decrypts what ansible-vault encrypt writes (1.1 and 1.2)', () => {
    const plain = 'secret: value\n';
    writeFileSync(join(t.dir, 'a.yml'), plain);
    writeFileSync(join(t.dir, 'b.yml'), plain);
    expect(runAnsibleVault(['encrypt', '--vault-password-file', 'pw1', 'a.yml'], t.dir).status).toBe(0);
    expect(runAnsibleVault(['encrypt', '--vault-id', 'prod@pw2', 'b.yml'], t.dir).status).toBe(0);
    const a = readFileSync(join(t.dir, 'a.yml'), 'utf8');
    const b = readFileSync(join(t.dir, 'b.yml'), 'utf8');
    expect(a.split('\n')[0]).toBe('$ANSIBLE_VAULT;1.1;AES256');
    expect(b.split('\n')[0]).toBe('$ANSIBLE_VAULT;1.2;AES256;prod');
    expect(decryptVault(a, [secret('correct horse')]).toString()).toBe(plain);
    expect(decryptVault(b, [secret('wrong', 'prod'), secret('battery staple', 'x')]).toString()).toBe(plain);
    expect(() => decryptVault(b, [secret('correct horse', 'prod')], join(t.dir, 'b.yml'))).toThrow(
      `Decryption failed (no vault secrets were found that could decrypt) on ${join(t.dir, 'b.yml')}`,
    );
  });

  it('tsbook reads encrypt_string output as inline !vault values', () => {
    const r = runAnsibleVault(['encrypt_string', '--vault-id', 'prod@pw2', '--name', 'token', 'tok-123'], t.dir);
    expect(r.status).toBe(0);
    const file = parseYaml(join(t.dir, 'x.yml'), `${r.stdout}\n`);
    const value = (toValue(file, file.doc.contents as never) as Record<string, unknown>).token;
    expect(value).toBeInstanceOf(VaultText);
    expect(new VaultKeyring([secret('battery staple', 'prod')]).decryptVaultText(value as VaultText)).toBe('tok-123');
  });

  it('whole-file vaulted vars written by ansible-vault load through parseYaml', () => {
    writeFileSync(join(t.dir, 'c.yml'), 'x: 1\ny: [a, b]\n');
    expect(runAnsibleVault(['encrypt', '--vault-password-file', 'pw1', 'c.yml'], t.dir).status).toBe(0);
    const keyring = new VaultKeyring([secret('correct horse')]);
    keyring.installAsFileDecryptor();
    try {
      const file = parseYaml(join(t.dir, 'c.yml'), readFileSync(join(t.dir, 'c.yml'), 'utf8'));
      expect(toValue(file, file.doc.contents as never)).toEqual({ x: 1, y: ['a', 'b'] });
    } finally {
      setVaultFileDecryptor(undefined);
    }
  });
});
