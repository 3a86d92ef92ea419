/**
 * The lab's SFTP subsystem over the real filesystem. Absolute paths are real paths, as on a real host;
 * relative paths are relative to the lab host's home (its state directory), as in OpenSSH's sftp-server.
 * RENAME replaces an existing target (POSIX rename), since ssh2's server cannot advertise
 * posix-rename@openssh.com.
 */
import { constants as fsConstants, type Stats } from 'node:fs';
import { chmod, chown, lstat, open, readdir, readlink, realpath, rename, rmdir, stat, symlink, truncate, unlink, utimes, mkdir, type FileHandle } from 'node:fs/promises';
import { posix } from 'node:path';
import ssh2 from 'ssh2';
import type { Attributes, SFTPWrapper } from 'ssh2';

const { OPEN_MODE, STATUS_CODE } = ssh2.utils.sftp;

/** The attributes a client may send (ssh2 leaves absent ones undefined). */
interface ClientAttrs {
  readonly mode?: number;
  readonly uid?: number;
  readonly gid?: number;
  readonly size?: number;
  readonly atime?: number;
  readonly mtime?: number;
}

type Handle =
  | { readonly kind: 'file'; readonly file: FileHandle; readonly path: string }
  | { readonly kind: 'dir'; readonly path: string; pending: string[] | undefined };

/** Entries sent per READDIR reply. */
const READDIR_BATCH = 128;

export function statusFor(err: unknown): number {
  switch ((err as NodeJS.ErrnoException | undefined)?.code) {
    case 'ENOENT':
    case 'ENOTDIR':
      return STATUS_CODE.NO_SUCH_FILE;
    case 'EACCES':
    case 'EPERM':
      return STATUS_CODE.PERMISSION_DENIED;
    default:
      return STATUS_CODE.FAILURE;
  }
}

/** Node open(2) flags for SFTP pflags. */
export function openFlags(pflags: number): number {
  const read = (pflags & OPEN_MODE.READ) !== 0;
  const write = (pflags & (OPEN_MODE.WRITE | OPEN_MODE.APPEND)) !== 0;
  let flags = read && write ? fsConstants.O_RDWR : write ? fsConstants.O_WRONLY : fsConstants.O_RDONLY;
  if (pflags & OPEN_MODE.APPEND) flags |= fsConstants.O_APPEND;
  if (pflags & OPEN_MODE.CREAT) flags |= fsConstants.O_CREAT;
  if (pflags & OPEN_MODE.TRUNC) flags |= fsConstants.O_TRUNC;
  if (pflags & OPEN_MODE.EXCL) flags |= fsConstants.O_EXCL;
  return flags;
}

export function attrsOf(st: Stats): Attributes {
  return {
    mode: st.mode,
    uid: st.uid,
    gid: st.gid,
    size: st.size,
    atime: Math.floor(st.atimeMs / 1000),
    mtime: Math.floor(st.mtimeMs / 1000),
  };
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

function modeString(mode: number): string {
  const type = (mode & fsConstants.S_IFMT) === fsConstants.S_IFDIR ? 'd'
    : (mode & fsConstants.S_IFMT) === fsConstants.S_IFLNK ? 'l'
      : (mode & fsConstants.S_IFMT) === fsConstants.S_IFIFO ? 'p'
        : (mode & fsConstants.S_IFMT) === fsConstants.S_IFSOCK ? 's'
          : (mode & fsConstants.S_IFMT) === fsConstants.S_IFCHR ? 'c'
            : (mode & fsConstants.S_IFMT) === fsConstants.S_IFBLK ? 'b' : '-';
  const bits = 'rwxrwxrwx'.split('').map((c, i) => ((mode >> (8 - i)) & 1 ? c : '-'));
  if (mode & 0o4000) bits[2] = bits[2] === 'x' ? 's' : 'S';
  if (mode & 0o2000) bits[5] = bits[5] === 'x' ? 's' : 'S';
  if (mode & 0o1000) bits[8] = bits[8] === 'x' ? 't' : 'T';
  return type + bits.join('');
}

/** An `ls -l` line, as sftp clients show for READDIR entries. */
export function longName(name: string, st: Stats, now: Date = new Date()): string {
  const m = st.mtime;
  const recent = Math.abs(now.getTime() - m.getTime()) < 182 * 24 * 3600 * 1000;
  const when = recent
    ? `${String(m.getHours()).padStart(2, '0')}:${String(m.getMinutes()).padStart(2, '0')}`
    : String(m.getFullYear()).padStart(5, ' ');
  const date = `${MONTHS[m.getMonth()]} ${String(m.getDate()).padStart(2, ' ')} ${when}`;
  return `${modeString(st.mode)} ${String(st.nlink).padStart(4, ' ')} ${String(st.uid).padEnd(8, ' ')} ${String(st.gid).padEnd(8, ' ')} ${String(st.size).padStart(8, ' ')} ${date} ${name}`;
}

async function applyAttrs(path: string, attrs: ClientAttrs, file?: FileHandle): Promise<void> {
  if (attrs.size !== undefined) await (file ? file.truncate(attrs.size) : truncate(path, attrs.size));
  if (attrs.uid !== undefined && attrs.gid !== undefined) await (file ? file.chown(attrs.uid, attrs.gid) : chown(path, attrs.uid, attrs.gid));
  if (attrs.mode !== undefined) await (file ? file.chmod(attrs.mode & 0o7777) : chmod(path, attrs.mode & 0o7777));
  if (attrs.atime !== undefined && attrs.mtime !== undefined) {
    await (file ? file.utimes(attrs.atime, attrs.mtime) : utimes(path, attrs.atime, attrs.mtime));
  }
}

/**
 * Serves one SFTP session on `sftp` (the accepted server-side SFTP stream). `home` is where relative
 * paths start. Open handles are closed when the session ends.
 */
export function serveSftp(sftp: SFTPWrapper, home: string): void {
  const handles = new Map<number, Handle>();
  let nextHandle = 1;
  const resolvePath = (p: string): string => posix.resolve(home, p === '' ? '.' : p);

  const newHandle = (h: Handle): Buffer => {
    const id = nextHandle++;
    handles.set(id, h);
    const buf = Buffer.alloc(4);
    buf.writeUInt32BE(id, 0);
    return buf;
  };
  const lookup = (buf: Buffer): Handle | undefined => (buf.length === 4 ? handles.get(buf.readUInt32BE(0)) : undefined);
  const fail = (reqid: number, err: unknown): void => {
    const code = statusFor(err);
    const message = code === STATUS_CODE.NO_SUCH_FILE ? 'No such file' : code === STATUS_CODE.PERMISSION_DENIED ? 'Permission denied' : err instanceof Error ? err.message : String(err);
    sftp.status(reqid, code, message);
  };
  const ok = (reqid: number): void => {
    sftp.status(reqid, STATUS_CODE.OK);
  };
  /** Runs `op`, answering OK when it returns and an error status when it throws. */
  const statusOf = (reqid: number, op: () => Promise<unknown>): void => {
    op().then(() => ok(reqid), (e: unknown) => fail(reqid, e));
  };
  const badHandle = (reqid: number): void => {
    sftp.status(reqid, STATUS_CODE.FAILURE, 'invalid handle');
  };

  sftp.on('OPEN', (reqid: number, filename: string, flags: number, attrs: ClientAttrs) => {
    const path = resolvePath(filename);
    const mode = attrs.mode !== undefined ? attrs.mode & 0o7777 : 0o666;
    open(path, openFlags(flags), mode).then(
      (file) => sftp.handle(reqid, newHandle({ kind: 'file', file, path })),
      (e: unknown) => fail(reqid, e),
    );
  });

  sftp.on('READ', (reqid: number, handle: Buffer, offset: number, length: number) => {
    const h = lookup(handle);
    if (!h || h.kind !== 'file') return badHandle(reqid);
    const buf = Buffer.alloc(Math.min(length, 256 * 1024));
    h.file.read(buf, 0, buf.length, offset).then(
      ({ bytesRead }) => (bytesRead === 0 ? sftp.status(reqid, STATUS_CODE.EOF) : sftp.data(reqid, buf.subarray(0, bytesRead))),
      (e: unknown) => fail(reqid, e),
    );
  });

  sftp.on('WRITE', (reqid: number, handle: Buffer, offset: number, data: Buffer) => {
    const h = lookup(handle);
    if (!h || h.kind !== 'file') return badHandle(reqid);
    statusOf(reqid, async () => {
      let done = 0;
      while (done < data.length) {
        const { bytesWritten } = await h.file.write(data, done, data.length - done, offset + done);
        done += bytesWritten;
      }
    });
  });

  sftp.on('FSTAT', (reqid: number, handle: Buffer) => {
    const h = lookup(handle);
    if (!h) return badHandle(reqid);
    const st = h.kind === 'file' ? h.file.stat() : stat(h.path);
    st.then((s) => sftp.attrs(reqid, attrsOf(s)), (e: unknown) => fail(reqid, e));
  });

  sftp.on('FSETSTAT', (reqid: number, handle: Buffer, attrs: ClientAttrs) => {
    const h = lookup(handle);
    if (!h) return badHandle(reqid);
    statusOf(reqid, () => applyAttrs(h.path, attrs, h.kind === 'file' ? h.file : undefined));
  });

  sftp.on('CLOSE', (reqid: number, handle: Buffer) => {
    const h = lookup(handle);
    if (!h) return badHandle(reqid);
    handles.delete(handle.readUInt32BE(0));
    statusOf(reqid, async () => {
      if (h.kind === 'file') await h.file.close();
    });
  });

  sftp.on('OPENDIR', (reqid: number, path: string) => {
    const dir = resolvePath(path);
    stat(dir).then(
      (st) => {
        if (!st.isDirectory()) return sftp.status(reqid, STATUS_CODE.FAILURE, `${path}: not a directory`);
        sftp.handle(reqid, newHandle({ kind: 'dir', path: dir, pending: undefined }));
      },
      (e: unknown) => fail(reqid, e),
    );
  });

  sftp.on('READDIR', (reqid: number, handle: Buffer) => {
    const h = lookup(handle);
    if (!h || h.kind !== 'dir') return badHandle(reqid);
    (async () => {
      if (h.pending === undefined) h.pending = ['.', '..', ...(await readdir(h.path)).sort()];
      const batch = h.pending.splice(0, READDIR_BATCH);
      if (batch.length === 0) return sftp.status(reqid, STATUS_CODE.EOF);
      const now = new Date();
      const entries = [];
      for (const name of batch) {
        try {
          const st = await lstat(posix.join(h.path, name));
          entries.push({ filename: name, longname: longName(name, st, now), attrs: attrsOf(st) });
        } catch {
          // Removed since the listing was read.
        }
      }
      if (entries.length === 0 && h.pending.length === 0) return sftp.status(reqid, STATUS_CODE.EOF);
      sftp.name(reqid, entries);
    })().catch((e: unknown) => fail(reqid, e));
  });

  sftp.on('STAT', (reqid: number, path: string) => {
    stat(resolvePath(path)).then((s) => sftp.attrs(reqid, attrsOf(s)), (e: unknown) => fail(reqid, e));
  });

  sftp.on('LSTAT', (reqid: number, path: string) => {
    lstat(resolvePath(path)).then((s) => sftp.attrs(reqid, attrsOf(s)), (e: unknown) => fail(reqid, e));
  });

  sftp.on('SETSTAT', (reqid: number, path: string, attrs: ClientAttrs) => {
    statusOf(reqid, () => applyAttrs(resolvePath(path), attrs));
  });

  sftp.on('REMOVE', (reqid: number, path: string) => {
    statusOf(reqid, () => unlink(resolvePath(path)));
  });

  sftp.on('RMDIR', (reqid: number, path: string) => {
    statusOf(reqid, () => rmdir(resolvePath(path)));
  });

  sftp.on('MKDIR', (reqid: number, path: string, attrs: ClientAttrs) => {
    statusOf(reqid, () => mkdir(resolvePath(path), { mode: attrs.mode !== undefined ? attrs.mode & 0o7777 : 0o777 }));
  });

  sftp.on('RENAME', (reqid: number, oldPath: string, newPath: string) => {
    statusOf(reqid, () => rename(resolvePath(oldPath), resolvePath(newPath)));
  });

  sftp.on('REALPATH', (reqid: number, path: string) => {
    const target = resolvePath(path);
    realpath(target).catch(() => target).then((real) => sftp.name(reqid, [{ filename: real, longname: real, attrs: {} as Attributes }]));
  });

  sftp.on('READLINK', (reqid: number, path: string) => {
    readlink(resolvePath(path)).then(
      (target) => sftp.name(reqid, [{ filename: target, longname: target, attrs: {} as Attributes }]),
      (e: unknown) => fail(reqid, e),
    );
  });

  // ssh2 passes (linkPath, targetPath) here, having already undone OpenSSH's swapped order.
  sftp.on('SYMLINK', (reqid: number, linkPath: string, targetPath: string) => {
    statusOf(reqid, () => symlink(targetPath, resolvePath(linkPath)));
  });

  const closeAll = (): void => {
    for (const h of handles.values()) if (h.kind === 'file') void h.file.close().catch(() => undefined);
    handles.clear();
  };
  sftp.on('close', closeAll);
  // The client sent EOF (OpenSSH's sftp does at `bye`): close our side so its channel can close.
  sftp.on('end', () => {
    closeAll();
    sftp.end();
  });
}
