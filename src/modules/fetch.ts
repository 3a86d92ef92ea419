import { mkdir, readFile, stat as localStat, writeFile } from 'node:fs/promises';
import { dirname, isAbsolute, join, normalize } from 'node:path';
import type { Module, ModuleContext, ModuleResult } from './types.js';
import { ModuleFailure } from './types.js';
import { baseName, toBool } from './util/file-args.js';
import { md5, sha1 } from './util/copy-core.js';
import { remoteSha1, statPath } from './util/fs-probe.js';

export interface FetchArgs {
  readonly src?: string;
  readonly dest?: string;
  readonly flat?: boolean;
  readonly fail_on_missing?: boolean;
  readonly validate_checksum?: boolean;
}

async function localChecksum(path: string): Promise<string | null> {
  try {
    return sha1(await readFile(path));
  } catch {
    return null;
  }
}

function playbookDir(ctx: ModuleContext): string {
  const v = ctx.lookupVar('playbook_dir');
  return v.defined && typeof v.value === 'string' ? v.value : process.cwd();
}

async function isLocalDir(path: string): Promise<boolean> {
  try {
    return (await localStat(path)).isDirectory();
  } catch {
    return false;
  }
}

/** Where fetch writes on the controller: dest/<inventory_hostname>/<src>, or dest itself with flat. */
export async function fetchDestination(ctx: ModuleContext, src: string, dest: string, flat: boolean): Promise<string> {
  const dwim = (p: string) => (isAbsolute(p) ? p : join(playbookDir(ctx), p));
  if (flat) {
    if (!dest.endsWith('/') && (await isLocalDir(dest))) {
      throw new ModuleFailure('dest is an existing directory, use a trailing slash if you want to fetch src into that directory');
    }
    const d = dest.endsWith('/') ? join(dest, baseName(src)) : dest;
    return normalize(dwim(d));
  }
  const host = ctx.lookupVar('inventory_hostname');
  const name = host.defined && typeof host.value === 'string' ? host.value : ctx.host;
  return normalize(`${dwim(dest)}/${name}/${src}`);
}

export const fetchModule: Module<FetchArgs> = {
  name: 'fetch',
  description: 'Fetch a file from the host to the controller (dest/<host>/<path> unless flat).',
  checkMode: 'skip',
  args: {
    type: 'object',
    additionalProperties: false,
    required: ['src', 'dest'],
    properties: {
      src: { type: 'string', description: 'The file on the host to fetch (a file, not a directory).' },
      dest: { type: 'string', description: 'Controller directory to save into (relative paths are relative to the playbook).' },
      flat: { type: 'boolean', description: 'Write to dest itself (or dest/<basename> when it ends in /) instead of dest/<host>/<src>.' },
      fail_on_missing: { type: 'boolean', description: 'Fail when src is missing or unreadable (default true).' },
      validate_checksum: { type: 'boolean', description: 'Verify the sha1 of the fetched file (default true).' },
    },
  },
  async run(args, ctx): Promise<ModuleResult> {
    if (typeof args.src !== 'string' || typeof args.dest !== 'string') throw new ModuleFailure('src and dest are required');
    const source = args.src;
    const failOnMissing = toBool(args.fail_on_missing, true);
    const st = await statPath(ctx, source, true);
    const notThere = (msg: string): ModuleResult => {
      if (failOnMissing) throw new ModuleFailure(msg, { file: source });
      return { changed: false, msg, values: { file: source } };
    };
    if (st?.type === 'directory') {
      if (failOnMissing) throw new ModuleFailure('remote file is a directory, fetch cannot work on directories', { changed: false });
      return { changed: false, msg: 'remote file is a directory, fetch cannot work on directories, not transferring, ignored' };
    }
    if (!st) return notThere('the remote file does not exist, not transferring, ignored');
    const remoteChecksum = await remoteSha1(ctx, source);
    let data: Buffer;
    try {
      data = await ctx.get(source);
    } catch (e) {
      return notThere(`file is not readable: ${source}`);
    }
    const remoteSum = remoteChecksum ?? sha1(data);
    const dest = await fetchDestination(ctx, source, args.dest, toBool(args.flat));
    const local = await localChecksum(dest);
    if (remoteSum === local) {
      return { changed: false, values: { md5sum: md5(data), file: source, dest, checksum: local } };
    }
    await mkdir(dirname(dest), { recursive: true });
    try {
      await writeFile(dest, data);
    } catch (e) {
      throw new ModuleFailure(`Failed to fetch the file: ${e instanceof Error ? e.message : String(e)}`);
    }
    const newChecksum = await localChecksum(dest);
    const newMd5 = md5(await readFile(dest));
    if (toBool(args.validate_checksum, true) && newChecksum !== remoteSum) {
      throw new ModuleFailure('checksum mismatch', {
        md5sum: newMd5,
        file: source,
        dest,
        remote_md5sum: null,
        checksum: newChecksum,
        remote_checksum: remoteSum,
      });
    }
    return {
      changed: true,
      values: { md5sum: newMd5, dest, remote_md5sum: null, checksum: newChecksum, remote_checksum: remoteSum },
    };
  },
};
