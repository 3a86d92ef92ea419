/**
 * What one simulator invocation knows about the host it runs on, and how it writes output.
 */
import { isAbsolute, join, resolve } from 'node:path';

export const ETC_KUBERNETES = '/etc/kubernetes';

export interface SimContext {
  /** Shared cluster state directory. */
  readonly stateDir: string;
  /** This host's real directory for /etc/kubernetes. */
  readonly etcDir: string;
  /** Default node name (`hostname` on fleet hosts). */
  readonly nodeName: string;
  /** Identifies the simulated machine (its kubelet, its control-plane ports). */
  readonly hostId: string;
  /** This host's InternalIP / advertise address. */
  readonly address: string;
  /** kubernetes.io/arch of this host. */
  readonly arch: string;
  readonly home: string | undefined;
  readonly kubeconfigEnv: string | undefined;
  readonly cwd: string;
  readonly now: () => number;
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
  readonly readStdin: () => Promise<string>;
  readonly sleep: (ms: number) => Promise<void>;
}

/** Maps a path the tools were given to this host's real path (/etc/kubernetes may be overridden). */
export function hostPath(ctx: SimContext, path: string): string {
  const abs = isAbsolute(path) ? path : resolve(ctx.cwd, path);
  if (ctx.etcDir === ETC_KUBERNETES) return abs;
  if (abs === ETC_KUBERNETES) return ctx.etcDir;
  if (abs.startsWith(`${ETC_KUBERNETES}/`)) return join(ctx.etcDir, abs.slice(ETC_KUBERNETES.length + 1));
  return abs;
}

/** The real path of a file under /etc/kubernetes on this host. */
export function etcPath(ctx: SimContext, relative: string): string {
  return join(ctx.etcDir, relative);
}

/** Exit status of a command. */
export type ExitCode = number;
