/**
 * Command injection. Hostile values (test/security/injection-values.ts: `; touch M`, `$(touch M)`,
 * backticks, newlines, quote breakouts, leading dashes...) go into module arguments that end up in
 * shell command lines: file paths (file, copy, lineinfile, blockinfile, stat, slurp, template dest),
 * command/shell arguments, names (user, group, service, systemd, sysctl, modprobe, hostname, apt,
 * wait_for) and every string argument of the Kubernetes modules (node names, labels, taints, token,
 * CA hash, endpoint, certificate key...). The modules run in-process on a real shell (the local
 * connection builds and runs commands exactly like the SSH one: `/bin/sh -c LINE`), with recording
 * `kubeadm`/`kubectl` stand-ins first on PATH. Then hostile inventory host names and addresses go
 * through `bin/tsbook` over the OpenSSH fleet.
 *
 * Each marker file must never appear; each module either fails with a message or passes the value
 * literally (the file with that exact name exists, the command printed the exact value, the
 * recorded kubectl/kubeadm argv holds the exact value).
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalConnection } from '../../src/connection/local.js';
import type { Module, ModuleResult } from '../../src/modules/types.js';
import { ModuleFailure } from '../../src/modules/types.js';
import { fileModule } from '../../src/modules/file.js';
import { copyModule } from '../../src/modules/copy.js';
import { lineinfileModule } from '../../src/modules/lineinfile.js';
import { blockinfileModule } from '../../src/modules/blockinfile.js';
import { statModule } from '../../src/modules/stat.js';
import { slurpModule } from '../../src/modules/slurp.js';
import { templateModule } from '../../src/modules/template.js';
import { commandModule } from '../../src/modules/command.js';
import { shellModule } from '../../src/modules/shell.js';
import { userModule } from '../../src/modules/user.js';
import { groupModule } from '../../src/modules/group.js';
import { serviceModule } from '../../src/modules/service.js';
import { systemdModule } from '../../src/modules/systemd.js';
import { sysctlModule } from '../../src/modules/sysctl.js';
import { modprobeModule } from '../../src/modules/modprobe.js';
import { hostnameModule } from '../../src/modules/hostname.js';
import { aptModule } from '../../src/modules/apt.js';
import { waitForModule } from '../../src/modules/wait_for.js';
import { kubeNodeModule } from '../../src/modules/k8s/kube_node.js';
import { kubeadmJoinModule } from '../../src/modules/k8s/kubeadm_join.js';
import { kubeadmTokenModule } from '../../src/modules/k8s/kubeadm_token.js';
import { kubeadmInitModule } from '../../src/modules/k8s/kubeadm_init.js';
import { waitNodesReadyModule } from '../../src/modules/k8s/wait_nodes_ready.js';
import { createModuleContext } from '../support/module-context.js';
import { fleetSupport, startFleet, type Fleet } from '../support/fleet.js';
import { hostileValues, type HostileValue } from './injection-values.js';

const root = new URL('../..', import.meta.url).pathname;
const sandbox = mkdtempSync(join(tmpdir(), 'tsbook-injection-'));
const markers = join(sandbox, 'markers');
const files = join(sandbox, 'files');
const fakeBin = join(sandbox, 'bin');
const k8sDir = join(sandbox, 'kubernetes');
const argvLog = join(sandbox, 'argv.log');
const HOSTILE = hostileValues(markers);
const TOKEN = 'abcdef.0123456789abcdef';
const HASH = `sha256:${'a1'.repeat(32)}`;

/** A recording stand-in: appends its argv (NUL-separated, one record per line) and answers `get node(s)`. */
const FAKE = `#!/bin/sh
{ printf '%s\\0' "$(basename "$0")" "$@"; printf '\\n'; } >> '${argvLog}'
for a in "$@"; do
  case "$a" in
    node|nodes) echo '{"apiVersion":"v1","kind":"List","items":[{"apiVersion":"v1","kind":"Node","metadata":{"name":"n1","labels":{}},"spec":{},"status":{"conditions":[{"type":"Ready","status":"True"}]}}]}'; exit 0;;
  esac
done
exit 0
`;

mkdirSync(markers);
mkdirSync(files);
mkdirSync(fakeBin);
mkdirSync(join(k8sDir, 'pki'), { recursive: true });
for (const tool of ['kubectl', 'kubeadm']) {
  writeFileSync(join(fakeBin, tool), FAKE);
  chmodSync(join(fakeBin, tool), 0o755);
}
writeFileSync(join(k8sDir, 'admin.conf'), 'apiVersion: v1\nkind: Config\n');
writeFileSync(join(sandbox, 't.j2'), 'templated\n');
const env = { PATH: `${fakeBin}:${process.env.PATH ?? '/usr/bin:/bin'}` };

afterAll(() => rmSync(sandbox, { recursive: true, force: true }));

type Outcome = { failed: boolean; msg: string; result?: ModuleResult };

async function runModule(module: Module, args: Record<string, unknown>, options: { check?: boolean; host?: string } = {}): Promise<Outcome> {
  const host = options.host ?? 'n1';
  const ctx = createModuleContext({
    connection: new LocalConnection(host),
    host,
    check: options.check,
    env,
    localDir: sandbox,
    vars: { inventory_hostname: host, k8s_kubernetes_dir: k8sDir, groups: { all: [host] } },
  });
  try {
    const result = await module.run(args, ctx);
    return { failed: Boolean(result.failed), msg: result.msg ?? String(result.values?.['msg'] ?? ''), result };
  } catch (err) {
    if (err instanceof ModuleFailure) return { failed: true, msg: err.message };
    // what the engine reports for any other error a module throws (here: a NUL byte the connection refused)
    if (err instanceof Error && err.message === 'embedded null byte in the command') return { failed: true, msg: `Unexpected failure during module execution: ${err.message}` };
    throw err;
  }
}

function recordedArgv(): string[][] {
  if (!existsSync(argvLog)) return [];
  return readFileSync(argvLog, 'utf8').split('\0\n').filter((r) => r !== '').map((r) => r.split('\0'));
}

interface Case {
  readonly name: string;
  readonly module: Module;
  readonly args: (h: HostileValue) => Record<string, unknown>;
  readonly check?: boolean;
  /** Only these hostile values (by label) for slow modules; all of them by default. */
  readonly only?: readonly string[];
  /** Called when the module did not fail: proves the value was passed literally. */
  readonly literal?: (h: HostileValue, o: Outcome) => void;
}

/** The hostile value as a plain file name (a NUL cannot be in a path; a '/' makes a sub-path). */
const at = (h: HostileValue) => join(files, h.value);
const fileExistsLiterally = (h: HostileValue) => expect(existsSync(at(h)), `${at(h)} should exist`).toBe(true);
const argvHolds = (h: HostileValue) => {
  const all = recordedArgv().flat();
  expect(all.some((a) => a === h.value || a.endsWith(`=${h.value}`) || a.includes(h.value)), `argv holds ${JSON.stringify(h.value)}`).toBe(true);
};

const CASES: Case[] = [
  { name: 'file path (touch)', module: fileModule, args: (h) => ({ path: at(h), state: 'touch' }), literal: fileExistsLiterally },
  { name: 'file path (directory)', module: fileModule, args: (h) => ({ path: `${at(h)}.d`, state: 'directory' }) },
  { name: 'file owner', module: fileModule, args: (h) => ({ path: join(files, 'owned'), state: 'touch', owner: h.value }) },
  { name: 'file mode', module: fileModule, args: (h) => ({ path: join(files, 'moded'), state: 'touch', mode: h.value }) },
  { name: 'file src (link)', module: fileModule, args: (h) => ({ path: join(files, `link-${HOSTILE.indexOf(h)}`), src: h.value, state: 'link', force: true }) },
  { name: 'copy dest', module: copyModule, args: (h) => ({ content: 'x\n', dest: at(h) }), literal: fileExistsLiterally },
  { name: 'copy content', module: copyModule, args: (h) => ({ content: h.value, dest: join(files, `content-${HOSTILE.indexOf(h)}`) }), literal: (h) => expect(readFileSync(join(files, `content-${HOSTILE.indexOf(h)}`), 'utf8')).toBe(h.value) },
  { name: 'copy owner/group', module: copyModule, args: (h) => ({ content: 'x\n', dest: join(files, 'owner'), owner: h.value, group: h.value }) },
  { name: 'lineinfile path', module: lineinfileModule, args: (h) => ({ path: at(h), line: 'x', create: true }), literal: fileExistsLiterally },
  { name: 'lineinfile line/regexp', module: lineinfileModule, args: (h) => ({ path: join(files, 'lines'), line: h.value, regexp: h.value, create: true }) },
  { name: 'blockinfile path/marker', module: blockinfileModule, args: (h) => ({ path: at(h), block: h.value, marker: `# {mark} ${h.value}`, create: true }) },
  { name: 'stat path', module: statModule, args: (h) => ({ path: at(h), checksum_algorithm: 'sha1' }) },
  { name: 'slurp src', module: slurpModule, args: (h) => ({ src: at(h) }) },
  { name: 'template dest', module: templateModule, args: (h) => ({ src: 't.j2', dest: at(h) }), literal: fileExistsLiterally },
  { name: 'command argv', module: commandModule, args: (h) => ({ argv: ['printf', '%s', h.value] }), literal: (h, o) => expect(o.result?.values?.['stdout']).toBe(h.value.replace(/[\r\n]+$/, '')) },
  { name: 'command chdir/creates', module: commandModule, args: (h) => ({ _raw_params: 'true', chdir: h.value, creates: h.value }) },
  { name: 'shell with | quote', module: shellModule, args: (h) => ({ _raw_params: `printf %s ${shq(h.value)}` }), literal: (h, o) => expect(o.result?.values?.['stdout']).toBe(h.value.replace(/[\r\n]+$/, '')) },
  { name: 'shell chdir', module: shellModule, args: (h) => ({ _raw_params: 'true', chdir: h.value }) },
  { name: 'user name (check)', module: userModule, args: (h) => ({ name: h.value, groups: [h.value], home: h.value, shell: h.value }), check: true },
  { name: 'group name (check)', module: groupModule, args: (h) => ({ name: h.value }), check: true },
  { name: 'service name (check)', module: serviceModule, args: (h) => ({ name: h.value, state: 'started' }), check: true },
  { name: 'systemd name (check)', module: systemdModule, args: (h) => ({ name: h.value, state: 'restarted' }), check: true },
  { name: 'sysctl name/value (check)', module: sysctlModule, args: (h) => ({ name: h.value, value: h.value, sysctl_file: at(h) }), check: true },
  { name: 'modprobe name/params (check)', module: modprobeModule, args: (h) => ({ name: h.value, params: h.value }), check: true },
  { name: 'hostname (check)', module: hostnameModule, args: (h) => ({ name: h.value }), check: true },
  // apt asks apt-cache/dpkg about each name (about a second each): the shell metacharacter cases only
  { name: 'apt name (check)', module: aptModule, args: (h) => ({ name: h.value }), check: true, only: ['semicolon', 'command substitution', 'leading dash --help'] },
  { name: 'wait_for path/search_regex', module: waitForModule, args: (h) => ({ path: at(h), timeout: 0, search_regex: h.value }) },
  // Kubernetes
  { name: 'kube_node name', module: kubeNodeModule, args: (h) => ({ name: h.value, labels: { role: 'worker' } }) },
  { name: 'kube_node label key', module: kubeNodeModule, args: (h) => ({ name: 'n1', labels: { [h.value]: 'x' } }) },
  { name: 'kube_node label value', module: kubeNodeModule, args: (h) => ({ name: 'n1', labels: { role: h.value } }) },
  { name: 'kube_node label list', module: kubeNodeModule, args: (h) => ({ name: 'n1', labels: [`role=${h.value}`] }) },
  { name: 'kube_node taint string', module: kubeNodeModule, args: (h) => ({ name: 'n1', taints: [`${h.value}=x:NoSchedule`] }) },
  { name: 'kube_node taint object', module: kubeNodeModule, args: (h) => ({ name: 'n1', taints: [{ key: 'k', value: h.value, effect: 'NoSchedule' }] }) },
  { name: 'kube_node taint effect', module: kubeNodeModule, args: (h) => ({ name: 'n1', taints: [{ key: 'k', value: 'v', effect: h.value }] }) },
  { name: 'kube_node kubeconfig', module: kubeNodeModule, args: (h) => ({ name: 'n1', kubeconfig: h.value, labels: { a: 'b' } }) },
  { name: 'kubeadm_join endpoint', module: kubeadmJoinModule, args: (h) => ({ endpoint: h.value, token: TOKEN, ca_cert_hashes: [HASH], check_endpoint: false }) },
  { name: 'kubeadm_join token', module: kubeadmJoinModule, args: (h) => ({ endpoint: '10.0.0.1:6443', token: h.value, ca_cert_hashes: [HASH], check_endpoint: false }) },
  { name: 'kubeadm_join CA hash', module: kubeadmJoinModule, args: (h) => ({ endpoint: '10.0.0.1:6443', token: TOKEN, ca_cert_hashes: [h.value], check_endpoint: false }) },
  { name: 'kubeadm_join node name', module: kubeadmJoinModule, args: (h) => ({ endpoint: '10.0.0.1:6443', token: TOKEN, ca_cert_hashes: [HASH], node_name: h.value, check_endpoint: false }) },
  { name: 'kubeadm_join certificate key', module: kubeadmJoinModule, args: (h) => ({ endpoint: '10.0.0.1:6443', token: TOKEN, ca_cert_hashes: [HASH], control_plane: true, certificate_key: h.value, check_endpoint: false }) },
  { name: 'kubeadm_join advertise address', module: kubeadmJoinModule, args: (h) => ({ endpoint: '10.0.0.1:6443', token: TOKEN, ca_cert_hashes: [HASH], control_plane: true, certificate_key: 'c0'.repeat(32), apiserver_advertise_address: h.value, check_endpoint: false }) },
  { name: 'kubeadm_join labels/taints', module: kubeadmJoinModule, args: (h) => ({ endpoint: '10.0.0.1:6443', token: TOKEN, ca_cert_hashes: [HASH], node_labels: { role: h.value }, node_taints: [`k=${h.value}:NoSchedule`], check_endpoint: false }) },
  { name: 'kubeadm_join cri socket', module: kubeadmJoinModule, args: (h) => ({ endpoint: '10.0.0.1:6443', token: TOKEN, ca_cert_hashes: [HASH], cri_socket: h.value, check_endpoint: false }) },
  { name: 'kubeadm_join preflight/timeout', module: kubeadmJoinModule, args: (h) => ({ endpoint: '10.0.0.1:6443', token: TOKEN, ca_cert_hashes: [HASH], ignore_preflight_errors: [h.value], discovery_timeout: h.value, check_endpoint: false }) },
  { name: 'kubeadm_token description/ttl', module: kubeadmTokenModule, args: (h) => ({ description: h.value, ttl: h.value }) },
  { name: 'kubeadm_token description', module: kubeadmTokenModule, args: (h) => ({ description: h.value }), literal: argvHolds },
  { name: 'kubeadm_token absent token', module: kubeadmTokenModule, args: (h) => ({ state: 'absent', token: h.value }) },
  { name: 'kubeadm_init args', module: kubeadmInitModule, args: (h) => ({ control_plane_endpoint: h.value, pod_network_cidr: h.value, kubernetes_version: h.value }) },
  { name: 'kubeadm_init node name/cri', module: kubeadmInitModule, args: (h) => ({ node_name: h.value, cri_socket: h.value }) },
  { name: 'kubeadm_init extra_args', module: kubeadmInitModule, args: (h) => ({ extra_args: [h.value] }), literal: argvHolds },
  { name: 'wait_nodes_ready nodes', module: waitNodesReadyModule, args: (h) => ({ nodes: [h.value], timeout: 1, interval: 1 }) },
];

function shq(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

const outcomes: { case: string; value: string; failed: boolean; msg: string }[] = [];

describe('hostile values in module arguments (local shell, recording kubeadm/kubectl)', () => {
  for (const c of CASES) {
    it(c.name, async () => {
      for (const h of HOSTILE.filter((v) => !c.only || c.only.includes(v.label))) {
        rmSync(argvLog, { force: true });
        const o = await runModule(c.module, c.args(h), { check: c.check });
        outcomes.push({ case: c.name, value: h.label, failed: o.failed, msg: o.msg });
        expect(existsSync(h.marker), `${c.name} with ${h.label}: marker created`).toBe(false);
        if (o.failed) expect(o.msg.trim(), `${c.name} with ${h.label} failed without a message`).not.toBe('');
        else if (c.literal && !h.value.includes('\0') && !/[\r\n]/.test(h.value)) c.literal(h, o);
      }
      expect(readdirSync(markers)).toEqual([]);
    }, 30_000);
  }

  it('the Kubernetes modules reject hostile names, labels, taints, tokens, hashes and endpoints with a validation message', () => {
    const validated = ['kube_node name', 'kube_node label key', 'kube_node label value', 'kube_node label list', 'kube_node taint string', 'kube_node taint object', 'kube_node taint effect',
      'kubeadm_join endpoint', 'kubeadm_join token', 'kubeadm_join CA hash', 'kubeadm_join node name', 'kubeadm_join certificate key', 'kubeadm_join advertise address',
      'kubeadm_join labels/taints', 'kubeadm_join cri socket', 'kubeadm_token absent token', 'kubeadm_init args', 'kubeadm_init node name/cri', 'wait_nodes_ready nodes'];
    const bad = outcomes.filter((o) => validated.includes(o.case) && !o.failed && !['glob', 'leading dash -rf', 'leading dash --help'].includes(o.value));
    expect(bad.map((o) => `${o.case} accepted ${o.value}`)).toEqual([]);
    const messages = outcomes.filter((o) => validated.includes(o.case)).map((o) => o.msg);
    expect(messages.every((m) => /invalid|must|not a|expected|refus/i.test(m)), messages.find((m) => !/invalid|must|not a|expected|refus/i.test(m))).toBe(true);
  });

  it('counts', () => {
    console.log(`injection: ${HOSTILE.length} hostile values, ${CASES.length} module arguments: ${outcomes.length} runs, ${outcomes.filter((o) => o.failed).length} refused, ${outcomes.filter((o) => !o.failed).length} passed literally`);
    expect(outcomes.length).toBe(CASES.reduce((n, c) => n + (c.only?.length ?? HOSTILE.length), 0));
  });
});

// ------------------------------------------------------------------------------ inventory over SSH

const support = fleetSupport();
let fleet: Fleet | undefined;

describe.skipIf(!support.available)('hostile inventory host names and addresses over the OpenSSH fleet', () => {
  beforeAll(async () => {
    fleet = await startFleet({ hosts: ['inj1'] });
  }, 60_000);
  afterAll(async () => {
    await fleet?.stop();
  });

  it('names are data: commands, paths and templates get them literally; a hostile ansible_host is just unreachable', () => {
    const h = fleet!.host('inj1');
    const remoteDir = `/tmp/tsbook-injection-${process.pid}`;
    const names = HOSTILE.filter((v) => !v.value.includes('\0') && !/[\r\n]/.test(v.value)).map((v) => v.value);
    const hostVars = { ansible_host: h.address, ansible_port: h.port };
    const inventory = {
      all: {
        vars: {
          ansible_user: fleet!.user,
          ansible_ssh_private_key_file: fleet!.clientKey.privateKeyFile,
          ansible_ssh_common_args: `-o UserKnownHostsFile=${fleet!.knownHostsFile}`,
        },
        children: {
          hostile: { hosts: Object.fromEntries(names.map((n) => [n, hostVars])) },
          badaddr: {
            hosts: Object.fromEntries(HOSTILE.slice(0, 6).map((v, i) => [`addr${i}`, { ansible_host: v.value, ansible_port: h.port, ansible_connection: 'ssh' }])),
          },
        },
      },
    };
    const dir = mkdtempSync(join(tmpdir(), 'tsbook-injection-cli-'));
    try {
      writeFileSync(join(dir, 'inv.json'), JSON.stringify(inventory));
      writeFileSync(join(dir, 't.j2'), 'host={{ inventory_hostname }}\n');
      writeFileSync(join(dir, 'site.yml'), `
- hosts: hostile
  gather_facts: false
  tasks:
    - file: { path: "${remoteDir}", state: directory }
      run_once: true
    - command:
        argv: [printf, "%s", "{{ inventory_hostname }}"]
      register: echoed
    - command: echo {{ inventory_hostname }}
    - assert: { that: ["echoed.stdout == inventory_hostname"] }
    - shell: printf %s {{ inventory_hostname | quote }}
      register: quoted
    - assert: { that: ["quoted.stdout == inventory_hostname"] }
    - copy: { content: "{{ inventory_hostname }}", dest: "${remoteDir}/{{ inventory_hostname | regex_replace('/', '_') }}" }
    - stat: { path: "${remoteDir}/{{ inventory_hostname | regex_replace('/', '_') }}" }
      register: st
    - assert: { that: ["st.stat.exists"] }
    - lineinfile: { path: "${remoteDir}/lines", line: "{{ inventory_hostname }}", create: true }
      throttle: 1
    - template: { src: t.j2, dest: "${remoteDir}/t-{{ inventory_hostname | regex_replace('/', '_') }}" }
- hosts: badaddr
  gather_facts: false
  tasks:
    - command: "true"
`);
      const r = spawnSync(process.execPath, [join(root, 'bin/tsbook'), 'run', 'site.yml', '-i', 'inv.json', '--forks', '4'], { cwd: dir, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
      const out = `${r.stdout}\n${r.stderr}`;
      // every hostile-named host ran every task; every hostile address was unreachable
      for (const n of names) expect(out, n).toMatch(new RegExp(`${escapeRe(n)}\\s+: ok=\\d+\\s+changed=\\d+\\s+unreachable=0\\s+failed=0`));
      for (let i = 0; i < 6; i++) expect(out).toMatch(new RegExp(`addr${i}\\s+: ok=0\\s+changed=0\\s+unreachable=1`));
      const listing = fleet!.run('inj1', `ls -A ${remoteDir}`).stdout.split('\n').filter((l) => l !== '');
      expect(listing.length).toBe(names.length * 2 + 1);
      const lines = fleet!.run('inj1', `cat ${remoteDir}/lines`).stdout.split('\n').filter((l) => l !== '');
      expect(new Set(lines)).toEqual(new Set(names));
      // no marker on the controller or on the host
      for (const v of HOSTILE) {
        expect(existsSync(v.marker), v.label).toBe(false);
        expect(fleet!.run('inj1', `test -e '${v.marker}'`).rc, v.label).not.toBe(0);
      }
      fleet!.run('inj1', `rm -rf ${remoteDir}`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
