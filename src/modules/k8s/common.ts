/**
 * Pieces the Kubernetes modules share: where kubeadm keeps its files, how kubectl/kubeadm command
 * lines are built (every argument quoted), node JSON readers, secret scrubbing and the API endpoint
 * reachability probe.
 */
import { randomBytes } from 'node:crypto';
import type { ModuleContext } from '../types.js';
import { ModuleFailure } from '../types.js';
import { argString } from '../util/args.js';
import { shellQuote } from '../util/quote.js';
import type { Endpoint } from './validate.js';

type Args = Readonly<Record<string, unknown>>;

export const DEFAULT_KUBERNETES_DIR = '/etc/kubernetes';
export const DEFAULT_CNI_CONF_DIR = '/etc/cni/net.d';

/** Shared schema entry: where kubeadm keeps admin.conf, kubelet.conf and pki/. */
export const KUBERNETES_DIR_SCHEMA = {
  type: 'string',
  description:
    "kubeadm's configuration directory on the host (admin.conf, kubelet.conf, pki/). Defaults to the host variable `k8s_kubernetes_dir`, else /etc/kubernetes.",
} as const;

/** The kubeadm directory: the `kubernetes_dir` argument, else the `k8s_kubernetes_dir` host variable, else /etc/kubernetes. */
export function kubernetesDir(args: Args, ctx: ModuleContext): string {
  const fromArgs = argString(args, 'kubernetes_dir');
  const fromVar = ctx.lookupVar('k8s_kubernetes_dir');
  const dir = fromArgs ?? (fromVar.defined && typeof fromVar.value === 'string' && fromVar.value !== '' ? fromVar.value : DEFAULT_KUBERNETES_DIR);
  if (!dir.startsWith('/') || dir === '/' || /\/\.\.?(\/|$)/.test(dir)) throw new ModuleFailure(`kubernetes_dir must be an absolute directory other than /, got ${JSON.stringify(dir)}`);
  return dir.replace(/\/+$/, '');
}

/** The CNI configuration directory: `cni_conf_dir`, else the `k8s_cni_conf_dir` host variable, else /etc/cni/net.d. */
export function cniConfDir(args: Args, ctx: ModuleContext): string {
  const fromVar = ctx.lookupVar('k8s_cni_conf_dir');
  return argString(args, 'cni_conf_dir') ?? (fromVar.defined && typeof fromVar.value === 'string' && fromVar.value !== '' ? fromVar.value : DEFAULT_CNI_CONF_DIR);
}

export function adminConf(dir: string): string {
  return `${dir}/admin.conf`;
}

export function kubeletConf(dir: string): string {
  return `${dir}/kubelet.conf`;
}

/** `kubectl --kubeconfig K args...`, every argument quoted. */
export function kubectl(kubeconfig: string, ...args: readonly string[]): string {
  return ['kubectl', '--kubeconfig', kubeconfig, ...args].map(shellQuote).join(' ');
}

/** `kubeadm args...`, every argument quoted. */
export function kubeadm(...args: readonly string[]): string {
  return ['kubeadm', ...args].map(shellQuote).join(' ');
}

/** `test -f PATH` as a probe: true when the file exists. */
export async function fileExists(ctx: ModuleContext, path: string): Promise<boolean> {
  const r = await ctx.probe(`test -f ${shellQuote(path)}`);
  return r.rc === 0;
}

/** A fresh private temp path for a config file holding secrets (put with mode 0600, removed after use). */
export function tempConfigPath(purpose: string): string {
  return `/tmp/.tsbook-${purpose}-${randomBytes(8).toString('hex')}.yaml`;
}

/** Removes a temp file; never fails the task. */
export async function removeTemp(ctx: ModuleContext, path: string): Promise<void> {
  try {
    await ctx.run(`rm -f ${shellQuote(path)}`);
  } catch {
    // the file is private (0600) and randomly named; a failed cleanup must not hide the real result
  }
}

/** Replaces every secret in `text` with `********`. */
export function scrub(text: string, secrets: readonly (string | undefined)[]): string {
  let out = text;
  for (const s of secrets) {
    if (s === undefined || s.length < 6) continue;
    out = out.split(s).join('********');
  }
  // any bootstrap token or certificate key kubeadm printed that we did not know about
  out = out.replace(/\b([a-z0-9]{6})\.[a-z0-9]{16}\b/g, '$1.****************');
  out = out.replace(/(--certificate-key[ =]|Using certificate key:\s*)[0-9a-f]{64}\b/g, '$1********');
  return out;
}

/** kubeadm's error text: the lines that follow "error execution phase" or the first non-log line of stderr. */
export function kubeadmErrorLine(stderr: string, stdout: string): string {
  const text = `${stderr}\n${stdout}`;
  const lines = text.split('\n').map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('To see the stack trace'));
  const at = lines.findIndex((l) => l.startsWith('error execution phase') || l.startsWith('error:') || /^\[ERROR /.test(l));
  if (at >= 0) {
    // preflight failures list their checks on the following lines
    const details = lines.slice(at + 1).filter((l) => /^\[ERROR /.test(l));
    return [lines[at]!, ...details].join(' ');
  }
  const nonLog = lines.filter((l) => !/^[IWE]\d{4} /.test(l) && !l.startsWith('['));
  return nonLog[nonLog.length - 1] ?? lines[lines.length - 1] ?? '';
}

// ------------------------------------------------------------------------------------ nodes

export interface NodeCondition {
  readonly status: string;
  readonly reason: string;
  readonly message: string;
}

export interface NodeInfo {
  readonly name: string;
  readonly ready: NodeCondition | undefined;
  readonly labels: Readonly<Record<string, string>>;
  readonly taints: readonly { readonly key: string; readonly value?: string; readonly effect: string }[];
}

function record(value: unknown): Readonly<Record<string, unknown>> {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

function text(value: unknown): string {
  return typeof value === 'string' ? value : '';
}

/** Reads one Node object (kubectl get node -o json). The Ready condition is found by its type. */
export function nodeInfo(object: unknown): NodeInfo {
  const o = record(object);
  const metadata = record(o.metadata);
  const conditions = Array.isArray(record(o.status).conditions) ? (record(o.status).conditions as unknown[]) : [];
  const ready = conditions.map(record).find((c) => c.type === 'Ready');
  const labels: Record<string, string> = {};
  for (const [k, v] of Object.entries(record(metadata.labels))) labels[k] = text(v);
  const taints = (Array.isArray(record(o.spec).taints) ? (record(o.spec).taints as unknown[]) : []).map((t) => {
    const r = record(t);
    const value = typeof r.value === 'string' && r.value !== '' ? r.value : undefined;
    return { key: text(r.key), effect: text(r.effect), ...(value !== undefined ? { value } : {}) };
  });
  return {
    name: text(metadata.name),
    ready: ready ? { status: text(ready.status), reason: text(ready.reason), message: text(ready.message) } : undefined,
    labels,
    taints,
  };
}

/** Reads a NodeList (kubectl get nodes -o json). */
export function nodeList(json: string): NodeInfo[] {
  const parsed: unknown = JSON.parse(json);
  const items = record(parsed).items;
  return Array.isArray(items) ? items.map(nodeInfo) : [];
}

export function isReady(node: NodeInfo | undefined): boolean {
  return node?.ready?.status === 'True';
}

export function isNotFound(stderr: string): boolean {
  return /NotFound|not found/.test(stderr);
}

/** Parses kubectl's JSON output or fails the task with kubectl's own words. */
export function parseJson(stdout: string, what: string): unknown {
  try {
    return JSON.parse(stdout);
  } catch {
    throw new ModuleFailure(`could not parse the output of ${what} as JSON: ${stdout.slice(0, 200)}`);
  }
}

// ------------------------------------------------------------------------------------ reachability

/**
 * A probe that opens a TCP connection to the endpoint from the host (bash's /dev/tcp under
 * `timeout 5`, curl -k when there is no bash). Exit 0 when it answered.
 */
export function reachabilityScript(endpoint: Endpoint, seconds = 5): string {
  const host = shellQuote(endpoint.host);
  const port = shellQuote(String(endpoint.port));
  const url = shellQuote(`https://${endpoint.text}/healthz`);
  return [
    'if command -v bash >/dev/null 2>&1; then',
    `  timeout ${seconds} bash -c 'exec 3<>"/dev/tcp/$1/$2"' tsbook-probe ${host} ${port}`,
    'elif command -v curl >/dev/null 2>&1; then',
    `  curl -k -s -o /dev/null --connect-timeout ${seconds} ${url}; rc=$?; if [ "$rc" = 7 ]; then echo 'Connection refused' >&2; exit 1; elif [ "$rc" = 28 ]; then exit 124; elif [ "$rc" = 6 ]; then echo 'Name or service not known' >&2; exit 1; fi; exit 0`,
    'else',
    "  echo 'tsbook: neither bash nor curl is available to check the API endpoint' >&2; exit 3",
    'fi',
  ].join('\n');
}

/** Why the endpoint did not answer, in a few words, from the probe's exit status and stderr. */
export function unreachableReason(rc: number, stderr: string): string {
  if (rc === 124) return 'no answer within 5 seconds (timed out)';
  if (/refused/i.test(stderr)) return 'connection refused';
  if (/No route to host/i.test(stderr)) return 'no route to host';
  if (/Network is unreachable/i.test(stderr)) return 'network is unreachable';
  if (/not known|resolve|Unknown host|Temporary failure in name resolution/i.test(stderr)) return 'the host name does not resolve';
  const last = stderr.trim().split('\n').pop() ?? '';
  return last !== '' ? last : `probe exited with status ${rc}`;
}

/** Checks the API endpoint answers from the host; throws a clear ModuleFailure if not. */
export async function assertReachable(ctx: ModuleContext, endpoint: Endpoint, nodeName: string): Promise<void> {
  const r = await ctx.probe(reachabilityScript(endpoint));
  if (r.rc === 3) {
    ctx.warn(`cannot check that ${endpoint.text} is reachable from ${nodeName}: neither bash nor curl is installed`);
    return;
  }
  if (r.rc !== 0) throw new ModuleFailure(`API endpoint ${endpoint.text} is not reachable from ${nodeName}: ${unreachableReason(r.rc, r.stderr)}`);
}

// ------------------------------------------------------------------------------------ misc

export { sleep } from '../util/time.js';

/** Reads a string-list argument strictly (a list of scalars, or one string). */
export function stringList(args: Args, key: string): string[] {
  const value = args[key];
  if (value === undefined || value === null) return [];
  if (typeof value === 'string') return value === '' ? [] : [value];
  if (Array.isArray(value)) {
    return value.map((v) => {
      if (typeof v === 'string') return v;
      if (typeof v === 'number' || typeof v === 'boolean') return String(v);
      throw new ModuleFailure(`argument '${key}' must be a list of strings`);
    });
  }
  throw new ModuleFailure(`argument '${key}' must be a list of strings`);
}

/** The inventory hostname of the task's host (the default node name). */
export function inventoryHostname(ctx: ModuleContext): string {
  const v = ctx.lookupVar('inventory_hostname');
  return v.defined && typeof v.value === 'string' ? v.value : ctx.host;
}
