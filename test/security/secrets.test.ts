/**
 * Secrets never leak: known secret values are seeded (connection/become passwords in inventory and
 * as resolved for a connection, -K/-k style options, a module's declared `secrets`, an inline vault
 * value, no_log tasks), playbooks are run through runPlaybook and through `bin/tsbook` (--json, plain,
 * -vvv, adhoc), and every byte of every sink is searched for every seeded secret.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runPlaybook, runPlaybookWith } from '../../src/engine/run.js';
import { defaultDeps } from '../../src/engine/default-deps.js';
import { NO_LOG_MESSAGE } from '../../src/engine/results.js';
import { REDACTED } from '../../src/events/redact.js';
import type { RunEvent } from '../../src/events/types.js';
import { VaultKeyring } from '../../src/load/vault.js';
import { encryptVault, formatEncryptedString } from '../../src/load/vault-format.js';
import { Templar } from '../../src/template/index.js';
import { ScriptedConnection } from '../support/scripted-connection.js';
import { fakeModule, loadPb, lookupModule, makeInventory } from '../engine/helpers.js';

const VAULT_PASSWORD = 'vault-test-password';
const vaultSecret = { id: 'default', password: Buffer.from(VAULT_PASSWORD) };

/** An inline `name: !vault |` entry, indented for a play's `vars:` map. */
function inlineVault(name: string, plaintext: string, indent: string): string {
  return formatEncryptedString(encryptVault(plaintext, vaultSecret), name).replace(/\n/g, `\n${indent}`);
}

/** The seeded secrets that `sink` contains (an empty list is the pass). */
function leaks(sink: string, secrets: Record<string, string>): string[] {
  return Object.entries(secrets).flatMap(([name, value]) => (sink.includes(value) ? [`${name} (${value})`] : []));
}

const VISIBLE = 'visible-marker-123';

// ------------------------------------------------------------------------------------ runPlaybook

const LIB = {
  becomePassword: 'Become-Pw-7391', // inventory ansible_become_password
  sshPass: 'SshPass-Inv-9150', // inventory ansible_ssh_pass
  connPassword: 'Conn-Pw-4826', // inventory ansible_password
  token: 'abcdef.0123456789abcdef', // module `secrets: ['token']` value
  vault: 'Vault-Plain-5520', // inline !vault plaintext
  noLog: 'NoLog-Value-3318', // used only by no_log tasks
  cliBecome: 'Cli-Become-8812', // RunOptions.becomePassword (-K)
  given: 'Given-Secret-2203', // RunOptions.secrets
};

const issueToken = fakeModule(
  'issue_token',
  () => ({ changed: true, msg: `issued ${LIB.token}`, values: { token: LIB.token, stdout: `token: ${LIB.token}\n`, id: 'abcdef' } }),
  { secrets: ['token'] },
);

const LIB_PLAYBOOK = `
- hosts: h1
  gather_facts: false
  vars:
    visible: ${VISIBLE}
    nolog_value: ${LIB.noLog}
    ${inlineVault('vault_secret', LIB.vault, '    ')}
  tasks:
    - name: show passwords
      debug:
        msg: "become={{ ansible_become_password }} ssh={{ ansible_ssh_pass }} {{ visible }}"
    - name: echo conn
      command: echo {{ ansible_password }} {{ visible }}
    - name: token
      issue_token: {}
      register: tok
    - name: show token
      debug:
        var: tok
    - name: token msg
      debug:
        msg: "t={{ tok.token }} {{ tok.id }}"
    - name: show vault
      debug:
        var: vault_secret
    - name: vault msg
      debug:
        msg: "v={{ vault_secret }} {{ visible }}"
    - name: hidden
      command: echo {{ nolog_value }}
      no_log: true
    - name: hidden loop
      debug:
        msg: "{{ item }}"
      loop: ["{{ nolog_value }}-item"]
      no_log: true
    - name: hidden failing
      command: /bin/false {{ nolog_value }}
      no_log: true
      ignore_errors: true
    - name: hidden template error
      debug:
        msg: "{{ nolog_value }} {{ no_such_var }}"
      no_log: true
      ignore_errors: true
    - name: hidden retries
      command: echo {{ nolog_value }}
      register: r
      until: r.rc == 99
      retries: 1
      delay: 0
      no_log: true
      ignore_errors: true
    - name: cli given
      debug:
        msg: "{{ cli_pw }} {{ given }} {{ visible }}"
    - name: notify secret
      command: echo hi
      changed_when: true
      notify: "handler {{ ansible_password }}"
`;

describe('secrets in runPlaybook events and errors', () => {
  it('hides every seeded secret in every event and in the error that ends the run', async () => {
    const playbook = await loadPb(LIB_PLAYBOOK);
    const keyring = new VaultKeyring([vaultSecret]);
    const events: RunEvent[] = [];
    const err = await runPlaybook({
      playbooks: [playbook],
      inventory: makeInventory({ h1: { ansible_become_password: LIB.becomePassword, ansible_ssh_pass: LIB.sshPass, ansible_password: LIB.connPassword } }),
      modules: lookupModule,
      decryptVault: keyring.decryptVaultText,
      becomePassword: LIB.cliBecome,
      extraVars: { cli_pw: LIB.cliBecome, given: LIB.given },
      secrets: [LIB.given],
      onEvent: (e) => events.push(e),
    }).catch((e: unknown) => e);

    // the run did what it was asked to (and failed on the missing handler)
    expect(issueToken.calls.get('h1')).toBe(1);
    expect(err).toBeInstanceOf(Error);
    const error = err as Error;
    expect(error.message).toBe(`The requested handler 'handler ${REDACTED}' was not found in either the main handlers list nor in the listening handlers list`);

    const sink = events.map((e) => JSON.stringify(e)).join('\n');
    expect(leaks(sink, LIB)).toEqual([]);
    expect(leaks(`${error.message}\n${error.stack ?? ''}`, LIB)).toEqual([]);

    // non-secret values still show, the secrets as ********
    const results = new Map<string, unknown[]>();
    for (const e of events) if (e.event === 'task_result') results.set(e.task.name, [...(results.get(e.task.name) ?? []), e.result]);
    const one = (name: string) => results.get(name)![0] as { values: Record<string, unknown>; msg?: string; commands?: { command: string }[]; error?: { message: string }; item?: unknown };
    expect(one('show passwords').values.msg).toBe(`become=${REDACTED} ssh=${REDACTED} ${VISIBLE}`);
    expect(one('echo conn').values.stdout).toBe(`${REDACTED} ${VISIBLE}`);
    expect(one('echo conn').commands?.map((c) => c.command)).toEqual([`exec echo ${REDACTED} ${VISIBLE}`]);
    expect(one('token').values).toMatchObject({ token: REDACTED, stdout: `token: ${REDACTED}\n`, id: 'abcdef' });
    expect(one('token').msg).toBe(`issued ${REDACTED}`);
    expect(one('show token').values.tok).toMatchObject({ token: REDACTED, msg: `issued ${REDACTED}` });
    expect(one('token msg').values.msg).toBe(`t=${REDACTED} abcdef`);
    expect(one('show vault').values.vault_secret).toBe(REDACTED);
    expect(one('vault msg').values.msg).toBe(`v=${REDACTED} ${VISIBLE}`);
    expect(one('cli given').values.msg).toBe(`${REDACTED} ${REDACTED} ${VISIBLE}`);

    // no_log: values, msg, item, commands, error text and retry results are censored
    for (const name of ['hidden', 'hidden loop', 'hidden failing', 'hidden template error', 'hidden retries']) {
      const r = one(name);
      expect(r.values.censored, name).toBe(NO_LOG_MESSAGE);
      expect(r.msg, name).toBeUndefined();
      expect(r.item, name).toBeUndefined();
      expect(r.commands, name).toBeUndefined();
    }
    expect(one('hidden template error').error?.message).toBe(NO_LOG_MESSAGE);
    const items = events.filter((e) => e.event === 'item_result');
    expect(items.length).toBe(1);
    const retries = events.filter((e): e is Extract<RunEvent, { event: 'task_retry' }> => e.event === 'task_retry');
    expect(retries.length).toBe(1);
    expect(retries[0]!.result.values.censored).toBe(NO_LOG_MESSAGE);
    expect(sink).toContain(VISIBLE);
  });

  it('hides passwords only known once resolved: templated connection and become passwords', async () => {
    const RESOLVED = { become: 'Tmpl-base-Become', taskBecome: 'Tmpl-base-TaskVar', ssh: 'Tmpl-base-Ssh' };
    const playbook = await loadPb(`
- hosts: h2
  gather_facts: false
  tasks:
    - name: privileged
      command: id
      become: true
      ignore_errors: true
    - name: privileged with a task password
      command: id
      become: true
      ignore_errors: true
      vars:
        ansible_become_password: "{{ pw_base }}-TaskVar"
    - name: show ssh
      debug:
        msg: "{{ ansible_ssh_pass }} {{ pw_base }}"
`);
    const conn = new ScriptedConnection('h2').on(() => true, (_command, options) => ({ rc: 1, stdout: '', stderr: `sudo: wrong password '${options.become?.password ?? ''}'` }));
    const events: RunEvent[] = [];
    const result = await runPlaybook({
      playbooks: [playbook],
      inventory: makeInventory({ h2: { pw_base: 'Tmpl-base', ansible_become_pass: '{{ pw_base }}-Become', ansible_ssh_pass: '{{ pw_base }}-Ssh' } }),
      modules: lookupModule,
      connect: () => conn,
      onEvent: (e) => events.push(e),
    });
    expect(result.exitCode).toBe(0);
    // the scripted host did see the resolved passwords, so the events could have carried them
    const passwords = conn.calls.flatMap((c) => (c.kind === 'exec' && c.options.become?.password ? [c.options.become.password] : []));
    expect(passwords).toEqual([RESOLVED.become, RESOLVED.taskBecome]);
    const sink = events.map((e) => JSON.stringify(e)).join('\n');
    expect(leaks(sink, RESOLVED)).toEqual([]);
    expect(sink).toContain(`sudo: wrong password '${REDACTED}'`);
    expect(sink).toContain(`"msg":"${REDACTED} Tmpl-base"`);
  });

  it('hides vault plaintexts from a live source (the keyring) with runPlaybookWith', async () => {
    const plaintext = 'Live-Vault-7070';
    const playbook = await loadPb(`
- hosts: h1
  gather_facts: false
  vars:
    ${inlineVault('db_pass', plaintext, '    ')}
  tasks:
    - debug:
        msg: "db={{ db_pass }} ${VISIBLE}"
`);
    const keyring = new VaultKeyring([vaultSecret]);
    const events: RunEvent[] = [];
    const base = defaultDeps();
    await runPlaybookWith(
      { playbooks: [playbook], inventory: makeInventory({ h1: {} }), secrets: keyring.decryptedValues(), onEvent: (e) => events.push(e) },
      { ...base, newTemplar: (vars, source) => new Templar(vars, { source, decryptVault: keyring.decryptVaultText }) },
    );
    expect(keyring.decryptedValues().has(plaintext)).toBe(true);
    const sink = events.map((e) => JSON.stringify(e)).join('\n');
    expect(sink).not.toContain(plaintext);
    expect(sink).toContain(`db=${REDACTED} ${VISIBLE}`);
  });
});

// ------------------------------------------------------------------------------------ CLI

const root = new URL('../..', import.meta.url).pathname;
const bin = join(root, 'bin/tsbook');

const CLI = {
  becomePassword: 'Cli-Inv-Become-7391', // inventory ansible_become_password
  becomePass: 'Cli-Grp-BecomePass-6604', // group var ansible_become_pass
  connPassword: 'Cli-Inv-Conn-4826', // inventory ansible_password
  vault: 'Cli-Vault-Plain-5520', // inline !vault plaintext
  noLog: 'Cli-NoLog-Value-3318', // used only by no_log tasks
};

const CLI_PLAYBOOK = `
- hosts: h1
  gather_facts: false
  vars:
    visible: ${VISIBLE}
    nolog_value: ${CLI.noLog}
    ${inlineVault('vault_secret', CLI.vault, '    ')}
  tasks:
    - name: show passwords
      debug:
        msg: "become={{ ansible_become_password }} pass={{ ansible_become_pass }} {{ visible }}"
    - name: echo conn
      command: echo {{ ansible_password }} {{ visible }}
    - name: show vault
      debug:
        var: vault_secret
    - name: hidden
      command: echo {{ nolog_value }}
      no_log: true
    - name: hidden loop
      debug:
        msg: "{{ item }}"
      loop: ["{{ nolog_value }}-item"]
      no_log: true
    - name: hidden failing
      command: /bin/false {{ nolog_value }}
      no_log: true
      ignore_errors: true
    - name: notify secret
      command: echo hi
      changed_when: true
      notify: "handler {{ ansible_password }}"
`;

describe('secrets in `tsbook` output', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tsbook-secrets-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'pw'), `${VAULT_PASSWORD}\n`);
  writeFileSync(join(dir, 'inv.ini'), `h1 ansible_connection=local ansible_become_password=${CLI.becomePassword} ansible_password=${CLI.connPassword}\n\n[all:vars]\nansible_become_pass=${CLI.becomePass}\n`);
  writeFileSync(join(dir, 'site.yml'), CLI_PLAYBOOK);
  const env = { ...process.env, ANSIBLE_NOCOLOR: '1', NO_COLOR: '1' };
  const tsbook = (args: string[]) => spawnSync(process.execPath, [bin, ...args], { cwd: dir, env, encoding: 'utf8' });
  const runArgs = ['run', 'site.yml', '-i', 'inv.ini', '--vault-password-file', 'pw'];

  it('needs the compiled CLI (npm run build)', () => {
    expect(existsSync(join(root, 'dist/events/redact.js'))).toBe(true);
  });

  const cases: [string, string[]][] = [
    ['run --json', [...runArgs, '--json']],
    ['run --json -vvv', [...runArgs, '--json', '-vvv']],
    ['run (plain)', runArgs],
    ['run -vvv (plain)', [...runArgs, '-vvv']],
  ];
  for (const [name, args] of cases) {
    it(`${name}: no seeded secret in stdout or stderr`, () => {
      const r = tsbook(args);
      expect(r.status, r.stderr).toBe(1);
      expect(leaks(r.stdout, CLI)).toEqual([]);
      expect(leaks(r.stderr, CLI)).toEqual([]);
      expect(r.stderr).toContain(`ERROR! The requested handler 'handler ${REDACTED}' was not found`);
      expect(r.stdout).toContain(VISIBLE);
      expect(r.stdout).toContain(REDACTED);
      expect(r.stdout).toContain(NO_LOG_MESSAGE);
      if (args.includes('--json')) {
        const events = r.stdout.trim().split('\n').map((line) => JSON.parse(line) as RunEvent);
        const echo = events.find((e): e is Extract<RunEvent, { event: 'task_result' }> => e.event === 'task_result' && e.task.name === 'echo conn');
        expect(echo?.result.values.stdout).toBe(`${REDACTED} ${VISIBLE}`);
        expect(echo?.result.commands?.map((c) => c.command)).toEqual([`exec echo ${REDACTED} ${VISIBLE}`]);
      } else {
        expect(r.stdout).toContain(`"msg": "become=${REDACTED} pass=${REDACTED} ${VISIBLE}"`);
        expect(r.stdout).toContain(`"vault_secret": "${REDACTED}"`);
      }
    });
  }

  for (const json of [false, true]) {
    it(`adhoc${json ? ' --json' : ''}: no seeded secret in stdout or stderr`, () => {
      const r = tsbook(['adhoc', 'h1', '-i', 'inv.ini', '-m', 'debug', '-a', `msg="{{ ansible_become_password }} {{ ansible_password }} ${VISIBLE}"`, ...(json ? ['--json'] : [])]);
      expect(r.status, r.stderr).toBe(0);
      expect(leaks(r.stdout, CLI)).toEqual([]);
      expect(leaks(r.stderr, CLI)).toEqual([]);
      expect(r.stdout).toContain(`${REDACTED} ${REDACTED} ${VISIBLE}`);
    });
  }
});
