/**
 * The wiring the lead adds to `tsbook run`, end to end: keyringForRun installs the file decryptor,
 * the Templar gets keyring.decryptVaultText. Vaulted vars_files, task files and inline values work.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { keyringForRun } from '../../src/cli/vault.js';
import { loadConfig } from '../../src/load/config.js';
import { loadPlaybook } from '../../src/load/playbook.js';
import { encryptVault, formatEncryptedString, setVaultFileDecryptor } from '../../src/load/vault.js';
import { runPlaybookWith } from '../../src/engine/run.js';
import { defaultDeps } from '../../src/engine/default-deps.js';
import { Templar } from '../../src/template/index.js';
import type { RunEvent } from '../../src/events/types.js';
import { makeInventory } from '../engine/helpers.js';
import { tempDir } from './vault-helpers.js';

afterEach(() => setVaultFileDecryptor(undefined));

const sec = (password: string, id = 'default') => ({ id, password: Buffer.from(password) });

describe('vault in a playbook run', () => {
  it('decrypts vaulted vars_files, vaulted task files and inline !vault values', async () => {
    const t = tempDir();
    try {
      writeFileSync(join(t.dir, 'pw'), 'letmein\n');
      writeFileSync(join(t.dir, 'ansible.cfg'), '[defaults]\nvault_password_file = pw\n');
      writeFileSync(join(t.dir, 'secrets.yml'), encryptVault('db_user: admin\n', sec('letmein')));
      writeFileSync(join(t.dir, 'tasks.yml'), encryptVault('- debug:\n    msg: "from a vaulted task file"\n', sec('letmein')));
      const inline = formatEncryptedString(encryptVault('p4ss', sec('letmein')), 'db_pass').replace(/\n/g, '\n      ');
      writeFileSync(
        join(t.dir, 'site.yml'),
        `- hosts: h1\n  gather_facts: false\n  vars_files: [secrets.yml]\n  vars:\n    ${inline}\n    nested: {p: "{{ db_pass }}"}\n  tasks:\n    - debug:\n        msg: "{{ db_user }}:{{ nested.p }}"\n    - include_tasks: tasks.yml\n`,
      );
      const config = await loadConfig({ cwd: t.dir, env: { HOME: t.dir } });
      const keyring = await keyringForRun({}, config, { cwd: t.dir });
      const playbook = await loadPlaybook(join(t.dir, 'site.yml'));
      const events: RunEvent[] = [];
      const base = defaultDeps();
      const result = await runPlaybookWith(
        { playbooks: [playbook], inventory: makeInventory({ h1: {} }), onEvent: (e) => events.push(e) },
        { ...base, newTemplar: (vars, source) => new Templar(vars, { source, decryptVault: keyring.decryptVaultText }) },
      );
      const msgs = events.flatMap((e) => (e.event === 'task_result' ? [e.result.values.msg] : []));
      expect(msgs).toEqual(['admin:p4ss', 'from a vaulted task file']);
      expect(result.exitCode).toBe(0);
      expect(keyring.decryptedValues().has('p4ss')).toBe(true);
      expect([...keyring.decryptedFiles()].sort()).toEqual([join(t.dir, 'secrets.yml'), join(t.dir, 'tasks.yml')]);
    } finally {
      t.cleanup();
    }
  });

  it('a wrong password fails the load with Ansible\'s message (exit 1)', async () => {
    const t = tempDir();
    try {
      writeFileSync(join(t.dir, 'pw'), 'wrong\n');
      writeFileSync(join(t.dir, 'secrets.yml'), encryptVault('a: 1\n', sec('right')));
      writeFileSync(join(t.dir, 'site.yml'), '- hosts: all\n  vars_files: [secrets.yml]\n  tasks: []\n');
      const config = await loadConfig({ cwd: t.dir, env: { HOME: t.dir } });
      await keyringForRun({ vaultPasswordFile: ['pw'] }, config, { cwd: t.dir });
      const playbook = await loadPlaybook(join(t.dir, 'site.yml'));
      const err = await runPlaybookWith({ playbooks: [playbook], inventory: makeInventory({ h1: {} }) }, defaultDeps()).catch((e: unknown) => e);
      expect((err as Error).message).toBe(`Decryption failed (no vault secrets were found that could decrypt) on ${join(t.dir, 'secrets.yml')}`);
      expect((err as { kind?: string }).kind).toBe('vault');
    } finally {
      t.cleanup();
    }
  });
});
