import { shellQuote } from '../../connection/types.js';
import type { ModuleContext } from '../types.js';

/** One /etc/passwd entry, as getent prints it. */
export interface PasswdEntry {
  readonly name: string;
  readonly uid: number;
  readonly gid: number;
  readonly comment: string;
  readonly home: string;
  readonly shell: string;
}

/** One /etc/group entry. */
export interface GroupEntry {
  readonly name: string;
  readonly gid: number;
  readonly members: readonly string[];
}

export function parsePasswd(line: string): PasswdEntry | undefined {
  const f = line.replace(/\n$/, '').split(':');
  if (f.length < 7) return undefined;
  return { name: f[0], uid: Number(f[2]), gid: Number(f[3]), comment: f[4], home: f[5], shell: f[6] };
}

export function parseGroup(line: string): GroupEntry | undefined {
  const f = line.replace(/\n$/, '').split(':');
  if (f.length < 4) return undefined;
  return { name: f[0], gid: Number(f[2]), members: f[3] === '' ? [] : f[3].split(',') };
}

export async function getUser(ctx: Pick<ModuleContext, 'probe'>, name: string): Promise<PasswdEntry | undefined> {
  const r = await ctx.probe(`getent passwd ${shellQuote(name)}`);
  return r.rc === 0 ? parsePasswd(r.stdout.split('\n')[0]) : undefined;
}

export async function getGroup(ctx: Pick<ModuleContext, 'probe'>, name: string | number): Promise<GroupEntry | undefined> {
  const r = await ctx.probe(`getent group ${shellQuote(String(name))}`);
  return r.rc === 0 ? parseGroup(r.stdout.split('\n')[0]) : undefined;
}

export async function allGroups(ctx: Pick<ModuleContext, 'probe'>): Promise<GroupEntry[]> {
  const r = await ctx.probe('getent group');
  return r.stdout.split('\n').map(parseGroup).filter((g): g is GroupEntry => g !== undefined);
}

/** The password hash from the shadow database ('' when unreadable). */
export async function shadowHash(ctx: Pick<ModuleContext, 'probe'>, name: string): Promise<string> {
  const r = await ctx.probe(`getent shadow ${shellQuote(name)}`);
  return r.rc === 0 ? (r.stdout.split(':')[1] ?? '') : '';
}
