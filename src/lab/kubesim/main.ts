/**
 * The simulator's executable: `node main.js kubeadm|kubectl <args...>`. Configuration comes from the
 * environment the installed wrappers bake in (see install.ts):
 *   KUBESIM_STATE_DIR  shared cluster state directory (required)
 *   KUBESIM_ETC_DIR    this host's real /etc/kubernetes (default /etc/kubernetes)
 *   KUBESIM_NODE_NAME  default node name (default: the host name)
 *   KUBESIM_HOST_ID    identifies the machine (default: "<hostname>:<etc dir>")
 *   KUBESIM_ADDRESS    InternalIP / advertise address (default: first non-internal IPv4, else 127.0.0.1)
 *   KUBESIM_ARCH       kubernetes.io/arch (default: this machine's)
 */
import { hostname } from 'node:os';
import { ETC_KUBERNETES } from './context.js';
import { defaultAddress, defaultArch, runKubesim } from './run.js';

async function main(): Promise<void> {
  const [tool, ...args] = process.argv.slice(2);
  const env = process.env;
  const stateDir = env.KUBESIM_STATE_DIR;
  if (!stateDir) {
    process.stderr.write('kubesim: KUBESIM_STATE_DIR is not set\n');
    process.exitCode = 2;
    return;
  }
  if (tool !== 'kubeadm' && tool !== 'kubectl') {
    process.stderr.write('usage: main.js kubeadm|kubectl [args...]\n');
    process.exitCode = 2;
    return;
  }
  const etcDir = env.KUBESIM_ETC_DIR || ETC_KUBERNETES;
  const code = await runKubesim(tool, args, {
    stateDir,
    etcDir,
    nodeName: env.KUBESIM_NODE_NAME || hostname(),
    hostId: env.KUBESIM_HOST_ID || `${hostname()}:${etcDir}`,
    address: env.KUBESIM_ADDRESS || defaultAddress(),
    arch: env.KUBESIM_ARCH || defaultArch(),
    home: env.HOME,
    kubeconfigEnv: env.KUBECONFIG,
    cwd: process.cwd(),
  });
  process.exitCode = code;
}

main().catch((e: unknown) => {
  process.stderr.write(`kubesim: internal error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exitCode = 2;
});
