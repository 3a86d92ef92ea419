/**
 * `kubectl` (v1.30 behaviour) for what bootstrapping a cluster needs: get nodes (table, wide, json,
 * yaml, name, jsonpath), label, taint, delete node, apply -f, wait --for=condition=Ready, version,
 * cluster-info. Other resources only exist as manifests recorded by `apply`.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments, stringify } from 'yaml';
import type { FlagSpecs, ParsedArgs } from './args.js';
import { FlagError, flagBool, flagList, flagSet, flagString, parseArgs } from './args.js';
import { dialRefused, reach } from './apiserver.js';
import type { SimContext } from './context.js';
import { hostPath } from './context.js';
import type { Json } from './format.js';
import { humanDuration, klogStamp, kubectlJson, parseGoDuration, sortKeys, tabwrite } from './format.js';
import { JsonPathError, jsonpath } from './jsonpath.js';
import { hostPort, readKubeconfig } from './kubeconfig.js';
import { CONTAINER_RUNTIME, KERNEL_VERSION, OS_IMAGE, nodeObject, nodeRoles, readyCondition } from './nodes.js';
import type { Cluster, FaultMap, ManifestRecord, NodeRecord, SimConfig, State, TaintRecord } from './state.js';
import { readConfig, readFaults, readState, updateState } from './state.js';

/** An error kubectl prints as-is (already prefixed as kubectl does), exit 1. */
class KubectlError extends Error {}

const FLAGS: FlagSpecs = {
  kubeconfig: { type: 'string' },
  namespace: { type: 'string', short: 'n' },
  context: { type: 'string' },
  cluster: { type: 'string' },
  user: { type: 'string' },
  v: { type: 'string', short: 'v' },
  'request-timeout': { type: 'string' },
  'insecure-skip-tls-verify': { type: 'bool' },
  output: { type: 'string', short: 'o' },
  overwrite: { type: 'bool' },
  all: { type: 'bool' },
  'all-namespaces': { type: 'bool', short: 'A' },
  selector: { type: 'string', short: 'l' },
  filename: { type: 'stringArray', short: 'f' },
  recursive: { type: 'bool', short: 'R' },
  force: { type: 'bool' },
  'grace-period': { type: 'string' },
  timeout: { type: 'string' },
  for: { type: 'string' },
  wait: { type: 'bool' },
  'dry-run': { type: 'string' },
  'field-manager': { type: 'string' },
  'server-side': { type: 'bool' },
  'force-conflicts': { type: 'bool' },
  validate: { type: 'string' },
  client: { type: 'bool' },
  'ignore-not-found': { type: 'bool' },
  'show-labels': { type: 'bool' },
  'no-headers': { type: 'bool' },
  'label-columns': { type: 'stringSlice', short: 'L' },
  help: { type: 'bool', short: 'h' },
};

const CLIENT_INFO = (v: string) => ({
  major: v.replace(/^v/, '').split('.')[0]!, minor: v.replace(/^v/, '').split('.')[1]!, gitVersion: v, gitCommit: '39683505b630ff2121012f3c5b16215a1449d5ed',
  gitTreeState: 'clean', buildDate: '2024-06-11T20:27:59Z', goVersion: 'go1.22.4', compiler: 'gc', platform: 'linux/amd64',
});
const KUSTOMIZE = 'v5.0.4-0.20230601165947-6ce0bf390ce3';

export async function kubectl(ctx: SimContext, argv: readonly string[]): Promise<number> {
  let p: ParsedArgs;
  try {
    p = parseArgs(argv, FLAGS);
  } catch (e) {
    if (!(e instanceof FlagError)) throw e;
    const cmd = argv.find((a) => !a.startsWith('-')) ?? '';
    ctx.err(`error: ${e.message}\nSee 'kubectl${cmd ? ` ${cmd}` : ''} --help' for usage.\n`);
    return 1;
  }
  try {
    return await dispatch(ctx, p);
  } catch (e) {
    if (e instanceof KubectlError) {
      ctx.err(`${e.message}\n`);
      return 1;
    }
    throw e;
  }
}

async function dispatch(ctx: SimContext, p: ParsedArgs): Promise<number> {
  const [cmd, ...args] = p.positionals;
  switch (cmd) {
    case 'version':
      return version(ctx, p);
    case 'get':
      return get(ctx, p, args);
    case 'label':
      return label(ctx, p, args);
    case 'taint':
      return taint(ctx, p, args);
    case 'delete':
      return del(ctx, p, args);
    case 'apply':
      return apply(ctx, p);
    case 'wait':
      return wait(ctx, p, args);
    case 'cluster-info': {
      const { endpoint } = connect(ctx, p);
      ctx.out(`Kubernetes control plane is running at https://${endpoint}\nCoreDNS is running at https://${endpoint}/api/v1/namespaces/kube-system/services/kube-dns:dns/proxy\n\nTo further debug and diagnose cluster problems, use 'kubectl cluster-info dump'.\n`);
      return 0;
    }
    case undefined:
      ctx.out('kubectl controls the Kubernetes cluster manager.\n');
      return 0;
    default:
      throw new KubectlError(`error: unknown command "${cmd}" for "kubectl"`);
  }
}

// ---------------------------------------------------------------- connection

interface Connection {
  readonly state: State;
  readonly cluster: Cluster;
  readonly config: SimConfig;
  readonly faults: FaultMap;
  readonly endpoint: string;
}

/** Where kubectl's config comes from: --kubeconfig, then $KUBECONFIG (first existing), then ~/.kube/config. */
function kubeconfigFile(ctx: SimContext, p: ParsedArgs): string | undefined {
  const flag = flagString(p, 'kubeconfig');
  if (flag !== undefined && flag !== '') {
    if (!existsSync(hostPath(ctx, flag))) throw new KubectlError(`error: stat ${flag}: no such file or directory`);
    return hostPath(ctx, flag);
  }
  if (ctx.kubeconfigEnv !== undefined && ctx.kubeconfigEnv !== '') {
    return ctx.kubeconfigEnv.split(':').filter((f) => f !== '').map((f) => hostPath(ctx, f)).find((f) => existsSync(f));
  }
  const home = ctx.home ? join(ctx.home, '.kube', 'config') : undefined;
  return home && existsSync(home) ? home : undefined;
}

function discoveryFailure(ctx: SimContext, url: string, why: string, final: string): KubectlError {
  const line = `E${klogStamp(ctx.now())} ${String(process.pid).padStart(7)} memcache.go:265] couldn't get current server API group list: Get "${url}/api?timeout=32s": ${why}\n`;
  ctx.err(line.repeat(5));
  return new KubectlError(final);
}

/** Loads the kubeconfig and checks the API server answers, failing as kubectl does. */
function connect(ctx: SimContext, p: ParsedArgs, discovery = true): Connection {
  const file = kubeconfigFile(ctx, p);
  const state = readState(ctx.stateDir);
  const faults = readFaults(ctx.stateDir);
  if (file === undefined) {
    const final = 'The connection to the server localhost:8080 was refused - did you specify the right host or port?';
    if (!discovery) throw new KubectlError(final);
    throw discoveryFailure(ctx, 'http://localhost:8080', 'dial tcp 127.0.0.1:8080: connect: connection refused', final);
  }
  const view = readKubeconfig(readFileSync(file, 'utf8'));
  if (typeof view === 'string') throw new KubectlError(`error: ${view}`);
  const endpoint = hostPort(view.server);
  const r = reach(ctx, state, faults, endpoint);
  if (!r.ok) {
    const final = `The connection to the server ${endpoint} was refused - did you specify the right host or port?`;
    if (!discovery) throw new KubectlError(final);
    throw discoveryFailure(ctx, view.server, dialRefused(endpoint), final);
  }
  if (view.caPem !== r.cluster.caCertPem) {
    const why = 'tls: failed to verify certificate: x509: certificate signed by unknown authority';
    const final = `Unable to connect to the server: ${why}`;
    if (!discovery) throw new KubectlError(final);
    throw discoveryFailure(ctx, view.server, why, final);
  }
  return { state, cluster: r.cluster, config: readConfig(ctx.stateDir), faults, endpoint };
}

// ---------------------------------------------------------------- version

function version(ctx: SimContext, p: ParsedArgs): number {
  const config = readConfig(ctx.stateDir);
  const output = flagString(p, 'output');
  const clientOnly = flagBool(p, 'client');
  if (output === 'json' || output === 'yaml') {
    const doc: Record<string, Json> = { clientVersion: CLIENT_INFO(config.version), kustomizeVersion: KUSTOMIZE };
    if (!clientOnly) {
      connect(ctx, p, false);
      doc.serverVersion = CLIENT_INFO(config.version);
    }
    ctx.out(output === 'json' ? `${JSON.stringify(doc, null, 2)}\n` : stringify(doc));
    return 0;
  }
  if (output !== undefined) throw new KubectlError(`error: --output must be 'yaml' or 'json'`);
  ctx.out(`Client Version: ${config.version}\nKustomize Version: ${KUSTOMIZE}\n`);
  if (clientOnly) return 0;
  connect(ctx, p, false);
  ctx.out(`Server Version: ${config.version}\n`);
  return 0;
}

// ---------------------------------------------------------------- resources

const NODE_NAMES = new Set(['node', 'nodes', 'no']);

/** `nodes a b`, `node/a node/b`, `nodes` -> resource 'nodes' and names. */
function parseTargets(args: readonly string[]): { resource: string; names: string[]; rest: string[] } {
  if (args.length === 0) throw new KubectlError("error: You must specify the type of resource to get. Use \"kubectl api-resources\" for a complete list of supported resources.");
  const first = args[0]!;
  if (first.includes('/')) {
    const names: string[] = [];
    let resource = '';
    let i = 0;
    for (; i < args.length && args[i]!.includes('/') && !args[i]!.includes('='); i++) {
      const [r, n] = args[i]!.split('/') as [string, string];
      resource = NODE_NAMES.has(r) ? 'nodes' : r;
      names.push(n);
    }
    return { resource, names, rest: args.slice(i) };
  }
  const resource = NODE_NAMES.has(first) ? 'nodes' : first;
  return { resource, names: args.slice(1), rest: [] };
}

function matchSelector(labels: Readonly<Record<string, string>>, selector: string | undefined): boolean {
  if (!selector) return true;
  return selector.split(',').every((req) => {
    const r = req.trim();
    let m: RegExpExecArray | null;
    if ((m = /^([^!=]+)!=(.*)$/.exec(r))) return labels[m[1]!.trim()] !== m[2]!.trim();
    if ((m = /^([^=]+)==?(.*)$/.exec(r))) return labels[m[1]!.trim()] === m[2]!.trim();
    if (r.startsWith('!')) return !(r.slice(1) in labels);
    return r in labels;
  });
}

function notFound(names: readonly string[]): string {
  return names.map((n) => `Error from server (NotFound): nodes "${n}" not found`).join('\n');
}

/** The nodes addressed by names / --all / -l; unknown names are reported like kubectl. */
function selectNodes(conn: Connection, p: ParsedArgs, names: readonly string[], requireTarget: boolean): { nodes: NodeRecord[]; missing: string[] } {
  const all = Object.values(conn.cluster.nodes).sort((a, b) => a.name.localeCompare(b.name));
  const selector = flagString(p, 'selector');
  if (names.length === 0) {
    if (requireTarget && !flagBool(p, 'all') && selector === undefined) throw new KubectlError('error: resource(s) were provided, but no name was specified');
    return { nodes: all.filter((n) => matchSelector(n.labels, selector)), missing: [] };
  }
  return { nodes: names.flatMap((n) => (conn.cluster.nodes[n] ? [conn.cluster.nodes[n]!] : [])), missing: names.filter((n) => !conn.cluster.nodes[n]) };
}

function printObjects(ctx: SimContext, output: string, objects: readonly Json[], single: boolean, names: readonly string[]): void {
  const doc: Json = single ? objects[0]! : { apiVersion: 'v1', items: objects, kind: 'List', metadata: { resourceVersion: '' } };
  if (output === 'json') ctx.out(kubectlJson(doc));
  else if (output === 'yaml') ctx.out(stringify(sortKeys(doc)));
  else if (output === 'name') ctx.out(names.map((n) => `${n}\n`).join(''));
  else if (output.startsWith('jsonpath=') || output.startsWith('jsonpath-as-json=')) {
    const tpl = output.slice(output.indexOf('=') + 1);
    try {
      ctx.out(jsonpath(tpl, doc));
    } catch (e) {
      if (e instanceof JsonPathError) throw new KubectlError(`error: error parsing jsonpath ${tpl}, ${e.message}`);
      throw e;
    }
  } else {
    throw new KubectlError(`error: unable to match a printer suitable for the output format "${output}", allowed formats are: custom-columns,custom-columns-file,go-template,go-template-file,json,jsonpath,jsonpath-as-json,jsonpath-file,name,template,templatefile,wide,yaml`);
  }
}

function get(ctx: SimContext, p: ParsedArgs, args: readonly string[]): number {
  const { resource, names } = parseTargets(args);
  const conn = connect(ctx, p);
  const output = flagString(p, 'output') ?? '';
  if (resource !== 'nodes') return getManifests(ctx, p, conn, resource, names, output);
  const { nodes, missing } = selectNodes(conn, p, names, false);
  const now = ctx.now();
  if (output === '' || output === 'wide') {
    if (nodes.length > 0) {
      const wide = output === 'wide';
      const labelCols = flagList(p, 'label-columns');
      const header = ['NAME', 'STATUS', 'ROLES', 'AGE', 'VERSION', ...(wide ? ['INTERNAL-IP', 'EXTERNAL-IP', 'OS-IMAGE', 'KERNEL-VERSION', 'CONTAINER-RUNTIME'] : []), ...labelCols.map((l) => l.split('/').pop()!.toUpperCase()), ...(flagBool(p, 'show-labels') ? ['LABELS'] : [])];
      const rows = nodes.map((n) => {
        const ready = readyCondition(n, conn.cluster, conn.config, conn.faults, now);
        const status = ready.status === 'True' ? 'Ready' : 'NotReady';
        return [
          n.name, status, nodeRoles(n.labels), humanDuration(now - n.created), conn.config.version,
          ...(wide ? [n.address, '<none>', OS_IMAGE, KERNEL_VERSION, CONTAINER_RUNTIME] : []),
          ...labelCols.map((l) => n.labels[l] ?? ''),
          ...(flagBool(p, 'show-labels') ? [Object.entries(n.labels).sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => `${k}=${v}`).join(',')] : []),
        ].join('\t');
      });
      ctx.out(tabwrite(flagBool(p, 'no-headers') ? rows : [header.join('\t'), ...rows], 6, 3));
    }
  } else if (nodes.length > 0) {
    printObjects(ctx, output, nodes.map((n) => nodeObject(n, conn.cluster, conn.config, conn.faults, now)), names.length === 1 && missing.length === 0, nodes.map((n) => `node/${n.name}`));
  }
  if (missing.length > 0) throw new KubectlError(notFound(missing));
  if (nodes.length === 0 && names.length === 0) ctx.err('No resources found\n');
  return 0;
}

// ---------------------------------------------------------------- manifests (apply, get, delete -f)

function groupOf(apiVersion: string): string {
  return apiVersion.includes('/') ? apiVersion.split('/')[0]! : '';
}

function resourceName(m: { apiVersion: string; kind: string; name: string }): string {
  const g = groupOf(m.apiVersion);
  return `${m.kind.toLowerCase()}${g ? `.${g}` : ''}/${m.name}`;
}

const CLUSTER_SCOPED = new Set(['Namespace', 'ClusterRole', 'ClusterRoleBinding', 'CustomResourceDefinition', 'PodSecurityPolicy', 'StorageClass', 'PriorityClass', 'Node', 'APIService', 'MutatingWebhookConfiguration', 'ValidatingWebhookConfiguration', 'Installation', 'APIServer', 'IngressClass', 'CSIDriver', 'RuntimeClass', 'PersistentVolume']);

const manifestKey = (m: { apiVersion: string; kind: string; name: string; namespace?: string }): string => `${groupOf(m.apiVersion)}/${m.kind}/${m.namespace ?? ''}/${m.name}`;

/** A pod network add-on: its DaemonSet (or Calico's operator Installation). */
const CNI_RE = /flannel|calico|cilium|weave|canal|antrea|kube-router|kindnet/i;
function isCni(m: ManifestRecord): boolean {
  return (m.kind === 'DaemonSet' && (CNI_RE.test(m.name) || CNI_RE.test(m.namespace ?? ''))) || (m.kind === 'Installation' && groupOf(m.apiVersion) === 'operator.tigera.io');
}

async function readSources(ctx: SimContext, p: ParsedArgs): Promise<{ source: string; text: string }[]> {
  const files = flagList(p, 'filename');
  if (files.length === 0) throw new KubectlError('error: must specify one of -f and -k');
  const config = readConfig(ctx.stateDir);
  const out: { source: string; text: string }[] = [];
  for (const f of files) {
    if (f === '-') out.push({ source: 'STDIN', text: await ctx.readStdin() });
    else if (/^https?:\/\//.test(f)) {
      const mapped = config.manifestUrls[f];
      if (mapped === undefined) {
        const host = new URL(f).hostname;
        throw new KubectlError(`error: unable to read URL "${f}", server reported Get "${f}": dial tcp: lookup ${host} on 127.0.0.53:53: server misbehaving`);
      }
      out.push({ source: f, text: readFileSync(mapped, 'utf8') });
    } else {
      const path = hostPath(ctx, f);
      if (!existsSync(path)) throw new KubectlError(`error: the path "${f}" does not exist`);
      const paths = statSync(path).isDirectory()
        ? readdirSync(path).filter((n) => /\.(ya?ml|json)$/.test(n)).sort().map((n) => join(path, n))
        : [path];
      for (const file of paths) out.push({ source: file === path ? f : join(f, file.slice(path.length + 1)), text: readFileSync(file, 'utf8') });
    }
  }
  return out;
}

type Obj = Record<string, Json>;
const isObj = (v: Json | undefined): v is Obj => v !== null && v !== undefined && typeof v === 'object' && !Array.isArray(v);

function parseManifests(sources: readonly { source: string; text: string }[], namespace: string): Omit<ManifestRecord, 'applied'>[] {
  const out: Omit<ManifestRecord, 'applied'>[] = [];
  const addObject = (source: string, o: Obj) => {
    if (o.kind === 'List' && Array.isArray(o.items)) {
      for (const item of o.items) if (isObj(item)) addObject(source, item);
      return;
    }
    const apiVersion = typeof o.apiVersion === 'string' ? o.apiVersion : '';
    const kind = typeof o.kind === 'string' ? o.kind : '';
    if (apiVersion === '' || kind === '') {
      throw new KubectlError(`error: error validating "${source}": error validating data: [${[apiVersion === '' ? 'apiVersion not set' : '', kind === '' ? 'kind not set' : ''].filter((x) => x).join(', ')}]; if you choose to ignore these errors, turn validation off with --validate=false`);
    }
    const meta = isObj(o.metadata) ? o.metadata : {};
    const name = typeof meta.name === 'string' ? meta.name : '';
    if (name === '') throw new KubectlError(`error: error when retrieving current configuration of:\nResource: "${kind.toLowerCase()}", Name: "", Namespace: "${namespace}"\nfrom server for: "${source}": resource name may not be empty`);
    const ns = CLUSTER_SCOPED.has(kind) ? undefined : typeof meta.namespace === 'string' ? meta.namespace : namespace;
    const hash = createHash('sha256').update(JSON.stringify(sortKeys(o))).digest('hex');
    out.push({ apiVersion, kind, name, ...(ns !== undefined ? { namespace: ns } : {}), hash, object: o });
  };
  for (const { source, text } of sources) {
    for (const doc of parseAllDocuments(text)) {
      if (doc.errors.length > 0) throw new KubectlError(`error: error parsing ${source}: error converting YAML to JSON: yaml: ${doc.errors[0]!.message}`);
      const v = doc.toJS() as Json | null;
      if (v === null || v === undefined) continue;
      if (!isObj(v)) throw new KubectlError(`error: error parsing ${source}: error unmarshaling JSON: json: cannot unmarshal into Go value of type map[string]interface {}`);
      addObject(source, v);
    }
  }
  return out;
}

async function apply(ctx: SimContext, p: ParsedArgs): Promise<number> {
  const sources = await readSources(ctx, p);
  const manifests = parseManifests(sources, flagString(p, 'namespace') ?? 'default');
  connect(ctx, p);
  const dryRun = flagString(p, 'dry-run');
  const suffix = dryRun === 'client' || dryRun === 'true' ? ' (dry run)' : dryRun === 'server' ? ' (server dry run)' : '';
  const lines = updateState(ctx.stateDir, (s) => {
    const c = s.cluster!;
    const records = { ...c.manifests };
    const now = ctx.now();
    const result: string[] = [];
    let cni = c.cniApplied;
    for (const m of manifests) {
      const key = manifestKey(m);
      const prior = records[key];
      const verb = prior === undefined ? 'created' : prior.hash === m.hash ? 'unchanged' : 'configured';
      result.push(`${resourceName(m)} ${verb}${suffix}`);
      if (suffix !== '') continue;
      const rec: ManifestRecord = { ...m, applied: prior?.applied ?? now };
      records[key] = rec;
      if (cni === null && isCni(rec)) cni = now;
    }
    return { state: suffix !== '' ? s : { ...s, cluster: { ...c, manifests: records, cniApplied: cni } }, result };
  });
  ctx.out(lines.map((l) => `${l}\n`).join(''));
  return 0;
}

function getManifests(ctx: SimContext, p: ParsedArgs, conn: Connection, resource: string, names: readonly string[], output: string): number {
  const known = Object.values(conn.cluster.manifests);
  const matchesType = (m: ManifestRecord) => {
    const k = m.kind.toLowerCase();
    const r = resource.toLowerCase().split('.')[0]!;
    return r === k || r === `${k}s` || r === `${k}es` || (k.endsWith('y') && r === `${k.slice(0, -1)}ies`) || (r === 'ds' && k === 'daemonset') || (r === 'deploy' && k === 'deployment') || (r === 'ns' && k === 'namespace') || (r === 'cm' && k === 'configmap') || (r === 'sa' && k === 'serviceaccount');
  };
  const ofType = known.filter(matchesType);
  if (ofType.length === 0 && !['pods', 'pod', 'po', 'services', 'svc', 'deployments', 'daemonsets', 'ds', 'namespaces', 'ns', 'configmaps', 'cm'].includes(resource)) {
    throw new KubectlError(`error: the server doesn't have a resource type "${resource}"`);
  }
  const ns = flagBool(p, 'all-namespaces') ? undefined : flagString(p, 'namespace') ?? 'default';
  const inNs = ofType.filter((m) => m.namespace === undefined || ns === undefined || m.namespace === ns);
  const selected = names.length > 0 ? inNs.filter((m) => names.includes(m.name)) : inNs;
  const missing = names.filter((n) => !inNs.some((m) => m.name === n));
  const now = ctx.now();
  if (selected.length > 0) {
    if (output === '' || output === 'wide') {
      ctx.out(tabwrite(['NAME\tAGE', ...selected.map((m) => `${m.name}\t${humanDuration(now - m.applied)}`)], 6, 3));
    } else {
      printObjects(ctx, output, selected.map((m) => m.object), names.length === 1 && missing.length === 0, selected.map((m) => resourceName(m)));
    }
  }
  if (missing.length > 0) throw new KubectlError(missing.map((n) => `Error from server (NotFound): ${resource} "${n}" not found`).join('\n'));
  if (selected.length === 0) ctx.err(ns === undefined || ofType.some((m) => m.namespace === undefined) ? 'No resources found\n' : `No resources found in ${ns} namespace.\n`);
  return 0;
}

// ---------------------------------------------------------------- label / taint / delete

const LABEL_VALUE_RE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

function label(ctx: SimContext, p: ParsedArgs, args: readonly string[]): number {
  const { resource, names, rest } = splitResourceArgs(args);
  if (resource !== 'nodes') throw new KubectlError(`error: the server doesn't have a resource type "${resource}"`);
  const add: Record<string, string> = {};
  const remove: string[] = [];
  for (const spec of rest) {
    if (spec.includes('=')) {
      const parts = spec.split('=');
      if (parts.length !== 2) throw new KubectlError(`error: invalid label spec: ${spec}`);
      if (!LABEL_VALUE_RE.test(parts[1]!) || parts[1]!.length > 63) {
        throw new KubectlError(`error: invalid label value: "${spec}": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')`);
      }
      add[parts[0]!] = parts[1]!;
    } else if (spec.endsWith('-')) remove.push(spec.slice(0, -1));
    else throw new KubectlError(`error: unknown label spec: ${spec}`);
  }
  if (Object.keys(add).length === 0 && remove.length === 0) throw new KubectlError('error: at least one label update is required');
  const both = remove.filter((r) => r in add);
  if (both.length > 0) throw new KubectlError(`error: can not both modify and remove the following label(s) in the same command: ${both.join(', ')}`);
  const conn = connect(ctx, p);
  const { nodes, missing } = selectNodes(conn, p, names, true);
  const overwrite = flagBool(p, 'overwrite');
  for (const n of nodes) {
    const conflicts = Object.entries(add).filter(([k, v]) => k in n.labels && n.labels[k] !== v);
    if (!overwrite && conflicts.length > 0) {
      throw new KubectlError(`error: ${conflicts.length === 1 ? '' : '['}${conflicts.map(([k]) => `'${k}' already has a value (${n.labels[k]}), and --overwrite is false`).join(', ')}${conflicts.length === 1 ? '' : ']'}`);
    }
  }
  const lines: string[] = [];
  for (const n of nodes) {
    for (const r of remove) if (!(r in n.labels)) lines.push(`label "${r}" not found.`);
    const changed = mutateNode(ctx, n.name, (node) => {
      const labels = { ...node.labels, ...add };
      for (const r of remove) delete labels[r];
      return { ...node, labels };
    });
    lines.push(`node/${n.name} ${changed ? 'labeled' : 'not labeled'}`);
  }
  ctx.out(lines.map((l) => `${l}\n`).join(''));
  if (missing.length > 0) throw new KubectlError(notFound(missing));
  return 0;
}

/** Applies `fn` to the stored node; returns whether anything changed. */
function mutateNode(ctx: SimContext, name: string, fn: (n: NodeRecord) => NodeRecord): boolean {
  return updateState(ctx.stateDir, (s) => {
    const c = s.cluster;
    const node = c?.nodes[name];
    if (!c || !node) return { state: s, result: false };
    const next = fn(node);
    if (JSON.stringify(next) === JSON.stringify(node)) return { state: s, result: false };
    const rv = c.resourceVersion + 1;
    return { state: { ...s, cluster: { ...c, resourceVersion: rv, nodes: { ...c.nodes, [name]: { ...next, resourceVersion: rv } } } }, result: true };
  });
}

/** `node X spec...` / `node/X spec...` / `nodes --all spec...`: names end at the first spec. */
function splitResourceArgs(args: readonly string[]): { resource: string; names: string[]; rest: string[] } {
  if (args.length === 0) throw new KubectlError('error: one or more resources must be specified as <resource> <name> or <resource>/<name>');
  if (args[0]!.includes('/') && !args[0]!.includes('=')) return parseTargets(args);
  const resource = NODE_NAMES.has(args[0]!) ? 'nodes' : args[0]!;
  const isSpec = (a: string) => a.includes('=') || a.includes(':') || a.endsWith('-');
  const names: string[] = [];
  let i = 1;
  for (; i < args.length && !isSpec(args[i]!); i++) names.push(args[i]!);
  return { resource, names, rest: args.slice(i) };
}

const EFFECTS = ['NoSchedule', 'PreferNoSchedule', 'NoExecute'];

function parseTaintSpec(spec: string): { remove: boolean; key: string; value?: string; effect?: string } {
  const remove = spec.endsWith('-');
  const body = remove ? spec.slice(0, -1) : spec;
  const colon = body.lastIndexOf(':');
  const keyValue = colon >= 0 ? body.slice(0, colon) : body;
  const effect = colon >= 0 ? body.slice(colon + 1) : undefined;
  const eq = keyValue.indexOf('=');
  const key = eq >= 0 ? keyValue.slice(0, eq) : keyValue;
  const value = eq >= 0 ? keyValue.slice(eq + 1) : undefined;
  if (effect !== undefined && !EFFECTS.includes(effect)) {
    throw new KubectlError(`error: invalid taint effect: ${effect}, unsupported taint effect`);
  }
  if (!remove && effect === undefined) throw new KubectlError(`error: invalid taint spec: ${spec}, unknown taint effect`);
  if (key === '') throw new KubectlError(`error: invalid taint spec: ${spec}`);
  return { remove, key, ...(value !== undefined && value !== '' ? { value } : {}), ...(effect !== undefined ? { effect } : {}) };
}

function taint(ctx: SimContext, p: ParsedArgs, args: readonly string[]): number {
  const { resource, names, rest } = splitResourceArgs(args);
  if (resource !== 'nodes') throw new KubectlError(`error: invalid resource type ${resource}, only node types are supported`);
  if (rest.length === 0) throw new KubectlError('error: at least one taint update is required');
  const specs = rest.map(parseTaintSpec);
  const adds = specs.filter((s) => !s.remove);
  const removes = specs.filter((s) => s.remove);
  const conn = connect(ctx, p);
  const { nodes, missing } = selectNodes(conn, p, names, true);
  const overwrite = flagBool(p, 'overwrite');
  const lines: string[] = [];
  for (const n of nodes) {
    if (!overwrite) {
      const exists = adds.filter((a) => n.taints.some((t) => t.key === a.key && t.effect === a.effect)).map((a) => a.key);
      if (exists.length > 0) throw new KubectlError(`error: node ${n.name} already has ${exists.join(',')} taint(s) with same effect(s) and --overwrite is false`);
    }
    let taints: TaintRecord[] = [...n.taints];
    let replaced = false;
    for (const r of removes) {
      const before = taints.length;
      taints = taints.filter((t) => !(t.key === r.key && (r.effect === undefined || t.effect === r.effect)));
      if (taints.length === before) throw new KubectlError(`error: taint "${r.key}${r.effect ? `:${r.effect}` : ''}" not found`);
    }
    for (const a of adds) {
      const i = taints.findIndex((t) => t.key === a.key && t.effect === a.effect);
      const rec: TaintRecord = { key: a.key, effect: a.effect!, ...(a.value !== undefined ? { value: a.value } : {}) };
      if (i >= 0) {
        replaced = true;
        taints[i] = rec;
      } else taints.push(rec);
    }
    mutateNode(ctx, n.name, (node) => ({ ...node, taints }));
    const op = adds.length > 0 && (removes.length > 0 || replaced) ? 'modified' : adds.length > 0 ? 'tainted' : 'untainted';
    lines.push(`node/${n.name} ${op}`);
  }
  ctx.out(lines.map((l) => `${l}\n`).join(''));
  if (missing.length > 0) throw new KubectlError(notFound(missing));
  return 0;
}

async function del(ctx: SimContext, p: ParsedArgs, args: readonly string[]): Promise<number> {
  if (flagSet(p, 'filename')) {
    const manifests = parseManifests(await readSources(ctx, p), flagString(p, 'namespace') ?? 'default');
    connect(ctx, p);
    const lines = updateState(ctx.stateDir, (s) => {
      const records = { ...s.cluster!.manifests };
      const out: string[] = [];
      for (const m of manifests) {
        const key = manifestKey(m);
        if (records[key]) {
          delete records[key];
          out.push(`${resourceName(m)} deleted`);
        } else if (!flagBool(p, 'ignore-not-found')) {
          out.push(`!Error from server (NotFound): error when deleting "${m.name}": ${m.kind.toLowerCase()}s "${m.name}" not found`);
        }
      }
      return { state: { ...s, cluster: { ...s.cluster!, manifests: records } }, result: out };
    });
    ctx.out(lines.filter((l) => !l.startsWith('!')).map((l) => `${l.replace(/^(\S+)\/(\S+) deleted$/, '$1 "$2" deleted')}\n`).join(''));
    const errors = lines.filter((l) => l.startsWith('!')).map((l) => l.slice(1));
    if (errors.length > 0) throw new KubectlError(errors.join('\n'));
    return 0;
  }
  const { resource, names } = parseTargets(args);
  if (resource !== 'nodes') throw new KubectlError(`error: the server doesn't have a resource type "${resource}"`);
  const conn = connect(ctx, p);
  const { nodes, missing } = selectNodes(conn, p, names, true);
  for (const n of nodes) {
    updateState(ctx.stateDir, (s) => {
      const c = s.cluster!;
      const rest = { ...c.nodes };
      delete rest[n.name];
      return { state: { ...s, cluster: { ...c, nodes: rest } }, result: undefined };
    });
    ctx.out(`node "${n.name}" deleted\n`);
  }
  if (missing.length > 0 && !flagBool(p, 'ignore-not-found')) throw new KubectlError(notFound(missing));
  return 0;
}

// ---------------------------------------------------------------- wait

async function wait(ctx: SimContext, p: ParsedArgs, args: readonly string[]): Promise<number> {
  const forSpec = flagString(p, 'for');
  if (forSpec === undefined) throw new KubectlError('error: --for must be specified');
  const m = /^condition=([^=]+)(?:=(.*))?$/.exec(forSpec);
  if (!m) throw new KubectlError(`error: unrecognized condition: "${forSpec}"`);
  const condition = m[1]!;
  const want = (m[2] ?? 'true').toLowerCase();
  const { resource, names } = parseTargets(args);
  if (resource !== 'nodes') throw new KubectlError(`error: the server doesn't have a resource type "${resource}"`);
  const timeoutText = flagString(p, 'timeout') ?? '30s';
  const timeout = parseGoDuration(timeoutText);
  if (timeout === undefined) throw new KubectlError(`error: invalid argument "${timeoutText}" for "--timeout" flag: time: invalid duration "${timeoutText}"`);
  const conn = connect(ctx, p);
  const { nodes, missing } = selectNodes(conn, p, names, true);
  if (missing.length > 0) throw new KubectlError(notFound(missing));
  if (nodes.length === 0) throw new KubectlError('error: no matching resources found');
  const deadline = ctx.now() + timeout;
  const pending = new Set(nodes.map((n) => n.name));
  for (;;) {
    const state = readState(ctx.stateDir);
    const faults = readFaults(ctx.stateDir);
    const config = readConfig(ctx.stateDir);
    for (const name of [...pending]) {
      const n = state.cluster?.nodes[name];
      if (!n || !state.cluster) continue;
      const ready = readyCondition(n, state.cluster, config, faults, ctx.now());
      const status = condition.toLowerCase() === 'ready' ? ready.status.toLowerCase() : 'unknown';
      if (status === want) {
        ctx.out(`node/${name} condition met\n`);
        pending.delete(name);
      }
    }
    if (pending.size === 0) return 0;
    if (ctx.now() >= deadline) throw new KubectlError(`error: timed out waiting for the condition on nodes/${[...pending][0]}`);
    await ctx.sleep(Math.min(100, Math.max(1, deadline - ctx.now())));
  }
}
