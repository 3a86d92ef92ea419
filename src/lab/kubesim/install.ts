/**
 * Installs the simulator on a (test or lab) host as `kubeadm` and `kubectl` shell wrappers that
 * bake in the shared state directory and this host's settings.
 */
import { existsSync } from 'node:fs';
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { shellQuote } from '../../connection/types.js';

export interface KubesimInstallOptions {
  /** Shared cluster state directory (the same for every host of one simulated cluster). */
  readonly stateDir: string;
  /** Default node name; when omitted the wrappers use the host's `hostname` at run time. */
  readonly nodeName?: string;
  /** This host's directory for /etc/kubernetes (default: the real /etc/kubernetes). */
  readonly etcDir?: string;
  /** InternalIP / advertise address of this host (default: first non-internal IPv4, else 127.0.0.1). */
  readonly address?: string;
  /** kubernetes.io/arch of this host (default: the controller's). */
  readonly arch?: string;
  /** Identifies the simulated machine (default: "<hostname>:<etc dir>" at run time). */
  readonly hostId?: string;
  /** Node binary (default: the running one). */
  readonly nodeBin?: string;
  /** The compiled main.js (default: dist/lab/kubesim/main.js next to this module). */
  readonly mainScript?: string;
}

/** dist/lab/kubesim/main.js, also when this module runs from src/ under vitest. */
export function kubesimMainScript(): string {
  const here = fileURLToPath(import.meta.url);
  if (here.endsWith('.ts')) return here.replace(/\/src\/lab\/kubesim\/[^/]+\.ts$/, '/dist/lab/kubesim/main.js');
  return join(here, '..', 'main.js');
}

export function wrapperScript(tool: 'kubeadm' | 'kubectl', options: KubesimInstallOptions): string {
  const env: [string, string | undefined][] = [
    ['KUBESIM_STATE_DIR', options.stateDir],
    ['KUBESIM_ETC_DIR', options.etcDir],
    ['KUBESIM_NODE_NAME', options.nodeName],
    ['KUBESIM_ADDRESS', options.address],
    ['KUBESIM_ARCH', options.arch],
    ['KUBESIM_HOST_ID', options.hostId],
  ];
  const exports = env.filter(([, v]) => v !== undefined).map(([k, v]) => `${k}=${shellQuote(v!)}\nexport ${k}\n`).join('');
  const main = options.mainScript ?? kubesimMainScript();
  return `#!/bin/sh\n# kubesim: simulated ${tool} (test infrastructure)\n${exports}exec ${shellQuote(options.nodeBin ?? process.execPath)} ${shellQuote(main)} ${tool} "$@"\n`;
}

export async function installKubesim(binDir: string, options: KubesimInstallOptions): Promise<void> {
  const main = options.mainScript ?? kubesimMainScript();
  if (!existsSync(main)) throw new Error(`kubesim: ${main} does not exist (run npm run build)`);
  await mkdir(binDir, { recursive: true });
  await mkdir(options.stateDir, { recursive: true });
  if (options.etcDir) await mkdir(options.etcDir, { recursive: true });
  for (const tool of ['kubeadm', 'kubectl'] as const) {
    const file = join(binDir, tool);
    await writeFile(file, wrapperScript(tool, { ...options, mainScript: main }));
    await chmod(file, 0o755);
  }
}
