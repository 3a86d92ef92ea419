import { shellJoin, shellQuote } from '../connection/types.js';
import type { ExecResult } from '../connection/types.js';
import type { Module, ModuleContext, ModuleResult } from './types.js';
import { ModuleFailure } from './types.js';
import { dirName, toBool, toList, required } from './util/file-args.js';
import type { GroupEntry, PasswdEntry } from './util/accounts.js';
import { allGroups, getUser, shadowHash } from './util/accounts.js';

export interface UserArgs {
  readonly name?: string;
  readonly state?: 'absent' | 'present';
  readonly uid?: number;
  readonly non_unique?: boolean;
  readonly group?: string;
  readonly groups?: string | readonly string[];
  readonly append?: boolean;
  readonly shell?: string;
  readonly home?: string;
  readonly create_home?: boolean;
  readonly createhome?: boolean;
  readonly move_home?: boolean;
  readonly system?: boolean;
  readonly password?: string;
  readonly update_password?: 'always' | 'on_create';
  readonly password_lock?: boolean;
  readonly comment?: string;
  readonly remove?: boolean;
  readonly force?: boolean;
  readonly skeleton?: string;
  readonly umask?: string;
  readonly generate_ssh_key?: boolean;
  readonly ssh_key_bits?: number;
  readonly ssh_key_type?: string;
  readonly ssh_key_file?: string;
  readonly ssh_key_comment?: string;
  readonly ssh_key_passphrase?: string;
}

/** Ansible's check_password_encrypted: true when `password` does not look like a crypt(3) hash. */
export function looksUnhashed(password: string): boolean {
  if (['*', '!', '*************'].includes(password)) return false;
  if (/[:*!]/.test(password) || !password.includes('$')) return true;
  const fields = password.split('$');
  if (fields.length < 3) return true;
  const last = fields[fields.length - 1]!;
  if (/[^a-zA-Z0-9./]/.test(last)) return true;
  const lengths: Readonly<Record<string, number>> = { '1': 22, '5': 43, '6': 86 };
  const want = lengths[fields[1]!];
  return want !== undefined && last.length !== want;
}

interface SshKeyResult {
  readonly changed: boolean;
  readonly values: Record<string, unknown>;
}

/** Ansible's ssh_key_gen + ssh_key_fingerprint + get_ssh_public_key for generate_ssh_key. */
async function sshKey(ctx: ModuleContext, args: UserArgs & { name: string }, user: PasswdEntry): Promise<SshKeyResult> {
  const type = args.ssh_key_type ?? 'rsa';
  const rel = args.ssh_key_file ?? `.ssh/id_${type}`;
  const file = rel.startsWith('/') ? rel : `${user.home.replace(/\/+$/, '')}/${rel}`;
  const pub = `${file}.pub`;
  const dir = dirName(file);
  const [qf, qp, qd] = [file, pub, dir].map(shellQuote);
  const flags = await ctx.probe(`for p in ${qf} ${qp} ${qd} ${shellQuote(user.home)}; do if [ -e "$p" ]; then echo 1; else echo 0; fi; done`);
  const [keyExists, pubExists, dirExists, homeExists] = flags.stdout.split('\n').map((f) => f === '1');
  const values: Record<string, unknown> = {};
  const fail = (msg: string, rc = 1): never => {
    throw new ModuleFailure(msg, { name: args.name, rc });
  };
  if (!rel.startsWith('/') && !homeExists && !ctx.check) fail(`User ${args.name} home directory does not exist`);
  let changed = false;
  let generate = true;
  if (!dirExists) {
    if (ctx.check) {
      changed = true;
      generate = false;
    } else {
      const r = await ctx.run(`mkdir -m 0700 -- ${qd} && chown ${user.uid}:${user.gid} ${qd}`);
      if (r.rc !== 0) fail(`Failed to create ${dir}: ${r.stderr.trim()}`);
    }
  }
  const force = toBool(args.force);
  if (generate && keyExists) {
    if (force) ctx.warn(`Overwriting existing ssh key private file "${file}"`);
    else {
      ctx.warn(`Found existing ssh key private file "${file}", no force, so skipping ssh-keygen generation`);
      generate = false;
    }
  }
  if (generate && pubExists) {
    if (force) ctx.warn(`Overwriting existing ssh key public file "${pub}"`);
    else {
      ctx.warn(`Found existing ssh key public file "${pub}", no force, so skipping ssh-keygen generation`);
      generate = false;
    }
  }
  if (generate) {
    const comment = args.ssh_key_comment ?? `ansible-generated on ${(await ctx.probe('uname -n')).stdout.trim()}`;
    const argv = ['ssh-keygen', '-t', type, ...((args.ssh_key_bits ?? 0) > 0 ? ['-b', String(args.ssh_key_bits)] : []), '-C', comment, '-f', file];
    // The passphrase comes on stdin, never in the command line tsbook shows or logs.
    const passphrase = args.ssh_key_passphrase;
    const keygen = passphrase === undefined ? `${shellJoin(argv)} -N ''` : `{ IFS= read -r P && ${shellJoin(argv)} -N "$P"; }`;
    const stdin = (passphrase === undefined ? '' : `${passphrase}\n`) + (keyExists ? 'y\n' : '');
    const script = `${pubExists ? `rm -f -- ${qp} && ` : ''}${keygen} && chown ${user.uid}:${user.gid} ${qf} ${qp}`;
    const r = await ctx.run(script, stdin === '' ? undefined : { stdin });
    if (r.rc !== 0) fail(r.stderr, r.rc);
    changed = true;
  }
  const fp = await ctx.probe(`if [ -e ${qf} ]; then ssh-keygen -l -f ${qf}; else exit 1; fi`);
  values.ssh_fingerprint = fp.rc === 0 ? fp.stdout.trim() : fp.stderr.trim();
  values.ssh_key_file = file;
  const pk = await ctx.probe(`cat -- ${qp}`);
  values.ssh_public_key = pk.rc === 0 ? pk.stdout.trim() : null;
  return { changed, values };
}

function findGroup(groups: readonly GroupEntry[], spec: string): GroupEntry | undefined {
  return /^\d+$/.test(spec) ? groups.find((g) => g.gid === Number(spec)) : groups.find((g) => g.name === spec);
}

function check(r: ExecResult, name: string): ExecResult {
  if (r.rc !== 0) throw new ModuleFailure(r.stderr, { name, rc: r.rc });
  return r;
}

/** Sets a password hash through `chpasswd -e` on stdin, so it never appears in a command line. */
async function setPassword(ctx: ModuleContext, name: string, hash: string): Promise<ExecResult> {
  return check(await ctx.run('chpasswd -e', { stdin: `${name}:${hash}\n` }), name);
}

/** The usermod arguments that bring `info` to the requested state (Ansible's modify_user_usermod). */
function usermodArgs(args: UserArgs & { name: string }, info: PasswdEntry, groups: readonly GroupEntry[]): string[] {
  const argv: string[] = [];
  if (args.uid !== undefined && info.uid !== args.uid) {
    argv.push('-u', String(args.uid));
    if (toBool(args.non_unique)) argv.push('-o');
  }
  if (args.group !== undefined) {
    const g = findGroup(groups, args.group);
    if (!g) throw new ModuleFailure(`Group ${args.group} does not exist`);
    if (info.gid !== g.gid) argv.push('-g', String(g.gid));
  }
  if (args.groups !== undefined) {
    const current = groups.filter((g) => g.members.includes(args.name)).map((g) => g.name);
    const wanted = toList(args.groups);
    for (const w of wanted) if (!findGroup(groups, w)) throw new ModuleFailure(`Group ${w} does not exist`);
    const wantedNames = [...new Set(wanted.map((w) => findGroup(groups, w)!.name))];
    const append = toBool(args.append);
    let need = false;
    if (wanted.length === 0) need = current.length > 0 && !append;
    else {
      const diff = [...current.filter((c) => !wantedNames.includes(c)), ...wantedNames.filter((w) => !current.includes(w))];
      if (diff.length > 0) {
        if (append) {
          if (wantedNames.some((w) => diff.includes(w))) {
            argv.push('-a');
            need = true;
          }
        } else need = true;
      }
    }
    if (need) argv.push('-G', wantedNames.join(','));
  }
  if (args.comment !== undefined && info.comment !== args.comment) argv.push('-c', args.comment);
  if (args.home !== undefined && info.home !== args.home) {
    argv.push('-d', args.home);
    if (toBool(args.move_home)) argv.push('-m');
  }
  if (args.shell !== undefined && info.shell !== args.shell) argv.push('-s', args.shell);
  return argv;
}

export const userModule: Module<UserArgs> = {
  name: 'user',
  description: 'Manage user accounts (useradd/usermod/userdel; passwords through chpasswd -e).',
  checkMode: 'full',
  secrets: ['password'],
  args: {
    type: 'object',
    additionalProperties: false,
    required: ['name'],
    properties: {
      name: { type: 'string', description: 'Name of the user.' },
      state: { type: 'string', enum: ['absent', 'present'], description: 'Whether the account should exist (default present).' },
      uid: { type: 'integer', description: 'User id.' },
      non_unique: { type: 'boolean', description: 'Allow a non-unique uid.' },
      group: { type: 'string', description: 'Primary group (name or gid); it must exist.' },
      groups: { anyOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' } }], description: "Supplementary groups (list or comma-separated); '' removes all." },
      append: { type: 'boolean', description: 'Add to groups instead of setting exactly these groups.' },
      shell: { type: 'string', description: 'Login shell.' },
      home: { type: 'string', description: 'Home directory.' },
      create_home: { type: 'boolean', description: 'Create the home directory (default true; alias createhome).' },
      createhome: { type: 'boolean', description: 'Alias of create_home.' },
      move_home: { type: 'boolean', description: 'Move the old home directory when home changes.' },
      system: { type: 'boolean', description: 'Create a system account (only on creation).' },
      password: { type: 'string', description: 'Crypted password hash (never plain text); set through chpasswd -e on stdin.' },
      update_password: { type: 'string', enum: ['always', 'on_create'], description: "'always' (default) updates a differing hash; 'on_create' sets it only for new users." },
      password_lock: { type: 'boolean', description: 'Lock (true) or unlock (false) the password.' },
      comment: { type: 'string', description: 'GECOS field.' },
      remove: { type: 'boolean', description: 'With state=absent, also remove the home directory (userdel -r).' },
      force: { type: 'boolean', description: 'With state=absent, remove even if logged in (userdel -f).' },
      skeleton: { type: 'string', description: 'Skeleton directory for a new home (useradd -k).' },
      umask: { type: 'string', description: 'Umask for the new home directory (useradd -K UMASK=).' },
      generate_ssh_key: { type: 'boolean', description: 'Generate an SSH key pair for the user (never overwrites one unless force).' },
      ssh_key_bits: { type: 'integer', description: 'Key size (ssh-keygen -b; default: the ssh-keygen default).' },
      ssh_key_type: { type: 'string', description: "Key type (ssh-keygen -t; default 'rsa')." },
      ssh_key_file: { type: 'string', description: 'Key path, relative to the home directory (default .ssh/id_<type>).' },
      ssh_key_comment: { type: 'string', description: "Key comment (default 'ansible-generated on <hostname>')." },
      ssh_key_passphrase: { type: 'string', description: 'Passphrase of the new key (given to ssh-keygen through stdin).' },
    },
  },
  async run(input, ctx): Promise<ModuleResult> {
    const args = { ...input, name: required(input.name, 'name') };
    const state = args.state ?? 'present';
    const createHome = toBool(args.create_home ?? args.createhome, true);
    const values: Record<string, unknown> = { name: args.name, state };
    let ran: ExecResult | undefined;
    if (args.password && looksUnhashed(args.password)) {
      ctx.warn("The input password appears not to have been hashed. The 'password' argument must be encrypted for this module to work properly.");
    }
    if (args.groups === undefined && toBool(args.append)) {
      ctx.warn("'append' is set, but no 'groups' are specified. Use 'groups' for appending new groups.This will change to an error in Ansible 2.14.");
    }
    const info = await getUser(ctx, args.name);

    if (state === 'absent') {
      if (info) {
        if (ctx.check) return { changed: true };
        ran = check(await ctx.run(shellJoin(['userdel', ...(toBool(args.force) ? ['-f'] : []), ...(toBool(args.remove) ? ['-r'] : []), args.name])), args.name);
        values.force = toBool(args.force);
        values.remove = toBool(args.remove);
      }
      return { changed: ran !== undefined, values: withOutput(values, ran) };
    }

    const groups = await allGroups(ctx);
    if (!info) {
      if (ctx.check) return { changed: true };
      const argv = ['useradd'];
      if (args.uid !== undefined) argv.push('-u', String(args.uid), ...(toBool(args.non_unique) ? ['-o'] : []));
      if (args.group !== undefined) {
        if (!findGroup(groups, args.group)) throw new ModuleFailure(`Group ${args.group} does not exist`);
        argv.push('-g', args.group);
      } else if (findGroup(groups, args.name)) argv.push('-N');
      const supp = toList(args.groups);
      for (const g of supp) if (!findGroup(groups, g)) throw new ModuleFailure(`Group ${g} does not exist`);
      if (supp.length > 0) argv.push('-G', supp.join(','));
      if (args.comment !== undefined) argv.push('-c', args.comment);
      if (args.home !== undefined) {
        if (createHome) {
          const parent = dirName(args.home);
          if (parent !== '') await ctx.run(`mkdir -p -- ${shellQuote(parent)}`);
        }
        argv.push('-d', args.home);
      }
      if (args.shell !== undefined) argv.push('-s', args.shell);
      if (createHome) {
        argv.push('-m');
        if (args.skeleton !== undefined) argv.push('-k', args.skeleton);
        if (args.umask !== undefined) argv.push('-K', `UMASK=${args.umask}`);
      } else argv.push('-M');
      if (toBool(args.system)) argv.push('-r');
      ran = check(await ctx.run(shellJoin([...argv, args.name])), args.name);
      if (args.password !== undefined) await setPassword(ctx, args.name, args.password_lock ? `!${args.password}` : args.password);
      values.system = toBool(args.system);
      values.create_home = createHome;
    } else {
      const argv = usermodArgs(args, info, groups);
      const hash = args.password !== undefined || args.password_lock !== undefined ? await shadowHash(ctx, args.name) : '';
      if (args.password_lock === true && !hash.startsWith('!')) argv.push('-L');
      else if (args.password_lock === false && hash.startsWith('!')) argv.push('-U');
      const newPassword =
        (args.update_password ?? 'always') === 'always' && args.password !== undefined && hash.replace(/^!/, '') !== args.password.replace(/^!/, '');
      if (argv.length > 0) ran = check(await ctx.run(shellJoin(['usermod', ...argv, args.name])), args.name);
      if (newPassword) {
        const r = await setPassword(ctx, args.name, args.password_lock ? `!${args.password}` : (args.password as string));
        ran = ran ?? r;
      }
      values.append = toBool(args.append);
      values.move_home = toBool(args.move_home);
    }
    if (args.password !== undefined) values.password = 'NOT_LOGGING_PASSWORD';
    let changed = ran !== undefined;
    withOutput(values, ran);

    const now = ctx.check ? info : await getUser(ctx, args.name);
    if (now) {
      values.uid = now.uid;
      values.group = now.gid;
      values.comment = now.comment;
      values.home = now.home;
      values.shell = now.shell;
      if (args.groups !== undefined) values.groups = toList(args.groups).join(',');
      const home = args.home ?? now.home;
      if (createHome && (await ctx.probe(`test -d ${shellQuote(home)}`)).rc !== 0) {
        const q = shellQuote(home);
        await ctx.run(`mkdir -p -- ${q} && { cp -a ${shellQuote(args.skeleton ?? '/etc/skel')}/. ${q}/ 2>/dev/null || true; } && chown -R ${now.uid}:${now.gid} ${q}`);
        changed = true;
      }
      if (toBool(args.generate_ssh_key)) {
        const key = await sshKey(ctx, args, now);
        Object.assign(values, key.values);
        changed = changed || key.changed;
      }
    }
    return { changed, values };
  },
};

function withOutput(values: Record<string, unknown>, ran: ExecResult | undefined): Record<string, unknown> {
  if (ran?.stdout) values.stdout = ran.stdout;
  if (ran?.stderr) values.stderr = ran.stderr;
  return values;
}
