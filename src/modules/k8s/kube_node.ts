/**
 * kube_node: labels and taints on a Node, idempotently (read the Node, compute the difference,
 * `kubectl label --overwrite` / `kubectl taint`; removal only for `state: absent` entries).
 */
import type { JsonSchema, Module, ModuleContext, ModuleResult } from '../types.js';
import { ModuleFailure } from '../types.js';
import { argString } from '../util/args.js';
import { KUBERNETES_DIR_SCHEMA, adminConf, inventoryHostname, isNotFound, kubectl, kubernetesDir, nodeInfo, parseJson, type NodeInfo } from './common.js';
import { assertLabel, assertNodeName, makeTaint, parseTaint, taintString, type Taint } from './validate.js';

type Args = Readonly<Record<string, unknown>>;
type EntryState = 'present' | 'absent';

export interface LabelEntry {
  readonly key: string;
  /** Undefined for `state: absent` entries. */
  readonly value?: string;
  readonly state: EntryState;
}

export interface TaintEntry {
  readonly taint: Taint;
  readonly state: EntryState;
}

const schema: JsonSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    name: { type: 'string', description: 'Node name; defaults to inventory_hostname (run the task on, or delegate it to, a control-plane host).' },
    labels: {
      type: ['object', 'array', 'null'],
      description:
        'Labels to set: a mapping key: value (an empty/null value is the empty string, as in `node-role.kubernetes.io/worker: ""`), or a list of {key, value, state}; `state: absent` entries are removed. Labels not mentioned are left alone.',
    },
    taints: {
      type: ['array', 'null'],
      items: { type: ['string', 'object'] },
      description:
        'Taints: `key[=value]:Effect` strings or {key, value, effect, state} (Effect: NoSchedule, PreferNoSchedule or NoExecute); `state: absent` entries are removed. Taints not mentioned are left alone.',
    },
    kubeconfig: { type: 'string', description: 'Admin kubeconfig; defaults to admin.conf in `kubernetes_dir`.' },
    kubernetes_dir: KUBERNETES_DIR_SCHEMA,
  },
};

function entryState(value: unknown, what: string): EntryState {
  if (value === undefined || value === null || value === 'present') return 'present';
  if (value === 'absent') return 'absent';
  throw new ModuleFailure(`${what}: state must be present or absent, got ${JSON.stringify(value)}`);
}

function scalarText(value: unknown, what: string): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return String(value);
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  throw new ModuleFailure(`${what} must be a string`);
}

/** Reads the `labels` argument (mapping or list form), validated. */
export function readLabels(value: unknown): LabelEntry[] {
  if (value === undefined || value === null) return [];
  const out: LabelEntry[] = [];
  if (Array.isArray(value)) {
    for (const item of value) {
      if (item === null || typeof item !== 'object' || Array.isArray(item)) throw new ModuleFailure('labels list entries must be mappings {key, value, state}');
      const r = item as Record<string, unknown>;
      const key = scalarText(r.key, 'label key');
      const state = entryState(r.state, `label ${key}`);
      const v = state === 'absent' ? undefined : scalarText(r.value, `value of label ${key}`);
      assertLabel(key, v);
      out.push(state === 'absent' ? { key, state } : { key, value: v, state });
    }
  } else if (typeof value === 'object') {
    for (const [key, raw] of Object.entries(value as Record<string, unknown>)) {
      const v = scalarText(raw, `value of label ${key}`);
      assertLabel(key, v);
      out.push({ key, value: v, state: 'present' });
    }
  } else {
    throw new ModuleFailure('labels must be a mapping or a list');
  }
  return out;
}

/** Reads the `taints` argument (strings or mappings), validated. */
export function readTaints(value: unknown): TaintEntry[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw new ModuleFailure('taints must be a list');
  return value.map((item): TaintEntry => {
    if (typeof item === 'string') return { taint: parseTaint(item), state: 'present' };
    if (item === null || typeof item !== 'object' || Array.isArray(item)) throw new ModuleFailure('taints entries must be key[=value]:Effect strings or {key, value, effect, state} mappings');
    const r = item as Record<string, unknown>;
    const key = scalarText(r.key, 'taint key');
    const value = r.value === undefined || r.value === null ? undefined : scalarText(r.value, `value of taint ${key}`);
    return { taint: makeTaint(key, value, scalarText(r.effect, `effect of taint ${key}`)), state: entryState(r.state, `taint ${key}`) };
  });
}

export interface NodePlan {
  /** `k=v` to set (with --overwrite) and `k-` to remove. */
  readonly labelArgs: readonly string[];
  /** Taints to add or change (`key[=value]:Effect`). */
  readonly taintsToSet: readonly Taint[];
  /** Taints to remove (`key:Effect-`). */
  readonly taintsToRemove: readonly Taint[];
}

/** The difference between the Node and the wanted labels/taints. Pure. */
export function planNode(node: Pick<NodeInfo, 'labels' | 'taints'>, labels: readonly LabelEntry[], taints: readonly TaintEntry[]): NodePlan {
  const labelArgs: string[] = [];
  for (const l of labels) {
    const has = Object.prototype.hasOwnProperty.call(node.labels, l.key);
    if (l.state === 'absent') {
      if (has) labelArgs.push(`${l.key}-`);
    } else if (!has || node.labels[l.key] !== l.value) {
      labelArgs.push(`${l.key}=${l.value ?? ''}`);
    }
  }
  const taintsToSet: Taint[] = [];
  const taintsToRemove: Taint[] = [];
  for (const { taint, state } of taints) {
    const current = node.taints.find((t) => t.key === taint.key && t.effect === taint.effect);
    if (state === 'absent') {
      if (current) taintsToRemove.push(taint);
    } else if (!current || (current.value ?? '') !== (taint.value ?? '')) {
      taintsToSet.push(taint);
    }
  }
  return { labelArgs, taintsToSet, taintsToRemove };
}

/** The kubectl command lines that apply a plan. */
export function nodeCommands(kubeconfig: string, name: string, plan: NodePlan): string[] {
  const cmds: string[] = [];
  if (plan.labelArgs.length > 0) cmds.push(kubectl(kubeconfig, 'label', 'node', name, '--overwrite', ...plan.labelArgs));
  if (plan.taintsToSet.length > 0) cmds.push(kubectl(kubeconfig, 'taint', 'node', name, '--overwrite', ...plan.taintsToSet.map(taintString)));
  if (plan.taintsToRemove.length > 0) cmds.push(kubectl(kubeconfig, 'taint', 'node', name, ...plan.taintsToRemove.map((t) => `${t.key}:${t.effect}-`)));
  return cmds;
}

export async function readNode(ctx: ModuleContext, kubeconfig: string, name: string): Promise<NodeInfo> {
  const r = await ctx.probe(kubectl(kubeconfig, 'get', 'node', name, '-o', 'json'));
  if (r.rc !== 0) {
    if (isNotFound(r.stderr)) throw new ModuleFailure(`Node ${name} is not registered in the cluster`);
    throw new ModuleFailure(`kubectl get node ${name} failed: ${r.stderr.trim()}`);
  }
  return nodeInfo(parseJson(r.stdout, `kubectl get node ${name}`));
}

export async function runKubeNode(args: Args, ctx: ModuleContext): Promise<ModuleResult> {
  const name = assertNodeName(argString(args, 'name') ?? inventoryHostname(ctx));
  const kubeconfig = argString(args, 'kubeconfig') ?? adminConf(kubernetesDir(args, ctx));
  const labels = readLabels(args.labels);
  const taints = readTaints(args.taints);
  if (labels.length === 0 && taints.length === 0) return { changed: false, msg: `no labels or taints to manage on Node ${name}`, values: { name, labels_changed: [], taints_added: [], taints_removed: [] } };
  let node: NodeInfo;
  try {
    node = await readNode(ctx, kubeconfig, name);
  } catch (err) {
    // in check mode the Node may not exist yet because its join was only planned
    if (ctx.check && err instanceof ModuleFailure) {
      return { changed: true, msg: `would set labels and taints on Node ${name} once it is registered (${err.message})`, values: { name } };
    }
    throw err;
  }
  const plan = planNode(node, labels, taints);
  const commands = nodeCommands(kubeconfig, name, plan);
  const values = {
    name,
    labels_changed: plan.labelArgs,
    taints_added: plan.taintsToSet.map(taintString),
    taints_removed: plan.taintsToRemove.map(taintString),
  };
  if (commands.length === 0) return { changed: false, msg: `Node ${name} already has the wanted labels and taints`, values };
  for (const command of commands) {
    const r = await ctx.run(command);
    if (r.rc !== 0) throw new ModuleFailure(`kubectl failed on Node ${name}: ${r.stderr.trim()}`, { ...values, rc: r.rc });
  }
  return { changed: true, msg: `${ctx.check ? 'would update' : 'updated'} Node ${name}`, values };
}

export const kubeNodeModule: Module = {
  name: 'kube_node',
  description:
    'Sets labels and taints on a Kubernetes Node idempotently with kubectl (reads the Node, changes only what differs; removes only `state: absent` entries). Run it on, or delegate it to, a host with an admin kubeconfig.',
  args: schema,
  checkMode: 'full',
  run: runKubeNode,
};
