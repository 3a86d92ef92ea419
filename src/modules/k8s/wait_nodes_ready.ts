/**
 * wait_nodes_ready: polls `kubectl get nodes -o json` on a control-plane host until every expected
 * Node is Ready (the condition found by type), or fails listing the ones that are not.
 */
import type { JsonSchema, Module, ModuleContext, ModuleResult } from '../types.js';
import { ModuleFailure } from '../types.js';
import { argInt, argString } from '../util/args.js';
import { KUBERNETES_DIR_SCHEMA, adminConf, isReady, kubectl, kubernetesDir, nodeList, sleep, stringList, type NodeInfo } from './common.js';
import { assertNodeName } from './validate.js';

type Args = Readonly<Record<string, unknown>>;

export const DEFAULT_K8S_GROUPS = ['k8s_control_plane', 'k8s_worker'];

const schema: JsonSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    nodes: {
      type: ['array', 'string'],
      items: { type: 'string' },
      description:
        "Node names to wait for. Default: the play's active hosts (ansible_play_hosts) that are in the `groups` groups; hosts that failed or were unreachable earlier in the run are left out and listed in `excluded`.",
    },
    groups: { type: ['array', 'string'], items: { type: 'string' }, description: 'Inventory groups whose hosts are Kubernetes nodes (default k8s_control_plane, k8s_worker).' },
    timeout: { type: ['integer', 'string'], default: 300, description: 'Seconds to wait before failing.' },
    interval: { type: ['integer', 'string'], default: 5, description: 'Seconds between polls.' },
    kubeconfig: { type: 'string', description: 'Admin kubeconfig; defaults to admin.conf in `kubernetes_dir`.' },
    kubernetes_dir: KUBERNETES_DIR_SCHEMA,
  },
};

function stringArray(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}

/** The nodes to wait for by default, and the hosts left out because they failed earlier. Pure. */
export function expectedNodes(
  playHosts: readonly string[],
  playHostsAll: readonly string[],
  groups: Readonly<Record<string, unknown>>,
  groupNames: readonly string[],
): { nodes: string[]; excluded: string[] } {
  const members = new Set(groupNames.flatMap((g) => stringArray(groups[g])));
  const active = new Set(playHosts);
  return {
    nodes: playHosts.filter((h) => members.has(h)),
    excluded: playHostsAll.filter((h) => members.has(h) && !active.has(h)),
  };
}

export interface ReadinessReport {
  readonly ready: string[];
  readonly notReady: { readonly name: string; readonly reason: string }[];
}

/** Which expected nodes are Ready in a NodeList, and why the others are not. Pure. */
export function readiness(expected: readonly string[], nodes: readonly NodeInfo[]): ReadinessReport {
  const byName = new Map(nodes.map((n) => [n.name, n]));
  const ready: string[] = [];
  const notReady: { name: string; reason: string }[] = [];
  for (const name of expected) {
    const node = byName.get(name);
    if (node && isReady(node)) ready.push(name);
    else if (!node) notReady.push({ name, reason: 'not registered' });
    else if (!node.ready) notReady.push({ name, reason: 'no Ready condition reported yet' });
    else notReady.push({ name, reason: `Ready=${node.ready.status}${node.ready.reason ? ` ${node.ready.reason}` : ''}${node.ready.message ? `: ${node.ready.message}` : ''}` });
  }
  return { ready, notReady };
}

function lookupList(ctx: ModuleContext, name: string): string[] {
  const v = ctx.lookupVar(name);
  return v.defined ? stringArray(v.value) : [];
}

export async function runWaitNodesReady(args: Args, ctx: ModuleContext): Promise<ModuleResult> {
  const kubeconfig = argString(args, 'kubeconfig') ?? adminConf(kubernetesDir(args, ctx));
  const timeout = argInt(args, 'timeout') ?? 300;
  const interval = Math.max(1, argInt(args, 'interval') ?? 5);
  let expected: string[];
  let excluded: string[] = [];
  if (args.nodes !== undefined && args.nodes !== null) {
    expected = stringList(args, 'nodes');
  } else {
    const groupNames = args.groups !== undefined && args.groups !== null ? stringList(args, 'groups') : DEFAULT_K8S_GROUPS;
    const groupsVar = ctx.lookupVar('groups');
    const groups = groupsVar.defined && groupsVar.value !== null && typeof groupsVar.value === 'object' ? (groupsVar.value as Record<string, unknown>) : {};
    ({ nodes: expected, excluded } = expectedNodes(lookupList(ctx, 'ansible_play_hosts'), lookupList(ctx, 'ansible_play_hosts_all'), groups, groupNames));
  }
  for (const n of expected) assertNodeName(n);
  const total = expected.length;
  const deadline = Date.now() + timeout * 1000;
  let last: ReadinessReport = { ready: [], notReady: [] };
  let lastProgress = '';
  for (;;) {
    const r = await ctx.probe(kubectl(kubeconfig, 'get', 'nodes', '-o', 'json'));
    if (r.rc === 0) {
      let nodes: NodeInfo[];
      try {
        nodes = nodeList(r.stdout);
      } catch {
        throw new ModuleFailure(`could not parse the output of kubectl get nodes -o json: ${r.stdout.slice(0, 200)}`);
      }
      last = readiness(expected, nodes);
      const progress = `${last.ready.length}/${total} Ready`;
      if (progress !== lastProgress) ctx.progress(progress);
      lastProgress = progress;
      if (last.notReady.length === 0) {
        const values = { nodes: expected, ready: last.ready, excluded };
        const msg = `${total}/${total} nodes Ready${excluded.length > 0 ? ` (left out after failing earlier: ${excluded.join(', ')})` : ''}`;
        return { changed: false, msg, values };
      }
    } else {
      last = { ready: [], notReady: expected.map((name) => ({ name, reason: `kubectl get nodes failed: ${r.stderr.trim().split('\n').pop() ?? ''}` })) };
      if (lastProgress !== 'API not answering') ctx.progress('API not answering');
      lastProgress = 'API not answering';
    }
    if (ctx.check) {
      // nothing was joined in check mode: report where things stand without waiting
      return {
        changed: false,
        msg: `would wait for ${last.notReady.map((n) => n.name).join(', ')} to be Ready`,
        values: { nodes: expected, ready: last.ready, excluded, not_ready: last.notReady },
      };
    }
    if (Date.now() + interval * 1000 > deadline || ctx.signal.aborted) break;
    await sleep(interval * 1000, ctx.signal);
  }
  const lines = last.notReady.map((n) => `  ${n.name}: ${n.reason}`).join('\n');
  throw new ModuleFailure(`${last.notReady.length}/${total} nodes not Ready after ${timeout}s:\n${lines}`, {
    nodes: expected,
    ready: last.ready,
    excluded,
    not_ready: last.notReady,
  });
}

export const waitNodesReadyModule: Module = {
  name: 'wait_nodes_ready',
  description:
    "Waits (on a control-plane host) until every expected Kubernetes Node is Ready, polling kubectl get nodes. Defaults to the play's still-active hosts in the k8s groups; fails listing each node that is not Ready with its reason.",
  args: schema,
  checkMode: 'full',
  run: runWaitNodesReady,
};
