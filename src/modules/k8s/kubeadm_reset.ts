/**
 * kubeadm_reset: undoes kubeadm init/join on the host (`kubeadm reset --force`, then removes the
 * kubeadm and CNI configuration directories), and optionally deletes the Node object.
 */
import type { JsonSchema, Module, ModuleContext, ModuleResult } from '../types.js';
import { ModuleFailure } from '../types.js';
import { argBool, argString } from '../util/args.js';
import { shellQuote } from '../util/quote.js';
import { cniConfDir, KUBERNETES_DIR_SCHEMA, adminConf, inventoryHostname, isNotFound, kubeadm, kubeadmErrorLine, kubectl, kubernetesDir, scrub } from './common.js';
import { assertNodeName } from './validate.js';

type Args = Readonly<Record<string, unknown>>;

const schema: JsonSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    reset: { type: ['boolean', 'string'], default: true, description: 'Run `kubeadm reset --force` and clean up on this host. Set false to only delete the Node (delete_node).' },
    delete_node: {
      type: ['boolean', 'string'],
      default: false,
      description:
        'Also `kubectl delete node NAME` with `kubeconfig`. This needs an admin kubeconfig, so for a worker run a second task with `reset: false, delete_node: true, node_name: ...` delegated to a control-plane host, after the reset (a running kubelet would register the Node again).',
    },
    node_name: { type: 'string', description: 'Node to delete; defaults to inventory_hostname.' },
    kubeconfig: { type: 'string', description: 'Admin kubeconfig for delete_node; defaults to admin.conf in `kubernetes_dir`.' },
    cri_socket: { type: 'string', description: 'CRI socket passed to kubeadm reset.' },
    cleanup: { type: ['boolean', 'string'], default: true, description: 'Remove the kubeadm directory and the CNI configuration directory after the reset.' },
    cni_conf_dir: { type: 'string', description: 'CNI configuration directory to clean; defaults to the host variable `k8s_cni_conf_dir`, else /etc/cni/net.d.' },
    kubernetes_dir: KUBERNETES_DIR_SCHEMA,
  },
};

export interface ResetOptions {
  readonly kubernetesDir: string;
  readonly cniConfDir: string;
  readonly criSocket?: string;
  readonly cleanup?: boolean;
}

function safeDir(path: string, what: string): string {
  const p = path.replace(/\/+$/, '');
  if (!p.startsWith('/') || p === '' || /\/\.\.?(\/|$)/.test(p) || p.split('/').filter(Boolean).length < 2) {
    throw new ModuleFailure(`refusing to clean ${what} ${JSON.stringify(path)}: it must be an absolute path at least two levels deep`);
  }
  return p;
}

/** A probe answering whether anything is left to reset (kubeadm files or CNI config). */
export function leftoversScript(options: ResetOptions): string {
  const dirs = [options.kubernetesDir, options.cniConfDir].map(shellQuote).join(' ');
  return `for d in ${dirs}; do if [ -d "$d" ] && [ -n "$(ls -A "$d" 2>/dev/null)" ]; then echo "$d"; fi; done; true`;
}

/** kubeadm reset --force, then removes the kubeadm and CNI directories. Throws on failure. */
export async function resetHost(ctx: ModuleContext, options: ResetOptions): Promise<void> {
  const argv = ['reset', '--force'];
  if (options.criSocket !== undefined) argv.push('--cri-socket', options.criSocket);
  const r = await ctx.run(kubeadm(...argv));
  if (r.rc !== 0) throw new ModuleFailure(`kubeadm reset failed (rc ${r.rc}): ${scrub(kubeadmErrorLine(r.stderr, r.stdout), [])}`, { rc: r.rc });
  if (options.cleanup === false) return;
  const dirs = [safeDir(options.kubernetesDir, 'kubernetes_dir'), safeDir(options.cniConfDir, 'cni_conf_dir')];
  const c = await ctx.run(`rm -rf ${dirs.map(shellQuote).join(' ')}`);
  if (c.rc !== 0) throw new ModuleFailure(`cleanup after kubeadm reset failed: ${c.stderr.trim()}`, { rc: c.rc });
}

export async function runKubeadmReset(args: Args, ctx: ModuleContext): Promise<ModuleResult> {
  const dir = kubernetesDir(args, ctx);
  const doReset = argBool(args, 'reset', true);
  const deleteNode = argBool(args, 'delete_node', false);
  const nodeName = assertNodeName(argString(args, 'node_name') ?? inventoryHostname(ctx));
  const options: ResetOptions = {
    kubernetesDir: dir,
    cniConfDir: cniConfDir(args, ctx),
    cleanup: argBool(args, 'cleanup', true),
    ...(argString(args, 'cri_socket') !== undefined ? { criSocket: argString(args, 'cri_socket')! } : {}),
  };
  const done: string[] = [];
  if (doReset) {
    const left = await ctx.probe(leftoversScript(options));
    if (left.stdout.trim() !== '') {
      ctx.progress('resetting');
      await resetHost(ctx, options);
      done.push(`reset ${nodeName}`);
    }
  }
  if (deleteNode) {
    const kubeconfig = argString(args, 'kubeconfig') ?? adminConf(dir);
    const g = await ctx.probe(kubectl(kubeconfig, 'get', 'node', nodeName, '-o', 'name'));
    if (g.rc === 0) {
      const d = await ctx.run(kubectl(kubeconfig, 'delete', 'node', nodeName, '--ignore-not-found'));
      if (d.rc !== 0) throw new ModuleFailure(`kubectl delete node ${nodeName} failed: ${d.stderr.trim()}`);
      done.push(`deleted Node ${nodeName}`);
    } else if (!isNotFound(g.stderr)) {
      throw new ModuleFailure(`kubectl get node ${nodeName} failed: ${g.stderr.trim()}`);
    }
  }
  if (done.length === 0) return { changed: false, msg: `${nodeName}: nothing to reset`, values: { node_name: nodeName } };
  const verb = ctx.check ? 'would ' : '';
  return { changed: true, msg: `${verb}${done.join(', ')}`, values: { node_name: nodeName } };
}

export const kubeadmResetModule: Module = {
  name: 'kubeadm_reset',
  description:
    'Undoes kubeadm init/join on the host: `kubeadm reset --force`, then removes /etc/kubernetes and /etc/cni/net.d. With delete_node also deletes the Node object (needs an admin kubeconfig: delegate that part to a control-plane host).',
  args: schema,
  checkMode: 'full',
  run: runKubeadmReset,
};
