/**
 * Secrets in every sink, end to end over the OpenSSH fleet. Known secrets are seeded (inventory
 * ansible_password and ansible_become_password, an inline-vault variable, the bootstrap token, join
 * command and certificate key that kubeadm_token returns as `secrets` outputs, the args and results
 * of no_log tasks, a secret in a failing command's stderr and in a failing assertion's message), then
 * `bin/tsbook run` runs with -vvv plain output, --json, --json-file and --report, ending in a failed
 * task (with `retry_files_enabled = True` in ansible.cfg). Every byte tsbook wrote is searched for
 * every secret: stdout, stderr, every file in the run directory, every new file under /tmp and in
 * the host's private directories. Files written with secrets are 0600 and temp files are gone.
 * (test/security/secrets.test.ts covers runPlaybook events and adhoc; this is the whole-CLI sweep.)
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encryptVault, formatEncryptedString } from '../../src/load/vault-format.js';
import { REDACTED } from '../../src/events/redact.js';
import { fleetSupport, startFleet, type Fleet } from '../support/fleet.js';

const root = new URL('../..', import.meta.url).pathname;
const support = fleetSupport();
const VAULT_PASSWORD = 'sinks-vault-password';
const HOST_DIR = '/var/lib/tsbook-host/sinks';

const SECRETS = {
  connPassword: 'Sinks-Conn-Pw-5521',
  becomePassword: 'Sinks-Become-Pw-7730',
  vault: 'Sinks-Vault-Plain-4410',
  token: 'sinkt0.s3cr3tt0k3nv4lu3',
  tokenSecretPart: 's3cr3tt0k3nv4lu3',
  certificateKey: 'f00d'.repeat(16),
  noLogArg: 'Sinks-NoLog-Arg-9902',
  noLogResult: 'Sinks-NoLog-Result-3317',
  stderr: 'Sinks-Stderr-Vault-4410',
};

const FAKE_KUBEADM = `#!/bin/sh
case "$*" in
  *upload-certs*) printf '[upload-certs] Storing the certificates in Secret "kubeadm-certs"\\n[upload-certs] Using certificate key:\\n%s\\n' '${SECRETS.certificateKey}' ;;
  *"token create"*) printf 'kubeadm join 10.9.8.7:6443 --token %s --discovery-token-ca-cert-hash sha256:%s \\n' '${SECRETS.token}' '${'ab'.repeat(32)}' ;;
  *) echo "fake kubeadm: $*" >&2; exit 1 ;;
esac
`;

function playbook(vaultBlock: string): string {
  return `
- hosts: sink1
  gather_facts: false
  vars:
    visible: sinks-visible-marker
    ${vaultBlock}
  tasks:
    - name: vault in debug
      debug:
        msg: "v={{ vault_secret }} {{ visible }}"
    - name: passwords in debug
      debug:
        msg: "{{ ansible_password }} {{ ansible_become_password }} {{ visible }}"
    - name: vault into a private file
      copy:
        content: "{{ vault_secret }}\\n"
        dest: ${HOST_DIR}/secret.txt
        mode: "0600"
      diff: true
    - name: token
      kubeadm_token:
        upload_certs: true
        description: sinks
        kubernetes_dir: ${HOST_DIR}/k8s
      environment:
        PATH: "${HOST_DIR}/bin:/usr/sbin:/usr/bin:/sbin:/bin"
      register: tok
    - name: token shown
      debug:
        var: tok
    - name: join command shown
      debug:
        msg: "{{ tok.join_command }} key={{ tok.certificate_key }}"
    - name: no_log args
      command: echo ${SECRETS.noLogArg}
      no_log: true
    - name: no_log result
      shell: echo ${SECRETS.noLogResult}
      register: hidden
      no_log: true
    - name: no_log failing
      command: /bin/false ${SECRETS.noLogArg}
      no_log: true
      ignore_errors: true
    - name: secret on stderr of a failing command
      shell: echo "{{ vault_secret | replace('Sinks-Vault', 'Sinks-Stderr-Vault') }}" >&2; exit 3
      ignore_errors: true
    - name: secret in a failing assertion
      assert:
        that: vault_secret == 'nope'
        fail_msg: "expected {{ vault_secret }}"
      ignore_errors: true
    - name: secret in a template error
      debug:
        msg: "{{ vault_secret }} {{ tok.token }} {{ no_such_variable }}"
      ignore_errors: true
    - name: the run fails here
      command: /bin/false {{ tok.token }}
`;
}

function leaks(text: string): string[] {
  return Object.entries(SECRETS).flatMap(([name, value]) => (text.includes(value) ? [name] : []));
}

function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    if (e.isDirectory()) return filesUnder(p);
    return e.isFile() ? [p] : [];
  });
}

let fleet: Fleet | undefined;
let dir = '';
let stamp = 0;

describe.skipIf(!support.available)('every byte tsbook writes, for every seeded secret', () => {
  beforeAll(async () => {
    fleet = await startFleet({ hosts: ['sink1'] });
    dir = mkdtempSync(join(tmpdir(), 'tsbook-sinks-'));
    const vaultBlock = formatEncryptedString(encryptVault(SECRETS.vault, { id: 'default', password: Buffer.from(VAULT_PASSWORD) }), 'vault_secret').replace(/\n/g, '\n    ');
    writeFileSync(join(dir, 'site.yml'), playbook(vaultBlock));
    writeFileSync(join(dir, 'pw'), `${VAULT_PASSWORD}\n`);
    writeFileSync(join(dir, 'ansible.cfg'), '[defaults]\nretry_files_enabled = True\n');
    writeFileSync(join(dir, 'inv.ini'), `${fleet.inventoryText}\n[fleet:vars]\nansible_password=${SECRETS.connPassword}\nansible_become_password=${SECRETS.becomePassword}\n`);
    const h = fleet.run('sink1', `mkdir -p ${HOST_DIR}/bin ${HOST_DIR}/k8s && printf 'apiVersion: v1\\nkind: Config\\n' > ${HOST_DIR}/k8s/admin.conf && cat > ${HOST_DIR}/bin/kubeadm && chmod 755 ${HOST_DIR}/bin/kubeadm`);
    expect(h.rc, h.stderr).toBe(0);
    writeFileSync(join(dir, 'kubeadm'), FAKE_KUBEADM);
    expect(fleet.run('sink1', `cp ${join(dir, 'kubeadm')} ${HOST_DIR}/bin/kubeadm && chmod 755 ${HOST_DIR}/bin/kubeadm`).rc).toBe(0);
    rmSync(join(dir, 'kubeadm'));
    stamp = Date.now() - 1000;
  }, 60_000);

  afterAll(async () => {
    fleet?.run('sink1', `rm -rf ${HOST_DIR}`);
    await fleet?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const runs: { name: string; args: string[] }[] = [
    { name: 'plain -vvv + --json-file + --report', args: ['-vvv', '--json-file', 'events.ndjson', '--report', 'report.html', '--diff'] },
    { name: '--json -vvv', args: ['--json', '-vvv'] },
    { name: 'plain', args: [] },
  ];
  const outputs: string[] = [];

  for (const run of runs) {
    it(`${run.name}: no secret in stdout or stderr`, () => {
      const r = spawnSync(process.execPath, [join(root, 'bin/tsbook'), 'run', 'site.yml', '-i', 'inv.ini', '--vault-password-file', 'pw', ...run.args], {
        cwd: dir,
        encoding: 'utf8',
        env: { ...process.env, NO_COLOR: '1', ANSIBLE_NOCOLOR: '1', ANSIBLE_CONFIG: join(dir, 'ansible.cfg') },
      });
      outputs.push(r.stdout, r.stderr);
      expect(r.status, r.stderr.slice(0, 3000)).toBe(2);
      // the run did its work: the token task ran, the copy happened, the failures are there
      expect(r.stdout).toContain(REDACTED);
      expect(r.stdout).toContain('sinks-visible-marker');
      if (run.args.includes('--json')) expect(r.stdout).toMatch(/"event":"recap"/);
      else expect(r.stdout).toMatch(/sink1\s+: ok=\d+\s+changed=\d+\s+unreachable=0\s+failed=1\s+skipped=0\s+rescued=0\s+ignored=4/);
      expect(leaks(r.stdout), 'stdout').toEqual([]);
      expect(leaks(r.stderr), 'stderr').toEqual([]);
    }, 60_000);
  }

  it('no secret in any file tsbook wrote, on the controller or the host; secret files are 0600, temp files gone', () => {
    expect(outputs.length).toBe(runs.length * 2);
    const written = filesUnder(dir).filter((f) => !['site.yml', 'pw', 'inv.ini', 'ansible.cfg'].includes(f.slice(dir.length + 1)));
    const names = written.map((f) => f.slice(dir.length + 1));
    expect(names).toEqual(expect.arrayContaining(['events.ndjson', 'report.html']));
    for (const f of written) expect(leaks(readFileSync(f, 'latin1')), f).toEqual([]);
    const events = readFileSync(join(dir, 'events.ndjson'), 'utf8');
    expect(events).toContain(REDACTED);
    expect(readFileSync(join(dir, 'report.html'), 'utf8')).toContain('sinks-visible-marker');

    // /tmp is shared by the controller and the fleet host: every file created there since the runs started
    const fresh = filesUnder(tmpdir()).filter((f) => {
      try {
        const s = statSync(f);
        return s.mtimeMs >= stamp && s.size < 64 * 1024 * 1024 && !f.startsWith(dir) && !f.startsWith(fleet!.dir);
      } catch {
        return false;
      }
    });
    for (const f of fresh) {
      let text: string;
      try {
        text = readFileSync(f, 'latin1');
      } catch {
        continue;
      }
      // vitest's own transform cache of this file holds the seeded values as source
      if (text.includes('FAKE_KUBEADM')) continue;
      expect(leaks(text), f).toEqual([]);
    }
    expect(fresh.filter((f) => /\/\.tsbook-/.test(f)), 'temp files left behind').toEqual([]);

    // the host's private directories: only the intended file holds the secret, mode 0600
    const listing = fleet!.run('sink1', `find ${HOST_DIR} /etc/kubernetes /var/lib/tsbook-host -type f 2>/dev/null`).stdout.split('\n').filter((l) => l !== '');
    expect(listing).toContain(`${HOST_DIR}/secret.txt`);
    for (const f of listing) {
      const content = fleet!.run('sink1', `cat '${f}'`).stdout;
      if (f === `${HOST_DIR}/secret.txt`) expect(content).toBe(`${SECRETS.vault}\n`);
      else if (f === `${HOST_DIR}/bin/kubeadm`) continue; // the stand-in that issues the token
      else expect(leaks(content), f).toEqual([]);
    }
    expect(fleet!.run('sink1', `stat -c %a ${HOST_DIR}/secret.txt`).stdout.trim()).toBe('600');
    expect(listing.filter((f) => /\.tsbook-/.test(f))).toEqual([]);
    console.log(`all sinks: ${Object.keys(SECRETS).length} secrets x ${runs.length} runs: ${outputs.length} streams, ${written.length} files in the run directory, ${fresh.length} new files under /tmp, ${listing.length} host files searched`);
  });
});
