import type { OutputTruncation } from './output-cap.js';

export interface ExecResult {
  readonly rc: number;
  readonly stdout: string;
  readonly stderr: string;
  /** Set when a stream was longer than `maxOutputBytes`: how many bytes it really had. */
  readonly truncated?: OutputTruncation;
}

export interface BecomeOptions {
  readonly user: string;
  readonly method: 'sudo' | 'su';
  readonly password?: string;
  readonly flags?: string;
}

export interface ExecOptions {
  /** Bytes written to the command's stdin, then closed. */
  readonly stdin?: string | Buffer;
  readonly become?: BecomeOptions;
  readonly env?: Readonly<Record<string, string>>;
  readonly cwd?: string;
  /** Seconds; the remote process group is killed when it runs out. */
  readonly timeout?: number;
  readonly signal?: AbortSignal;
  readonly onStdout?: (chunk: Buffer) => void;
  /** Bytes of stdout and of stderr kept in the result (default DEFAULT_MAX_OUTPUT_BYTES, 10 MiB); the rest is dropped. */
  readonly maxOutputBytes?: number;
  readonly onStderr?: (chunk: Buffer) => void;
}

export interface PutOptions {
  /** Octal string such as '0644' or a number. */
  readonly mode?: string | number;
  readonly owner?: string;
  readonly group?: string;
  readonly become?: BecomeOptions;
}

export type PutSource = { readonly content: string | Buffer } | { readonly localPath: string };

/**
 * How the engine and modules reach a host. `exec` runs `command` with `/bin/sh -c` on the host.
 * Nothing outside src/connection may know which implementation it talks to.
 */
export interface Connection {
  readonly host: string;
  /** The plugin ('local', 'ssh'); modules that must not act on the controller (reboot) check it. */
  readonly transport?: 'local' | 'ssh';
  exec(command: string, options?: ExecOptions): Promise<ExecResult>;
  put(source: PutSource, remotePath: string, options?: PutOptions): Promise<void>;
  /** Reads a remote file. With `localPath`, also writes it there. */
  get(remotePath: string, localPath?: string, options?: { become?: BecomeOptions }): Promise<Buffer>;
  close(): Promise<void>;
}

/** Shell-quotes one argument for POSIX sh. */
export function shellQuote(arg: string): string {
  if (arg !== '' && /^[A-Za-z0-9_\/.,:=@%+-]+$/.test(arg)) return arg;
  return `'${arg.replace(/'/g, `'\\''`)}'`;
}

export function shellJoin(argv: readonly string[]): string {
  return argv.map(shellQuote).join(' ');
}
