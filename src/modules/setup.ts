import { fnmatchRegex } from '../util/fnmatch.js';
import type { Module, ModuleContext, ModuleResult } from './types.js';
import { ModuleFailure } from './types.js';
import { argList } from './util/args.js';

type Facts = Record<string, unknown>;

/** Package manager binaries in Ansible's PKG_MGRS order (the last one present wins). */
const PKG_MGRS: readonly (readonly [string, string])[] = [
  ['/usr/bin/rpm-ostree', 'atomic_container'], ['/usr/bin/yum', 'yum'], ['/usr/bin/dnf', 'dnf'], ['/usr/bin/apt-get', 'apt'],
  ['/usr/bin/zypper', 'zypper'], ['/usr/sbin/urpmi', 'urpmi'], ['/usr/bin/pacman', 'pacman'], ['/bin/opkg', 'opkg'],
  ['/usr/pkg/bin/pkgin', 'pkgin'], ['/opt/local/bin/pkgin', 'pkgin'], ['/opt/tools/bin/pkgin', 'pkgin'], ['/opt/local/bin/port', 'macports'],
  ['/usr/local/bin/brew', 'homebrew'], ['/opt/homebrew/bin/brew', 'homebrew'], ['/sbin/apk', 'apk'], ['/usr/sbin/pkg', 'pkgng'],
  ['/usr/sbin/swlist', 'swdepot'], ['/usr/bin/emerge', 'portage'], ['/usr/sbin/pkgadd', 'svr4pkg'], ['/usr/bin/pkg', 'pkg5'],
  ['/usr/bin/xbps-install', 'xbps'], ['/usr/local/sbin/pkg', 'pkgng'], ['/usr/bin/swupd', 'swupd'], ['/usr/sbin/sorcery', 'sorcery'],
  ['/usr/bin/installp', 'installp'],
];

const OS_FAMILY_MAP: Readonly<Record<string, readonly string[]>> = {
  RedHat: ['RedHat', 'RHEL', 'Fedora', 'CentOS', 'Scientific', 'SLC', 'Ascendos', 'CloudLinux', 'PSBM', 'OracleLinux', 'OVS', 'OEL', 'Amazon',
    'Virtuozzo', 'XenServer', 'Alibaba', 'EulerOS', 'openEuler', 'AlmaLinux', 'Rocky', 'TencentOS', 'EuroLinux', 'Kylin Linux Advanced Server'],
  Debian: ['Debian', 'Ubuntu', 'Raspbian', 'Neon', 'KDE neon', 'Linux Mint', 'SteamOS', 'Devuan', 'Kali', 'Cumulus Linux', 'Pop!_OS', 'Parrot',
    'Pardus GNU/Linux', 'Uos', 'Deepin', 'OSMC'],
  Suse: ['SuSE', 'SLES', 'SLED', 'openSUSE', 'openSUSE Tumbleweed', 'SLES_SAP', 'SUSE_LINUX', 'openSUSE Leap'],
  Archlinux: ['Archlinux', 'Antergos', 'Manjaro'],
  Mandrake: ['Mandrake', 'Mandriva'],
  Slackware: ['Slackware'],
  Altlinux: ['Altlinux'],
  Gentoo: ['Gentoo', 'Funtoo'],
  Alpine: ['Alpine'],
  ClearLinux: ['Clear Linux OS', 'Clear Linux Mix'],
};

/** os-release ID -> Ansible's distribution name. */
const DISTRIBUTION_NAMES: Readonly<Record<string, string>> = {
  debian: 'Debian', ubuntu: 'Ubuntu', raspbian: 'Debian', linuxmint: 'Linux Mint', kali: 'Kali', devuan: 'Devuan', pop: 'Pop!_OS',
  neon: 'KDE neon', parrot: 'Parrot', deepin: 'Deepin', centos: 'CentOS', rhel: 'RedHat', fedora: 'Fedora', rocky: 'Rocky',
  almalinux: 'AlmaLinux', ol: 'OracleLinux', amzn: 'Amazon', scientific: 'Scientific', cloudlinux: 'CloudLinux', virtuozzo: 'Virtuozzo',
  eurolinux: 'EuroLinux', openEuler: 'openEuler', euleros: 'EulerOS', alpine: 'Alpine', arch: 'Archlinux', manjaro: 'Manjaro',
  'opensuse-leap': 'openSUSE Leap', 'opensuse-tumbleweed': 'openSUSE Tumbleweed', opensuse: 'openSUSE', sles: 'SLES', sled: 'SLED',
  sles_sap: 'SLES_SAP', gentoo: 'Gentoo', slackware: 'Slackware', altlinux: 'Altlinux', 'clear-linux-os': 'Clear Linux OS',
};

const INTERFACE_TYPES: Readonly<Record<string, string>> = { '1': 'ether', '32': 'infiniband', '512': 'ppp', '772': 'loopback', '65534': 'tunnel' };

/** Python code (double quotes only) printing what the `python` facts need as one JSON list. */
const PYTHON_PROBE =
  'import sys,json;v=sys.version_info;' +
  'u=__import__("importlib.util").util;' +
  'print(json.dumps([sys.executable,list(v)[:5],getattr(getattr(sys,"implementation",None),"name",None),' +
  'hasattr(__import__("ssl"),"SSLContext") if u.find_spec("ssl") else False,__import__("platform").python_version()]))';

/**
 * The one probe that gathers everything (plain POSIX sh and common tools). Python is not required:
 * when `python` (the interpreter, default python3) is absent the python facts are left out. Sections
 * start with `@@name` lines; parseFactSections splits them.
 */
export function factsScript(python = 'python3'): string {
  const py = /^[A-Za-z0-9_./+-]+$/.test(python) && !/^auto(_legacy)?(_silent)?$/.test(python) ? python : 'python3';
  return [...FACTS_SCRIPT_PARTS.slice(0, -1), `echo @@python; command -v ${py} >/dev/null 2>&1 && ${py} -c '${PYTHON_PROBE}' 2>/dev/null`, 'echo @@end'].join('; ');
}

const FACTS_SCRIPT_PARTS = [
  `echo @@uname; uname -n; uname -s; uname -r; uname -v; uname -m`,
  `echo @@fqdn; h=$(hostname 2>/dev/null || uname -n); a=$(getent hosts "$h" 2>/dev/null | awk 'NR==1{print $1}'); if [ -n "$a" ]; then getent hosts "$a" 2>/dev/null | head -n 1; fi`,
  `echo @@os-release; cat /etc/os-release 2>/dev/null || cat /usr/lib/os-release 2>/dev/null`,
  `echo @@debian_version; cat /etc/debian_version 2>/dev/null`,
  `echo @@lsb_release; command -v lsb_release >/dev/null 2>&1 && lsb_release -a 2>/dev/null`,
  `echo @@lsb-release; cat /etc/lsb-release 2>/dev/null`,
  `echo @@meminfo; cat /proc/meminfo 2>/dev/null`,
  `echo @@cpuinfo; cat /proc/cpuinfo 2>/dev/null`,
  `echo @@nproc; nproc 2>/dev/null`,
  `echo @@route; ip -4 route get 8.8.8.8 2>/dev/null`,
  `echo @@addr; ip -o -4 addr show 2>/dev/null`,
  `echo @@ifaces; for i in /sys/class/net/*; do [ -e "$i" ] || continue; echo "\${i##*/} $(cat "$i/address" 2>/dev/null) $(cat "$i/mtu" 2>/dev/null) $(cat "$i/type" 2>/dev/null)"; done`,
  `echo @@id; id -u; id -g; id -un; id -ru; id -rg`,
  `echo @@passwd; getent passwd "$(id -un)" 2>/dev/null || grep "^$(id -un):" /etc/passwd 2>/dev/null`,
  `echo @@date; date '+%Y|%m|%d|%H|%M|%S|%Z|%z|%s|%A|%w|%W|%N'; date -u '+%Y-%m-%dT%H:%M:%S'; date -d @1704067200 '+%Z|%z' 2>/dev/null; date -d @1719792000 '+%Z|%z' 2>/dev/null`,
  `echo @@proc1; cat /proc/1/comm 2>/dev/null`,
  `echo @@svc; [ -d /run/systemd/system ] && echo systemd_run; [ -d /dev/.run/systemd ] && echo systemd_run; [ -d /dev/.systemd ] && echo systemd_run; command -v systemctl >/dev/null 2>&1 && echo systemctl; command -v initctl >/dev/null 2>&1 && [ -d /etc/init ] && echo upstart; [ -e /sbin/openrc ] && echo openrc; [ -d /etc/init.d ] && echo initd; l=$(readlink /sbin/init 2>/dev/null) && echo "sbin_init=$l"`,
  `echo @@pkg; for p in ${[...new Set(PKG_MGRS.map(([p]) => p))].join(' ')} /run/ostree-booted; do [ -e "$p" ] && echo "$p"; done`,
  `echo @@env; env -0 2>/dev/null || env; echo`,
  `echo @@end`,
];

/** The probe for a host without ansible_python_interpreter. */
export const FACTS_SCRIPT = factsScript();

/** Splits the probe's output into its `@@name` sections. */
export function parseFactSections(stdout: string): Map<string, string> {
  const sections = new Map<string, string>();
  let name: string | undefined;
  let body: string[] = [];
  for (const line of stdout.split('\n')) {
    const m = /^@@([a-z0-9_-]+)$/.exec(line.replace(/^\0/, ''));
    if (m) {
      if (name !== undefined) sections.set(name, body.join('\n'));
      name = m[1]!;
      body = [];
    } else if (name !== undefined) {
      body.push(line);
    }
  }
  if (name !== undefined && name !== 'end') sections.set(name, body.join('\n'));
  return sections;
}

function keyValues(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const m = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(line.trim());
    if (m) out[m[1]!] = m[2]!.replace(/^(["'])(.*)\1$/, '$2');
  }
  return out;
}

/** ansible_python and ansible_python_version, from the python probe (empty when python is absent). */
export function pythonFacts(s: Map<string, string>): Facts {
  const text = (s.get('python') ?? '').trim();
  if (text === '') return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(text.split('\n').pop()!);
  } catch {
    return {};
  }
  if (!Array.isArray(parsed) || parsed.length < 5 || !Array.isArray(parsed[1])) return {};
  const [executable, versionInfo, type, hasSslContext, version] = parsed as [unknown, unknown[], unknown, unknown, unknown];
  const [major, minor, micro, releaselevel, serial] = versionInfo;
  return {
    ansible_python: {
      executable,
      version: { major, minor, micro, releaselevel, serial },
      version_info: versionInfo,
      type: type ?? null,
      has_sslcontext: hasSslContext === true,
    },
    ansible_python_version: version,
  };
}

function platformFacts(s: Map<string, string>): Facts {
  const [nodename = '', system = '', kernel = '', kernelVersion = '', machine = ''] = (s.get('uname') ?? '').split('\n');
  const fqdnLine = (s.get('fqdn') ?? '').trim().split(/\s+/).filter(Boolean).slice(1);
  const fqdn = fqdnLine.find((n) => n.includes('.')) ?? fqdnLine[0] ?? nodename;
  return {
    ansible_system: system,
    ansible_kernel: kernel,
    ansible_kernel_version: kernelVersion,
    ansible_machine: machine,
    ansible_architecture: /^i[3-6]86$/.test(machine) ? 'i386' : machine,
    ansible_nodename: nodename,
    ansible_hostname: nodename.split('.')[0],
    ansible_fqdn: fqdn,
    ansible_domain: fqdn.includes('.') ? fqdn.slice(fqdn.indexOf('.') + 1) : '',
  };
}

function distributionFacts(s: Map<string, string>, system: string): Facts {
  const os = keyValues(s.get('os-release') ?? '');
  const id = os['ID'] ?? '';
  const distribution = id ? (DISTRIBUTION_NAMES[id] ?? id.charAt(0).toUpperCase() + id.slice(1)) : system;
  let version = os['VERSION_ID'] ?? '';
  const debianVersion = (s.get('debian_version') ?? '').trim();
  if (distribution === 'Debian' && /^\d/.test(debianVersion)) version = debianVersion;
  const paren = /\(([^)]+)\)/.exec(os['VERSION'] ?? '');
  const release = os['VERSION_CODENAME'] || os['UBUNTU_CODENAME'] || (paren ? paren[1]! : '') || 'NA';
  let family = distribution;
  for (const [fam, names] of Object.entries(OS_FAMILY_MAP)) if (names.includes(distribution)) family = fam;
  return {
    ansible_distribution: distribution,
    ansible_distribution_version: version || 'NA',
    ansible_distribution_major_version: version ? version.split('.')[0] : 'NA',
    ansible_distribution_release: release,
    ansible_os_family: family,
  };
}

function lsbFacts(s: Map<string, string>): Facts {
  const lsb: Record<string, string> = {};
  const fromCommand = s.get('lsb_release') ?? '';
  if (fromCommand.trim() !== '') {
    for (const line of fromCommand.split('\n')) {
      const m = /^([^:]+):\s*(.*)$/.exec(line);
      if (!m) continue;
      const key = { 'Distributor ID': 'id', Description: 'description', Release: 'release', Codename: 'codename' }[m[1]!.trim()];
      if (key) lsb[key] = m[2]!.trim();
    }
  } else {
    const kv = keyValues(s.get('lsb-release') ?? '');
    const map: Record<string, string> = { DISTRIB_ID: 'id', DISTRIB_RELEASE: 'release', DISTRIB_DESCRIPTION: 'description', DISTRIB_CODENAME: 'codename' };
    for (const [k, v] of Object.entries(kv)) if (map[k]) lsb[map[k]!] = v;
  }
  if (lsb['release']) lsb['major_release'] = lsb['release'].split('.')[0]!;
  return { ansible_lsb: lsb };
}

function memoryFacts(s: Map<string, string>): Facts {
  const mem: Record<string, number> = {};
  for (const line of (s.get('meminfo') ?? '').split('\n')) {
    const m = /^(\w+):\s+(\d+)/.exec(line);
    if (m) mem[m[1]!] = Math.floor(Number(m[2]) / 1024);
  }
  if (mem['MemTotal'] === undefined) return {};
  return {
    ansible_memtotal_mb: mem['MemTotal'],
    ansible_memfree_mb: mem['MemFree'] ?? 0,
    ansible_swaptotal_mb: mem['SwapTotal'] ?? 0,
    ansible_swapfree_mb: mem['SwapFree'] ?? 0,
  };
}

/** Ansible's Linux CPU counting from /proc/cpuinfo. */
export function cpuFacts(cpuinfo: string, architecture: string, nproc: string): Facts {
  if (cpuinfo.trim() === '') return {};
  const processor: string[] = [];
  let i = 0;
  let vendorIds = 0;
  let modelNames = 0;
  let processors = 0;
  let physid = '0';
  let coreid = '0';
  const sockets = new Map<string, number>();
  const cores = new Map<string, number>();
  let declaredCores: number | undefined;
  for (const line of cpuinfo.split('\n')) {
    const idx = line.indexOf(':');
    const key = (idx < 0 ? line : line.slice(0, idx)).trim();
    const val = idx < 0 ? '' : line.slice(idx + 1).trim();
    if (['model name', 'Processor', 'vendor_id', 'cpu', 'Vendor', 'processor'].includes(key)) {
      processor.push(val);
      if (key === 'vendor_id') vendorIds++;
      if (key === 'model name') modelNames++;
      if (key === 'processor') processors++;
      i++;
    } else if (key === 'physical id') {
      physid = val;
      if (!sockets.has(physid)) sockets.set(physid, 1);
    } else if (key === 'core id') {
      coreid = val;
      if (!sockets.has(coreid)) cores.set(coreid, 1);
    } else if (key === 'cpu cores') {
      sockets.set(physid, Number(val));
    } else if (key === 'siblings') {
      cores.set(coreid, Number(val));
    } else if (key === '# processors') {
      declaredCores = Number(val);
    } else if (key === 'ncpus active') {
      i = Number(val);
    }
  }
  if (vendorIds > 0 && vendorIds === modelNames) i = vendorIds;
  if (/^(armv|aarch|ppc)/.test(architecture)) i = processors;
  const count = sockets.size > 0 ? sockets.size : i;
  const firstSocket = [...sockets.values()][0];
  const coresPer = firstSocket ? firstSocket : (declaredCores ?? 1);
  const firstCore = [...cores.values()][0];
  const threads = firstCore !== undefined ? Math.floor(firstCore / coresPer) : Math.floor(1 / coresPer);
  const n = Number(nproc.trim());
  return {
    ansible_processor: processor,
    ansible_processor_count: count,
    ansible_processor_cores: coresPer,
    ansible_processor_threads_per_core: threads,
    ansible_processor_vcpus: threads * count * coresPer,
    ansible_processor_nproc: Number.isInteger(n) && n > 0 ? n : processors,
  };
}

function netmask(prefix: number): string {
  const bits = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
  return [24, 16, 8, 0].map((shift) => (bits >>> shift) & 255).join('.');
}

function network(address: string, prefix: number): string {
  const mask = netmask(prefix).split('.').map(Number);
  return address.split('.').map((o, k) => Number(o) & mask[k]!).join('.');
}

function networkFacts(s: Map<string, string>): Facts {
  const ifaces = new Map<string, { macaddress: string; mtu: number; type: string }>();
  for (const line of (s.get('ifaces') ?? '').split('\n')) {
    const [name, mac, mtu, type] = line.trim().split(/\s+/);
    if (!name) continue;
    ifaces.set(name, { macaddress: mac && mac.includes(':') ? mac : 'unknown', mtu: Number(mtu), type: INTERFACE_TYPES[type ?? ''] ?? 'unknown' });
  }
  const addrs: { device: string; address: string; prefix: number; broadcast: string; label: string }[] = [];
  for (const line of (s.get('addr') ?? '').split('\n')) {
    const m = /^\d+:\s+(\S+)\s+inet\s+([\d.]+)\/(\d+)(?:\s+brd\s+([\d.]+))?.*?\s(\S+)\\/.exec(line);
    if (m) addrs.push({ device: m[1]!, address: m[2]!, prefix: Number(m[3]), broadcast: m[4] ?? '', label: m[5]! });
  }
  const facts: Facts = { ansible_all_ipv4_addresses: addrs.filter((a) => !a.address.startsWith('127.')).map((a) => a.address) };
  const route = (s.get('route') ?? '').split('\n')[0]!.trim().split(/\s+/);
  const after = (word: string) => {
    const k = route.indexOf(word);
    return k >= 0 ? route[k + 1] : undefined;
  };
  const dev = after('dev');
  const src = after('src');
  const defaultV4: Record<string, unknown> = {};
  if (dev) {
    defaultV4['interface'] = dev;
    if (src) defaultV4['address'] = src;
    const gw = after('via');
    if (gw) defaultV4['gateway'] = gw;
    const addr = addrs.find((a) => a.device === dev && (!src || a.address === src)) ?? addrs.find((a) => a.device === dev);
    if (addr) {
      Object.assign(defaultV4, {
        address: addr.address,
        alias: addr.label,
        broadcast: addr.broadcast,
        netmask: netmask(addr.prefix),
        network: network(addr.address, addr.prefix),
        prefix: String(addr.prefix),
      });
    }
    const info = ifaces.get(dev);
    if (info) Object.assign(defaultV4, info);
  }
  facts['ansible_default_ipv4'] = defaultV4;
  return facts;
}

function userFacts(s: Map<string, string>): Facts {
  const [uid = '', gid = '', name = '', ruid = '', rgid = ''] = (s.get('id') ?? '').split('\n').map((l) => l.trim());
  const pw = (s.get('passwd') ?? '').split('\n')[0]!.split(':');
  const facts: Facts = {
    ansible_user_id: name,
    ansible_user_uid: Number(ruid || uid),
    ansible_user_gid: Number(rgid || gid),
    ansible_effective_user_id: Number(uid),
    ansible_effective_group_id: Number(gid),
    ansible_real_user_id: Number(ruid || uid),
    ansible_real_group_id: Number(rgid || gid),
  };
  if (pw.length >= 7) Object.assign(facts, { ansible_user_gecos: pw[4], ansible_user_dir: pw[5], ansible_user_shell: pw[6] });
  return facts;
}

function envFacts(s: Map<string, string>): Facts {
  const text = s.get('env') ?? '';
  const entries = text.includes('\0') ? text.split('\0') : text.split('\n');
  const env: Record<string, string> = {};
  for (const entry of entries) {
    const k = entry.indexOf('=');
    if (k > 0) env[entry.slice(0, k).replace(/^\n/, '')] = entry.slice(k + 1);
  }
  return { ansible_env: env };
}

function dateFacts(s: Map<string, string>): Facts {
  const lines = (s.get('date') ?? '').split('\n');
  const f = (lines[0] ?? '').split('|');
  if (f.length < 13) return {};
  const [year, month, day, hour, minute, second, tz, tzOffset, epoch, weekday, weekdayNumber, weeknumber, nanos] = f as [string, ...string[]];
  const micro = /^\d{9}$/.test(nanos ?? '') ? nanos!.slice(0, 6) : '000000';
  const utc = (lines[1] ?? '').trim();
  const zones = [lines[2], lines[3]].filter((l): l is string => Boolean(l && l.includes('|'))).map((l) => l.split('|') as [string, string]);
  let tzDst = tz!;
  if (zones.length === 2) tzDst = zones[0]![1] > zones[1]![1] ? zones[0]![0] : zones[1]![0];
  return {
    ansible_date_time: {
      date: `${year}-${month}-${day}`,
      day,
      epoch,
      epoch_int: epoch,
      hour,
      iso8601: `${utc}Z`,
      iso8601_basic: `${year}${month}${day}T${hour}${minute}${second}${micro}`,
      iso8601_basic_short: `${year}${month}${day}T${hour}${minute}${second}`,
      iso8601_micro: `${utc}.${micro}Z`,
      minute,
      month,
      second,
      time: `${hour}:${minute}:${second}`,
      tz,
      tz_dst: tzDst,
      tz_offset: tzOffset,
      weekday,
      weekday_number: weekdayNumber,
      weeknumber,
      year,
    },
  };
}

function serviceMgr(s: Map<string, string>, system: string): string {
  const map: Record<string, string> = { procd: 'openwrt_init', 'runit-init': 'runit', svscan: 'svc', 'openrc-init': 'openrc' };
  const svc = (s.get('svc') ?? '').split('\n').map((l) => l.trim());
  let proc1: string | undefined = (s.get('proc1') ?? '').trim() || undefined;
  const sbinInit = svc.find((l) => l.startsWith('sbin_init='))?.slice('sbin_init='.length);
  if (proc1 === undefined && sbinInit) proc1 = sbinInit;
  if (proc1 !== undefined) proc1 = proc1.split('/').pop()!.trim();
  if (proc1 !== undefined && (proc1 === 'init' || proc1.endsWith('sh'))) proc1 = undefined;
  if (proc1) return map[proc1] ?? proc1;
  if (system === 'Linux') {
    if (svc.includes('systemctl') && svc.includes('systemd_run')) return 'systemd';
    if (svc.includes('upstart')) return 'upstart';
    if (svc.includes('openrc')) return 'openrc';
    if (svc.includes('systemctl') && sbinInit && sbinInit.endsWith('systemd')) return 'systemd';
    if (svc.includes('initd')) return 'sysvinit';
  }
  return 'service';
}

function pkgMgr(s: Map<string, string>, distribution: string, family: string, major: string): string {
  const present = new Set((s.get('pkg') ?? '').split('\n').map((l) => l.trim()));
  let name = 'unknown';
  for (const [path, mgr] of PKG_MGRS) if (present.has(path)) name = mgr;
  const has = (mgr: string) => PKG_MGRS.some(([path, m]) => m === mgr && present.has(path));
  const majorNumber = Number(major);
  if (family === 'RedHat') {
    if (present.has('/run/ostree-booted')) return 'atomic_container';
    if (distribution === 'Fedora') {
      if (!Number.isInteger(majorNumber)) return 'dnf';
      if (majorNumber < 23) return has('yum') ? 'yum' : name;
      return has('dnf') ? 'dnf' : name;
    }
    if (distribution === 'Amazon') {
      if (!Number.isInteger(majorNumber)) return 'dnf';
      if (majorNumber < 2022) return has('yum') ? 'yum' : name;
      return has('dnf') ? 'dnf' : name;
    }
    return majorNumber < 8 ? 'yum' : 'dnf';
  }
  if (family === 'Debian') return 'apt';
  if (family === 'Altlinux' && name === 'apt') return 'apt_rpm';
  return name;
}

/** Every fact tsbook gathers, keyed with the `ansible_` prefix, grouped by Ansible's gather_subset names. */
export function factsFromProbe(stdout: string): { min: Facts; hardware: Facts; network: Facts } {
  const s = parseFactSections(stdout);
  const platform = platformFacts(s);
  const system = String(platform['ansible_system']);
  const dist = distributionFacts(s, system);
  const min: Facts = {
    ...platform,
    ...dist,
    ...lsbFacts(s),
    ...userFacts(s),
    ...envFacts(s),
    ...dateFacts(s),
    ...pythonFacts(s),
    ansible_service_mgr: serviceMgr(s, system),
    ansible_pkg_mgr: pkgMgr(s, String(dist['ansible_distribution']), String(dist['ansible_os_family']), String(dist['ansible_distribution_major_version'])),
  };
  const hardware: Facts = { ...memoryFacts(s), ...cpuFacts(s.get('cpuinfo') ?? '', String(platform['ansible_architecture']), s.get('nproc') ?? '') };
  return { min, hardware, network: networkFacts(s) };
}

const SUBSETS = ['min', 'hardware', 'network'] as const;
type Subset = (typeof SUBSETS)[number];
const KNOWN_SUBSETS = new Set(['all', 'min', 'hardware', 'network', 'virtual', 'ohai', 'facter', 'apparmor', 'caps', 'cmdline', 'date_time',
  'distribution', 'dns', 'env', 'fips', 'local', 'lsb', 'pkg_mgr', 'platform', 'python', 'selinux', 'service_mgr', 'ssh_pub_keys', 'user',
  'devices', 'dmi', 'interfaces', 'mounts', 'default_ipv4', 'default_ipv6', 'all_ipv4_addresses', 'all_ipv6_addresses', 'system', 'loadavg']);

/** Which of tsbook's fact groups a gather_subset list selects (Ansible's rules: exclusions alone start from all; min is always in unless !min). */
export function selectSubsets(gatherSubset: readonly string[]): Set<Subset> {
  const includes = gatherSubset.filter((x) => !x.startsWith('!'));
  const excludes = gatherSubset.filter((x) => x.startsWith('!')).map((x) => x.slice(1));
  for (const name of [...includes, ...excludes]) {
    if (!KNOWN_SUBSETS.has(name)) throw new ModuleFailure(`Bad subset '${name}' given to Ansible. gather_subset options allowed: all, ${[...KNOWN_SUBSETS].filter((n) => n !== 'all').sort().join(', ')}`);
  }
  const selected = new Set<Subset>(includes.length === 0 || includes.includes('all') ? SUBSETS : ['min']);
  for (const name of includes) if ((SUBSETS as readonly string[]).includes(name)) selected.add(name as Subset);
  if (excludes.includes('all')) for (const x of ['hardware', 'network'] as const) if (!includes.includes(x)) selected.delete(x);
  for (const name of excludes) if (name !== 'min' && (SUBSETS as readonly string[]).includes(name)) selected.delete(name as Subset);
  if (excludes.includes('min') && !includes.includes('min')) selected.delete('min');
  return selected;
}


export const setupModule: Module = {
  name: 'setup',
  aliases: ['gather_facts', 'ansible.builtin.gather_facts', 'ansible.legacy.gather_facts'],
  description: 'Gathers facts about the host (OS, kernel, network, memory, CPUs, user, environment...) with one shell probe; they become ansible_* variables.',
  args: {
    type: 'object',
    additionalProperties: false,
    properties: {
      gather_subset: {
        anyOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' } }],
        default: ['all'],
        description: 'Which fact groups to gather: all, min, hardware, network; prefix with ! to exclude (e.g. `[!all, network]`).',
      },
      filter: {
        anyOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' } }],
        description: 'Only return facts whose name (with the ansible_ prefix) matches one of these shell-style patterns, e.g. `ansible_distribution*`.',
      },
      gather_timeout: { type: ['integer', 'string'], default: 10, description: 'Accepted for compatibility and ignored: tsbook gathers with one probe.' },
      fact_path: { type: 'string', description: 'Accepted for compatibility; local facts (facts.d) are not gathered.' },
    },
  },
  checkMode: 'full',
  async run(args, ctx: ModuleContext): Promise<ModuleResult> {
    const gatherSubset = argList(args, 'gather_subset') ?? ['all'];
    const subsets = selectSubsets(gatherSubset);
    const filters = (argList(args, 'filter') ?? []).filter((f) => f !== '');
    const interpreter = ctx.lookupVar('ansible_python_interpreter');
    const python = interpreter.defined && typeof interpreter.value === 'string' && interpreter.value !== '' ? interpreter.value : undefined;
    const res = await ctx.probe(python === undefined ? FACTS_SCRIPT : factsScript(python));
    if (!res.stdout.includes('@@uname')) {
      throw new ModuleFailure(`could not gather facts: ${res.stderr.trim() || `probe exited with ${res.rc}`}`);
    }
    const groups = factsFromProbe(res.stdout);
    let facts: Facts = {};
    for (const subset of SUBSETS) if (subsets.has(subset)) Object.assign(facts, groups[subset]);
    if (filters.length > 0) {
      const patterns = filters.map(fnmatchRegex);
      facts = Object.fromEntries(Object.entries(facts).filter(([k]) => patterns.some((p) => p.test(k))));
    }
    facts['gather_subset'] = gatherSubset;
    facts['module_setup'] = true;
    return { changed: false, facts, values: { ansible_facts: facts } };
  },
};

export { fnmatchRegex };
