import { shellJoin } from '../connection/types.js';
import type { Module, ModuleContext, ModuleResult } from './types.js';
import { ModuleFailure } from './types.js';
import { requireBin } from './util/bin-path.js';
import { optString, required, toBool } from './util/file-args.js';
import { statPath } from './util/fs-probe.js';
import { splitLines } from './util/lines.js';

type Etype = 'group' | 'mask' | 'other' | 'user';
type RecalculateMask = 'default' | 'mask' | 'no_mask';

export interface AclArgs {
  readonly path?: string;
  readonly name?: string;
  readonly entry?: string;
  readonly entity?: string;
  readonly etype?: Etype;
  readonly permissions?: string;
  readonly state?: 'absent' | 'present' | 'query';
  readonly follow?: boolean;
  readonly default?: boolean;
  readonly recursive?: boolean;
  readonly recurse?: boolean;
  readonly recalculate_mask?: RecalculateMask;
  readonly use_nfsv4_acls?: boolean;
}

/** split_entry: '[d[efault]:]type:entity[:perms]' -> [default?, etype, entity, permissions]. */
export function splitEntry(entry: string): [boolean | undefined, string | undefined, string, string | undefined] {
  const parts = entry.split(':');
  let isDefault: boolean | undefined;
  if (entry.toLowerCase().startsWith('d')) {
    isDefault = true;
    parts.shift();
  }
  const t = (parts[0] ?? '').toLowerCase();
  const etype = t.startsWith('u') ? 'user' : t.startsWith('g') ? 'group' : t.startsWith('m') ? 'mask' : t.startsWith('o') ? 'other' : undefined;
  return [isDefault, etype, parts[1] ?? '', parts[2]];
}

/** build_entry. */
export function buildEntry(etype: string, entity: string, permissions?: string, nfsv4 = false): string {
  if (nfsv4) return [etype, entity, permissions ?? '', 'allow'].join(':');
  return permissions ? `${etype}:${entity}:${permissions}` : `${etype}:${entity}`;
}

interface CommandOptions {
  readonly follow: boolean;
  readonly isDefault: boolean;
  readonly recursive: boolean;
  readonly recalculateMask: RecalculateMask;
}

/** build_command (Linux flags): the getfacl/setfacl argv. */
export function buildCommand(bin: string, mode: 'set' | 'rm' | 'get', path: string, o: CommandOptions, entry = ''): string[] {
  const cmd = [bin];
  if (mode === 'set') cmd.push('-m', entry);
  else if (mode === 'rm') cmd.push('-x', entry);
  else cmd.push('--omit-header', '--absolute-names');
  if (o.recursive) cmd.push('--recursive');
  if (mode !== 'get' && o.recalculateMask === 'mask') cmd.push('--mask');
  else if (mode !== 'get' && o.recalculateMask === 'no_mask') cmd.push('--no-mask');
  if (!o.follow) cmd.push('--physical');
  if (o.isDefault) cmd.splice(1, 0, '-d');
  cmd.push(path);
  return cmd;
}

/** run_acl's output: lines without comments, stripped, minus a final blank line. */
export function aclLines(stdout: string): string[] {
  const lines = splitLines(stdout).filter((l) => !l.startsWith('#')).map((l) => l.trim());
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  return lines;
}

async function runAcl(ctx: ModuleContext, argv: readonly string[], change: boolean, checkRc = true): Promise<string[]> {
  const command = shellJoin(argv);
  const r = change ? await ctx.run(command) : await ctx.probe(command);
  if (checkRc && r.rc !== 0) {
    throw new ModuleFailure(r.stderr.trimEnd(), { cmd: argv.join(' '), rc: r.rc, stdout: r.stdout, stderr: r.stderr });
  }
  return aclLines(r.stdout);
}

/** acl_changed: `setfacl --test` lists the resulting ACL; entries not ending in '*,*' would change. */
async function aclChanged(ctx: ModuleContext, argv: readonly string[]): Promise<boolean> {
  const lines = await runAcl(ctx, [argv[0]!, '--test', ...argv.slice(1)], false);
  return lines.some((l) => !l.endsWith('*,*'));
}

/** Ansible's argument checks, in its order; returns the entry's parts. */
function validate(args: AclArgs, state: string): { etype?: string; entity: string; permissions?: string; isDefault: boolean } {
  const entry = args.entry;
  let etype: string | undefined = args.etype;
  let entity = optString(args.entity) ?? '';
  let permissions = optString(args.permissions);
  let isDefault = toBool(args.default);
  const recursive = toBool(args.recursive ?? args.recurse);
  if (state === 'query') {
    if (recursive) throw new ModuleFailure("'recursive' MUST NOT be set when 'state=query'.");
    if (args.recalculate_mask === 'mask' || args.recalculate_mask === 'no_mask') {
      throw new ModuleFailure("'recalculate_mask' MUST NOT be set to 'mask' or 'no_mask' when 'state=query'.");
    }
  }
  if (!entry) {
    if (state === 'absent' && permissions) throw new ModuleFailure("'permissions' MUST NOT be set when 'state=absent'.");
    if (state === 'absent' && !entity) throw new ModuleFailure("'entity' MUST be set when 'state=absent'.");
    if ((state === 'present' || state === 'absent') && !etype) throw new ModuleFailure(`'etype' MUST be set when 'state=${state}'.`);
  } else {
    if (etype || entity || permissions) throw new ModuleFailure("'entry' MUST NOT be set when 'entity', 'etype' or 'permissions' are set.");
    const colons = (entry.match(/:/g) ?? []).length;
    if (state === 'present' && colons !== 2 && colons !== 3) throw new ModuleFailure("'entry' MUST have 3 or 4 sections divided by ':' when 'state=present'.");
    if (state === 'absent' && colons !== 1 && colons !== 2) throw new ModuleFailure("'entry' MUST have 2 or 3 sections divided by ':' when 'state=absent'.");
    if (state === 'query') throw new ModuleFailure("'entry' MUST NOT be set when 'state=query'.");
    const [d, t, e, p] = splitEntry(entry);
    etype = t;
    entity = e;
    permissions = p;
    if (d !== undefined) isDefault = d;
  }
  return { etype, entity, permissions, isDefault };
}

async function runAclModule(args: AclArgs, ctx: ModuleContext): Promise<ModuleResult> {
  const path = required(args.path ?? args.name, 'path');
  const state = args.state ?? 'query';
  if (!(await statPath(ctx, path, true))) throw new ModuleFailure('Path not found or not accessible.');
  const v = validate(args, state);
  const o: CommandOptions = {
    follow: toBool(args.follow, true),
    isDefault: v.isDefault,
    recursive: toBool(args.recursive ?? args.recurse),
    recalculateMask: args.recalculate_mask ?? 'default',
  };
  const nfsv4 = toBool(args.use_nfsv4_acls);
  let changed = false;
  let msg = 'current acl';
  if (state === 'present' || state === 'absent') {
    const setfacl = await requireBin(ctx, 'setfacl');
    // Ansible passes use_nfsv4_acls as the permissions argument for absent: entries never carry permissions there
    const entry = state === 'present' ? buildEntry(v.etype ?? 'None', v.entity, v.permissions, nfsv4) : buildEntry(v.etype ?? 'None', v.entity);
    const command = buildCommand(setfacl, state === 'present' ? 'set' : 'rm', path, o, entry);
    changed = await aclChanged(ctx, command);
    if (changed) await runAcl(ctx, command, true, state === 'present');
    msg = `${entry} is ${state}`;
  }
  const getfacl = await requireBin(ctx, 'getfacl');
  const acl = await runAcl(ctx, buildCommand(getfacl, 'get', path, o), false);
  return { changed, msg, values: { acl } };
}

export const aclModule: Module<AclArgs> = {
  name: 'ansible.posix.acl',
  aliases: ['acl'],
  description: 'Set and retrieve file ACL information (getfacl/setfacl).',
  checkMode: 'full',
  args: {
    type: 'object',
    additionalProperties: false,
    anyOf: [{ required: ['path'] }, { required: ['name'] }],
    properties: {
      path: { type: 'string', description: 'The file or directory (alias name).' },
      name: { type: 'string', description: 'Alias of path.' },
      entry: { type: 'string', description: "A whole ACL entry '[d[efault]:][u|g|o|m]:[entity]:[perms]' instead of etype/entity/permissions." },
      entity: { type: 'string', description: 'The user or group the entry is for.' },
      etype: { type: 'string', enum: ['group', 'mask', 'other', 'user'], description: 'The entry type.' },
      permissions: { type: 'string', description: "Permissions, a combination of r, w and x (e.g. 'rw')." },
      state: { type: 'string', enum: ['absent', 'present', 'query'], description: 'present/absent set or remove the entry; query (default) only reads.' },
      follow: { type: 'boolean', description: 'Follow symlinks (default true); false passes --physical.' },
      default: { type: 'boolean', description: 'Act on the default ACL of a directory.' },
      recursive: { type: 'boolean', description: 'Apply recursively (alias recurse); not with state=query.' },
      recurse: { type: 'boolean', description: 'Alias of recursive.' },
      recalculate_mask: { type: 'string', enum: ['default', 'mask', 'no_mask'], description: 'Recalculate the effective rights mask (--mask/--no-mask).' },
      use_nfsv4_acls: { type: 'boolean', description: 'Use NFSv4 ACL syntax for the entry.' },
    },
  },
  run: runAclModule,
};
