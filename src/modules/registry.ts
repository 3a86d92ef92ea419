import type { Module } from './types.js';
import { addHostModule } from './add_host.js';
import { assertModule } from './assert.js';
import { commandModule } from './command.js';
import { debugModule } from './debug.js';
import { failModule } from './fail.js';
import { groupByModule } from './group_by.js';
import { includeVarsModule } from './include_vars.js';
import { pauseModule } from './pause.js';
import { pingModule } from './ping.js';
import { rawModule } from './raw.js';
import { scriptModule } from './script.js';
import { setFactModule } from './set_fact.js';
import { setStatsModule } from './set_stats.js';
import { setupModule } from './setup.js';
import { shellModule } from './shell.js';
import { waitForModule } from './wait_for.js';
import { rebootModule } from './reboot.js';
import { copyModule } from './copy.js';
import { templateModule } from './template.js';
import { fileModule } from './file.js';
import { lineinfileModule } from './lineinfile.js';
import { blockinfileModule } from './blockinfile.js';
import { statModule } from './stat.js';
import { slurpModule } from './slurp.js';
import { fetchModule } from './fetch.js';
import { getUrlModule } from './get_url.js';
import { uriModule } from './uri.js';
import { unarchiveModule } from './unarchive.js';
import { tempfileModule } from './tempfile.js';
import { serviceModule } from './service.js';
import { systemdModule } from './systemd.js';
import { packageModule } from './package.js';
import { aptModule } from './apt.js';
import { hostnameModule } from './hostname.js';
import { sysctlModule } from './sysctl.js';
import { modprobeModule } from './modprobe.js';
import { userModule } from './user.js';
import { groupModule } from './group.js';
import { dpkgSelectionsModule } from './dpkg_selections.js';
import { gitModule } from './git.js';
import { cronModule } from './cron.js';
import { mountModule } from './mount.js';
import { aclModule } from './acl.js';
import { pipModule } from './pip.js';
import { kubeadmInitModule } from './k8s/kubeadm_init.js';
import { kubeadmTokenModule } from './k8s/kubeadm_token.js';
import { kubeadmJoinModule } from './k8s/kubeadm_join.js';
import { kubeadmResetModule } from './k8s/kubeadm_reset.js';
import { waitNodesReadyModule } from './k8s/wait_nodes_ready.js';
import { kubeNodeModule } from './k8s/kube_node.js';

/**
 * Every module tsbook ships. Add a module by importing its file and listing it here; the loader,
 * the engine and the schema generator all read this list and nothing else.
 */
const MODULES: readonly Module[] = [
  // command & controller modules
  commandModule,
  shellModule,
  rawModule,
  scriptModule,
  debugModule,
  setFactModule,
  assertModule,
  failModule,
  pingModule,
  setupModule,
  pauseModule,
  waitForModule,
  rebootModule,
  includeVarsModule,
  addHostModule,
  groupByModule,
  setStatsModule,
  // file modules
  copyModule,
  templateModule,
  fileModule,
  lineinfileModule,
  blockinfileModule,
  statModule,
  slurpModule,
  fetchModule,
  getUrlModule,
  uriModule,
  unarchiveModule,
  tempfileModule,
  // system modules
  serviceModule,
  systemdModule,
  packageModule,
  aptModule,
  hostnameModule,
  sysctlModule,
  modprobeModule,
  userModule,
  groupModule,
  dpkgSelectionsModule,
  gitModule,
  cronModule,
  mountModule,
  aclModule,
  pipModule,
  // kubernetes modules
  kubeadmInitModule,
  kubeadmTokenModule,
  kubeadmJoinModule,
  kubeadmResetModule,
  waitNodesReadyModule,
  kubeNodeModule,
];

/**
 * Actions the engine implements itself rather than as modules (they change the task flow).
 * The loader accepts them as task actions.
 */
export const ENGINE_ACTIONS: readonly string[] = [
  'meta',
  'include_tasks',
  'import_tasks',
  'include_role',
  'import_role',
  'import_playbook',
];

const PREFIXES = ['ansible.builtin.', 'ansible.legacy.'];

/**
 * Modules of other collections that exist there under the same short name as a tsbook module
 * (ansible-core's ansible_builtin_runtime.yml redirects the bare names to them). Their FQCNs resolve
 * to the built-in of that name when tsbook ships it; any other collection FQCN stays unresolved.
 */
const COLLECTION_MODULES: Readonly<Record<string, readonly string[]>> = {
  'ansible.posix': ['acl', 'at', 'authorized_key', 'firewalld', 'mount', 'patch', 'seboolean', 'selinux', 'synchronize', 'sysctl'],
  'community.general': ['alternatives', 'archive', 'capabilities', 'filesystem', 'ini_file', 'locale_gen', 'lvg', 'lvol', 'make', 'modprobe', 'nmcli', 'npm', 'pam_limits', 'parted', 'snap', 'sudoers', 'timezone', 'ufw'],
};

function collectionShortName(name: string): string | undefined {
  const dot = name.lastIndexOf('.');
  if (dot < 0) return undefined;
  const short = name.slice(dot + 1);
  return COLLECTION_MODULES[name.slice(0, dot)]?.includes(short) ? short : undefined;
}

/** The canonical module name for `name` (`ansible.builtin.copy` -> `copy`), or the name unchanged. */
export function canonicalModuleName(name: string): string {
  let bare = name;
  for (const prefix of PREFIXES) if (name.startsWith(prefix)) bare = name.slice(prefix.length);
  const short = collectionShortName(name);
  if (short !== undefined && MODULES.some((m) => m.name === short)) return short;
  for (const module of MODULES) if (module.aliases?.includes(name) || module.aliases?.includes(bare)) return module.name;
  return bare;
}

const byName = new Map<string, Module>();
for (const module of MODULES) byName.set(module.name, module);

export function findModule(name: string): Module | undefined {
  return byName.get(canonicalModuleName(name));
}

export function allModules(): readonly Module[] {
  return MODULES;
}

/** Every name a task may use as its action: modules, their FQCNs and aliases, and engine actions. */
export function allActionNames(): string[] {
  const names: string[] = [];
  for (const name of [...MODULES.map((m) => m.name), ...ENGINE_ACTIONS]) {
    names.push(name, ...PREFIXES.map((p) => p + name));
  }
  for (const module of MODULES) names.push(...(module.aliases ?? []));
  return [...new Set([...names, ...collectionModuleNames()])];
}

/** The FQCNs of other collections' modules that resolve to a tsbook module (`ansible.posix.mount`...). */
export function collectionModuleNames(): string[] {
  const names = new Set<string>();
  for (const [collection, shorts] of Object.entries(COLLECTION_MODULES)) {
    for (const short of shorts) if (findModule(`${collection}.${short}`)) names.add(`${collection}.${short}`);
  }
  for (const module of MODULES) {
    for (const name of [module.name, ...(module.aliases ?? [])]) if (name.includes('.') && !PREFIXES.some((p) => name.startsWith(p))) names.add(name);
  }
  return [...names].sort();
}
