/**
 * ansible.cfg, read the way ansible-core 2.14's ConfigManager does for the settings tsbook uses:
 * discovery (ANSIBLE_CONFIG, ./ansible.cfg unless the cwd is world-writable, ~/.ansible.cfg,
 * /etc/ansible/ansible.cfg), Python configparser syntax, ANSIBLE_* environment variables winning over
 * the file, Ansible's type conversions (paths relative to the cfg file's directory), and the origin
 * of every value for `tsbook config dump`.
 */
import { constants as fsConstants, readdirSync, readFileSync } from 'node:fs';
import { access, readFile, stat } from 'node:fs/promises';
import { basename, dirname, extname, isAbsolute, join, normalize } from 'node:path';
import { homedir } from 'node:os';
import { LoadError, UsageError } from '../model/errors.js';

// ------------------------------------------------------------------ INI (Python configparser)

export interface IniValue {
  readonly value: string;
  /** 1-based line of the `key = value` line. */
  readonly line: number;
}

export interface IniFile {
  /** Sections in file order; keys lowercased as configparser's optionxform does. */
  readonly sections: ReadonlyMap<string, ReadonlyMap<string, IniValue>>;
  /** The [DEFAULT] section, inherited by every other section. */
  readonly defaults: ReadonlyMap<string, IniValue>;
}

function pyRepr(text: string): string {
  const quote = text.includes("'") && !text.includes('"') ? '"' : "'";
  let out = '';
  for (const ch of text) {
    if (ch === '\\') out += '\\\\';
    else if (ch === quote) out += `\\${ch}`;
    else if (ch === '\n') out += '\\n';
    else if (ch === '\t') out += '\\t';
    else if (ch === '\r') out += '\\r';
    else out += ch;
  }
  return `${quote}${out}${quote}`;
}

/** The error text configparser gives, which Ansible shows as "Error reading config file (PATH): ...". */
export class IniSyntaxError extends Error {}

/**
 * Python's `configparser.ConfigParser(inline_comment_prefixes=(';',))` read_string: `key = value` or
 * `key: value`, full-line `#`/`;` comments, inline ` ;` comments, indented continuation lines (joined
 * with newlines, blank lines kept inside), duplicate sections/options are errors.
 */
export function parseIni(text: string): IniFile {
  type Entry = { lines: string[]; line: number };
  const sections = new Map<string, Map<string, Entry>>();
  const defaults = new Map<string, Entry>();
  const added = new Set<string>();
  let current: Map<string, Entry> | undefined;
  let sectionName: string | undefined;
  let option: string | undefined;
  let indentLevel = 0;
  const bogus: string[] = [];
  const rawLines = text.split(/(?<=\n)/);
  rawLines.forEach((rawLine, index) => {
    const lineno = index + 1;
    const line = rawLine;
    let commentStart = -1;
    for (let i = line.indexOf(';'); i >= 0; i = line.indexOf(';', i + 1)) {
      if (i === 0 || /\s/.test(line[i - 1]!)) {
        commentStart = i;
        break;
      }
    }
    const trimmed = line.trim();
    if (trimmed.startsWith('#') || trimmed.startsWith(';')) commentStart = 0;
    const value = (commentStart >= 0 ? line.slice(0, commentStart) : line).trim();
    if (value === '') {
      if (commentStart < 0 && current && option !== undefined) current.get(option)?.lines.push('');
      return;
    }
    const indent = line.search(/\S/);
    if (current && option !== undefined && indent > indentLevel) {
      current.get(option)!.lines.push(value);
      return;
    }
    indentLevel = indent;
    const header = /^\[(.+)\]/.exec(value);
    if (header) {
      const name = header[1]!;
      option = undefined;
      if (name === 'DEFAULT') {
        current = defaults;
      } else if (sections.has(name)) {
        if (added.has(`[${name}`)) throw new IniSyntaxError(`While reading from '<string>' [line ${String(lineno).padStart(2)}]: section ${pyRepr(name)} already exists`);
        current = sections.get(name);
      } else {
        current = new Map();
        sections.set(name, current);
      }
      added.add(`[${name}`);
      sectionName = name;
      return;
    }
    if (!current) throw new IniSyntaxError(`File contains no section headers.\nfile: '<string>', line: ${lineno}\n${pyRepr(line)}`);
    const m = /^(.*?)\s*([=:])\s*(.*)$/s.exec(value);
    if (!m || m[1] === '') {
      bogus.push(`\t[line ${String(lineno).padStart(2)}]: ${pyRepr(line)}`);
      return;
    }
    const key = m[1]!.trimEnd().toLowerCase();
    const id = `${sectionName}\u0000${key}`;
    if (added.has(id)) throw new IniSyntaxError(`While reading from '<string>' [line ${String(lineno).padStart(2)}]: option ${pyRepr(key)} in section ${pyRepr(sectionName ?? '')} already exists`);
    added.add(id);
    current.set(key, { lines: [m[3]!.trim()], line: lineno });
    option = key;
  });
  if (bogus.length > 0) throw new IniSyntaxError(`Source contains parsing errors: '<string>'\n${bogus.join('\n')}`);
  const join = (m: Map<string, Entry>) => new Map([...m].map(([k, e]) => [k, { value: e.lines.join('\n').trimEnd(), line: e.line }]));
  return { sections: new Map([...sections].map(([name, m]) => [name, join(m)])), defaults: join(defaults) };
}

/** configparser's get(section, key, raw=True); undefined when the section or option is missing. */
export function iniGet(ini: IniFile, section: string, key: string): IniValue | undefined {
  const s = ini.sections.get(section);
  if (!s) return undefined;
  return s.get(key) ?? ini.defaults.get(key);
}

// ------------------------------------------------------------------ settings

type SettingType = 'integer' | 'boolean' | 'string' | 'path' | 'pathlist' | 'pathspec' | 'list';

interface SettingDef {
  /** ansible-config's name, e.g. DEFAULT_FORKS. */
  readonly name: string;
  readonly ini: readonly { readonly section: string; readonly key: string }[];
  readonly env: readonly string[];
  readonly type: SettingType;
  /** Ansible's default before conversion (`~` in paths expanded, ANSIBLE_HOME substituted). */
  readonly default: (home: string) => string | boolean | number | readonly string[] | null;
  readonly choices?: readonly string[];
  /** Plugin settings (ssh connection) are not part of the base `config dump`. */
  readonly plugin?: 'ssh';
}

const D = (section: string, key: string) => ({ section, key });

/** The ansible.cfg settings tsbook reads, under ansible-config's names. */
const DEFS = {
  home: { name: 'ANSIBLE_HOME', ini: [D('defaults', 'home')], env: ['ANSIBLE_HOME'], type: 'path', default: () => '~/.ansible' },
  inventory: { name: 'DEFAULT_HOST_LIST', ini: [D('defaults', 'inventory')], env: ['ANSIBLE_INVENTORY'], type: 'pathlist', default: () => '/etc/ansible/hosts' },
  rolesPath: {
    name: 'DEFAULT_ROLES_PATH',
    ini: [D('defaults', 'roles_path')],
    env: ['ANSIBLE_ROLES_PATH'],
    type: 'pathspec',
    default: (home) => `${home}/roles:/usr/share/ansible/roles:/etc/ansible/roles`,
  },
  forks: { name: 'DEFAULT_FORKS', ini: [D('defaults', 'forks')], env: ['ANSIBLE_FORKS'], type: 'integer', default: () => 5 },
  remoteUser: { name: 'DEFAULT_REMOTE_USER', ini: [D('defaults', 'remote_user')], env: ['ANSIBLE_REMOTE_USER'], type: 'string', default: () => null },
  privateKeyFile: { name: 'DEFAULT_PRIVATE_KEY_FILE', ini: [D('defaults', 'private_key_file')], env: ['ANSIBLE_PRIVATE_KEY_FILE'], type: 'path', default: () => null },
  hostKeyChecking: { name: 'HOST_KEY_CHECKING', ini: [D('defaults', 'host_key_checking')], env: ['ANSIBLE_HOST_KEY_CHECKING'], type: 'boolean', default: () => true },
  timeout: { name: 'DEFAULT_TIMEOUT', ini: [D('defaults', 'timeout')], env: ['ANSIBLE_TIMEOUT'], type: 'integer', default: () => 10 },
  vaultPasswordFile: { name: 'DEFAULT_VAULT_PASSWORD_FILE', ini: [D('defaults', 'vault_password_file')], env: ['ANSIBLE_VAULT_PASSWORD_FILE'], type: 'path', default: () => null },
  vaultIdentityList: { name: 'DEFAULT_VAULT_IDENTITY_LIST', ini: [D('defaults', 'vault_identity_list')], env: ['ANSIBLE_VAULT_IDENTITY_LIST'], type: 'list', default: () => [] },
  vaultIdentity: { name: 'DEFAULT_VAULT_IDENTITY', ini: [D('defaults', 'vault_identity')], env: ['ANSIBLE_VAULT_IDENTITY'], type: 'string', default: () => 'default' },
  vaultEncryptIdentity: { name: 'DEFAULT_VAULT_ENCRYPT_IDENTITY', ini: [D('defaults', 'vault_encrypt_identity')], env: ['ANSIBLE_VAULT_ENCRYPT_IDENTITY'], type: 'string', default: () => null },
  vaultIdMatch: { name: 'DEFAULT_VAULT_ID_MATCH', ini: [D('defaults', 'vault_id_match')], env: ['ANSIBLE_VAULT_ID_MATCH'], type: 'string', default: () => false },
  askVaultPass: { name: 'DEFAULT_ASK_VAULT_PASS', ini: [D('defaults', 'ask_vault_pass')], env: ['ANSIBLE_ASK_VAULT_PASS'], type: 'boolean', default: () => false },
  gathering: {
    name: 'DEFAULT_GATHERING',
    ini: [D('defaults', 'gathering')],
    env: ['ANSIBLE_GATHERING'],
    type: 'string',
    default: () => 'implicit',
    choices: ['implicit', 'explicit', 'smart'],
  },
  become: { name: 'DEFAULT_BECOME', ini: [D('privilege_escalation', 'become')], env: ['ANSIBLE_BECOME'], type: 'boolean', default: () => false },
  becomeUser: { name: 'DEFAULT_BECOME_USER', ini: [D('privilege_escalation', 'become_user')], env: ['ANSIBLE_BECOME_USER'], type: 'string', default: () => 'root' },
  becomeMethod: { name: 'DEFAULT_BECOME_METHOD', ini: [D('privilege_escalation', 'become_method')], env: ['ANSIBLE_BECOME_METHOD'], type: 'string', default: () => 'sudo' },
  becomeAskPass: { name: 'DEFAULT_BECOME_ASK_PASS', ini: [D('privilege_escalation', 'become_ask_pass')], env: ['ANSIBLE_BECOME_ASK_PASS'], type: 'boolean', default: () => false },
  retryFilesEnabled: { name: 'RETRY_FILES_ENABLED', ini: [D('defaults', 'retry_files_enabled')], env: ['ANSIBLE_RETRY_FILES_ENABLED'], type: 'boolean', default: () => false },
  retryFilesSavePath: { name: 'RETRY_FILES_SAVE_PATH', ini: [D('defaults', 'retry_files_save_path')], env: ['ANSIBLE_RETRY_FILES_SAVE_PATH'], type: 'path', default: () => null },
  library: {
    name: 'DEFAULT_MODULE_PATH',
    ini: [D('defaults', 'library')],
    env: ['ANSIBLE_LIBRARY'],
    type: 'pathspec',
    default: (home) => `${home}/plugins/modules:/usr/share/ansible/plugins/modules`,
  },
  stdoutCallback: { name: 'DEFAULT_STDOUT_CALLBACK', ini: [D('defaults', 'stdout_callback')], env: ['ANSIBLE_STDOUT_CALLBACK'], type: 'string', default: () => 'default' },
  pipelining: { name: 'ANSIBLE_PIPELINING', ini: [D('defaults', 'pipelining'), D('connection', 'pipelining')], env: ['ANSIBLE_PIPELINING'], type: 'boolean', default: () => false },
  sshArgs: {
    name: 'ssh_args',
    ini: [D('ssh_connection', 'ssh_args')],
    env: ['ANSIBLE_SSH_ARGS'],
    type: 'string',
    default: () => '-C -o ControlMaster=auto -o ControlPersist=60s',
    plugin: 'ssh',
  },
  sshPipelining: {
    name: 'pipelining',
    ini: [D('defaults', 'pipelining'), D('connection', 'pipelining'), D('ssh_connection', 'pipelining')],
    env: ['ANSIBLE_PIPELINING', 'ANSIBLE_SSH_PIPELINING'],
    type: 'boolean',
    default: () => false,
    plugin: 'ssh',
  },
  controlPath: { name: 'control_path', ini: [D('ssh_connection', 'control_path')], env: ['ANSIBLE_SSH_CONTROL_PATH'], type: 'string', default: () => null, plugin: 'ssh' },
  controlPathDir: { name: 'control_path_dir', ini: [D('ssh_connection', 'control_path_dir')], env: ['ANSIBLE_SSH_CONTROL_PATH_DIR'], type: 'path', default: () => '~/.ansible/cp', plugin: 'ssh' },
} as const satisfies Record<string, SettingDef>;

export type SettingKey = keyof typeof DEFS;

type ValueOf<T extends SettingType> = T extends 'integer' ? number : T extends 'boolean' ? boolean : T extends 'pathlist' | 'pathspec' | 'list' ? readonly string[] : string | null;

/** One effective setting: its value and where it came from. */
export interface Setting<T> {
  /** ansible-config's name (DEFAULT_FORKS) or the ssh plugin option's (ssh_args). */
  readonly name: string;
  readonly value: T;
  /** `default`, `env: ANSIBLE_FORKS`, or `/path/ansible.cfg:12`. */
  readonly origin: string;
  /** The cfg file without the line (what ansible-config prints), when the origin is a file. */
  readonly file?: string;
}

export type EffectiveSettings = {
  readonly [K in SettingKey]: Setting<K extends 'vaultIdMatch' ? string | boolean : ValueOf<(typeof DEFS)[K]['type']>>;
};

export interface EffectiveConfig {
  /** The ansible.cfg used, or undefined (ansible-config's CONFIG_FILE). */
  readonly file?: string;
  readonly settings: EffectiveSettings;
  /** Warnings Ansible would print (world-writable cwd), and notes on settings tsbook ignores. */
  readonly warnings: readonly string[];
  readonly notes: readonly string[];
  /** A custom module of that name in the `library` paths, if any (see findLibraryModule). */
  findLibraryModule(name: string): LibraryModule | undefined;
}

export interface ConfigOptions {
  readonly cwd?: string;
  readonly env?: NodeJS.ProcessEnv;
  /** Default os.homedir(); tests set it. */
  readonly home?: string;
  /** Default /etc/ansible/ansible.cfg; tests set it. */
  readonly systemConfig?: string;
}

// ------------------------------------------------------------------ path helpers

function expandVars(path: string, env: NodeJS.ProcessEnv): string {
  return path.replace(/\$(\w+)|\$\{([^}]*)\}/g, (m, a: string | undefined, b: string | undefined) => env[(a ?? b)!] ?? m);
}

function expandUser(path: string, home: string): string {
  return path === '~' || path.startsWith('~/') ? home + path.slice(1) : path;
}

/** Ansible's resolve_path / unfrackpath(follow=False). */
function resolvePath(path: string, basedir: string, ctx: { cwd: string; home: string; env: NodeJS.ProcessEnv }): string {
  const p = expandUser(expandVars(path.replace(/\{\{CWD\}\}/g, ctx.cwd), ctx.env), ctx.home);
  return normalize(isAbsolute(p) ? p : join(basedir, p));
}

function isQuoted(s: string): boolean {
  return s.length > 1 && s[0] === s[s.length - 1] && (s[0] === '"' || s[0] === "'") && s[s.length - 2] !== '\\';
}

function unquote(s: string): string {
  return isQuoted(s) ? s.slice(1, -1) : s;
}

const TRUE_WORDS = new Set(['y', 'yes', 'on', '1', 'true', 't']);

/** Python's int(): optional sign, digits with single underscores, surrounding whitespace. */
function pyInt(text: string): number | undefined {
  const t = text.trim();
  if (!/^[-+]?\d+(?:_\d+)*$/.test(t)) return undefined;
  return Number(t.replace(/_/g, ''));
}

// ------------------------------------------------------------------ discovery

async function readable(path: string): Promise<boolean> {
  try {
    await access(path, fsConstants.R_OK);
    return true;
  } catch {
    return false;
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

/** Ansible's find_ini_config_file: the first readable of ANSIBLE_CONFIG, ./ansible.cfg, ~/.ansible.cfg, /etc/ansible/ansible.cfg. */
export async function findConfigFile(options: ConfigOptions = {}): Promise<{ file?: string; warnings: string[] }> {
  const env = options.env ?? process.env;
  const cwd = options.cwd ?? process.cwd();
  const home = options.home ?? homedir();
  const ctx = { cwd, home, env };
  const candidates: string[] = [];
  const warnings: string[] = [];
  let fromEnv: string | undefined;
  if (env.ANSIBLE_CONFIG !== undefined) {
    fromEnv = resolvePath(env.ANSIBLE_CONFIG, cwd, ctx);
    try {
      if ((await stat(fromEnv)).isDirectory()) fromEnv = join(fromEnv, 'ansible.cfg');
    } catch {
      // a missing file is skipped below
    }
    candidates.push(fromEnv);
  }
  let cwdIsPublic = false;
  try {
    const cwdStat = await stat(cwd);
    const cwdCfg = join(cwd, 'ansible.cfg');
    if (cwdStat.mode & 0o002) cwdIsPublic = await exists(cwdCfg);
    else candidates.push(cwdCfg);
  } catch {
    // an inaccessible cwd is no config source
  }
  candidates.push(join(home, '.ansible.cfg'));
  candidates.push(options.systemConfig ?? '/etc/ansible/ansible.cfg');
  let file: string | undefined;
  for (const c of candidates) {
    if ((await exists(c)) && (await readable(c))) {
      file = c;
      break;
    }
  }
  if (cwdIsPublic && (fromEnv === undefined || fromEnv !== file)) {
    warnings.push(
      `Ansible is being run in a world writable directory (${cwd}), ignoring it as an ansible.cfg source. For more information see https://docs.ansible.com/ansible/devel/reference_appendices/config.html#cfg-in-world-writable-dir`,
    );
  }
  return { file, warnings };
}

// ------------------------------------------------------------------ evaluation

type RawValue = string | boolean | number | readonly string[] | null;

function convert(def: SettingDef, raw: RawValue, basedir: string, ctx: { cwd: string; home: string; env: NodeJS.ProcessEnv }): unknown {
  if (raw === null) return null;
  const text = typeof raw === 'string' ? raw : undefined;
  switch (def.type) {
    case 'boolean':
      if (typeof raw === 'boolean') return raw;
      return TRUE_WORDS.has(String(raw).toLowerCase().trim());
    case 'integer': {
      if (typeof raw === 'number') return raw;
      const n = pyInt(String(raw));
      if (n === undefined) throw new RangeError(`invalid literal for int() with base 10: ${pyRepr(String(raw))}`);
      return n;
    }
    case 'list':
      return text !== undefined ? text.split(',').map((x) => unquote(x.trim())) : raw;
    case 'path':
      return text !== undefined ? resolvePath(text, basedir, ctx) : raw;
    case 'pathlist':
      return (text !== undefined ? text.split(',').map((x) => x.trim()) : (raw as readonly string[])).map((p) => resolvePath(p, basedir, ctx));
    case 'pathspec':
      return (text !== undefined ? text.split(':') : (raw as readonly string[])).map((p) => resolvePath(p, basedir, ctx));
    case 'string':
      return text !== undefined ? unquote(text) : raw;
  }
}

/**
 * The effective settings: each from the first of environment variable (the last one set, if several),
 * the ansible.cfg file (the last matching ini entry), or Ansible's default.
 */
export async function loadConfig(options: ConfigOptions = {}): Promise<EffectiveConfig> {
  const env = options.env ?? process.env;
  const cwd = options.cwd ?? process.cwd();
  const home = options.home ?? homedir();
  const ctx = { cwd, home, env };
  const { file, warnings } = await findConfigFile(options);
  let ini: IniFile | undefined;
  if (file !== undefined) {
    if (!['.ini', '.cfg'].includes(extname(file))) throw new UsageError(`Unsupported configuration file extension for ${file}: ${extname(file)}`);
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (err) {
      throw new UsageError(`Error reading config file (${file}): ${(err as Error).message}`);
    }
    try {
      ini = parseIni(text);
    } catch (err) {
      if (err instanceof IniSyntaxError) throw new UsageError(`Error reading config file (${file}): ${err.message}`);
      throw err;
    }
  }

  const evaluate = (key: SettingKey, homeDir: string): Setting<unknown> => {
    const def: SettingDef = DEFS[key];
    let raw: RawValue | undefined;
    let origin = 'default';
    let settingFile: string | undefined;
    for (const name of def.env) {
      const v = env[name];
      if (v !== undefined) {
        raw = v;
        origin = `env: ${name}`;
      }
    }
    if (raw === undefined && ini && file) {
      for (const entry of def.ini) {
        const v = iniGet(ini, entry.section, entry.key);
        if (v !== undefined) {
          raw = v.value;
          origin = `${file}:${v.line}`;
          settingFile = file;
        }
      }
    }
    const basedir = settingFile ? dirname(settingFile) : cwd;
    const fallback = (): unknown => convert(def, def.default(homeDir), cwd, ctx);
    let value: unknown;
    if (raw === undefined) {
      value = fallback();
    } else {
      try {
        value = convert(def, raw, basedir, ctx);
      } catch (err) {
        if (origin.startsWith('env:') && raw === '') {
          origin = 'default';
          value = fallback();
        } else {
          const from = settingFile ?? origin;
          throw new UsageError(`Invalid type for configuration option setting: ${def.name} (from ${from}): ${(err as Error).message}`);
        }
      }
    }
    if (def.choices && value !== null && !def.choices.includes(String(value))) {
      throw new UsageError(`Invalid value "${String(value)}" for configuration option "setting: ${def.name}", valid values are: ${def.choices.join(', ')}`);
    }
    return settingFile ? { name: def.name, value, origin, file: settingFile } : { name: def.name, value, origin };
  };

  const homeSetting = evaluate('home', home);
  const homeDir = String(homeSetting.value);
  const settings = Object.fromEntries((Object.keys(DEFS) as SettingKey[]).map((key) => [key, key === 'home' ? homeSetting : evaluate(key, homeDir)])) as unknown as EffectiveSettings;
  const notes: string[] = [];
  if (settings.stdoutCallback.origin !== 'default') {
    notes.push(`stdout_callback = ${String(settings.stdoutCallback.value)} is ignored: tsbook has its own output (--plain, --json)`);
  }
  const library = settings.library.value;
  return {
    file,
    settings,
    warnings,
    notes,
    findLibraryModule: (name) => findLibraryModule(name, library),
  };
}

// ------------------------------------------------------------------ library modules

export interface LibraryModule {
  readonly name: string;
  /** The module file found. */
  readonly path: string;
  /** The library directory it was found in. */
  readonly dir: string;
  readonly python: boolean;
}

/**
 * A custom module in the `library` paths (Ansible's DEFAULT_MODULE_PATH): a file named `name` or
 * `name.<ext>`. tsbook cannot run them; `libraryModuleError` says so.
 */
export function findLibraryModule(name: string, libraryPaths: readonly string[]): LibraryModule | undefined {
  const short = name.startsWith('ansible.builtin.') || name.startsWith('ansible.legacy.') ? name.split('.').slice(2).join('.') : name;
  for (const dir of libraryPaths) {
    let entries: string[];
    try {
      entries = readdirSync(dir);
    } catch {
      continue;
    }
    const hit = entries.filter((f) => f === short || (f.startsWith(`${short}.`) && !f.slice(short.length + 1).includes('.'))).sort()[0];
    if (hit === undefined) continue;
    const path = join(dir, hit);
    let python = extname(hit) === '.py';
    if (!python) {
      try {
        python = /^#!.*python/.test(readFileSync(path, 'utf8').split('\n', 1)[0] ?? '');
      } catch {
        python = false;
      }
    }
    return { name: short, path, dir, python };
  }
  return undefined;
}

/** The error for a task using a module that only exists in the library path. */
export function libraryModuleError(found: LibraryModule, source?: { file: string; line: number; col: number }): LoadError {
  const kind = found.python ? 'a Python module' : `a custom module (${basename(found.path)})`;
  const what = found.python ? 'Python modules' : 'custom modules from the library path';
  return new LoadError(`module ${found.name} is ${kind} from library path ${found.dir}; tsbook cannot run ${what}`, { source });
}

// ------------------------------------------------------------------ dump

/** Python's str() of a setting value, as ansible-config prints it. */
export function formatSettingValue(value: unknown): string {
  if (value === null || value === undefined) return 'None';
  if (value === true) return 'True';
  if (value === false) return 'False';
  if (Array.isArray(value)) return `[${value.map((v) => (typeof v === 'string' ? pyRepr(v) : formatSettingValue(v))).join(', ')}]`;
  return String(value);
}

/** `ansible-config dump [--only-changed]` lines for the base settings tsbook supports (sorted by name). */
export function dumpConfig(config: EffectiveConfig, options: { onlyChanged?: boolean; all?: boolean } = {}): string[] {
  const line = (s: Setting<unknown>) => `${s.name}(${s.file ?? s.origin}) = ${formatSettingValue(s.value)}`;
  const all = Object.values(config.settings) as Setting<unknown>[];
  const keep = (s: Setting<unknown>) => !options.onlyChanged || s.origin !== 'default';
  const base = all.filter((s) => pluginOf(s) === undefined);
  const out = [`CONFIG_FILE() = ${config.file ?? 'None'}`, ...base.filter(keep).map(line)].sort();
  if (options.all) {
    const ssh = all.filter((s) => pluginOf(s) === 'ssh' && keep(s)).sort((a, b) => (a.name < b.name ? -1 : 1));
    if (!options.onlyChanged || ssh.length > 0) out.push('', 'CONNECTION:', '==========', '', 'ssh:', '___', ...ssh.map(line));
  }
  return out;
}

const PLUGIN_BY_NAME = new Map<string, SettingDef['plugin']>(Object.values(DEFS as Record<string, SettingDef>).map((d) => [d.name, d.plugin]));

function pluginOf(setting: Setting<unknown>): SettingDef['plugin'] {
  return PLUGIN_BY_NAME.get(setting.name);
}
