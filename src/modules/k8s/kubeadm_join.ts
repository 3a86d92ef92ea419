/**
 * kubeadm_join: joins the host to the cluster (worker or control plane), idempotently, with the CA
 * hash pinned and the token passed in a private JoinConfiguration file (never on a command line).
 */
import { stringify } from 'yaml';
import type { JsonSchema, Module, ModuleContext, ModuleResult } from '../types.js';
import { ModuleFailure } from '../types.js';
import { argBool, argString } from '../util/args.js';
import {
  cniConfDir, KUBERNETES_DIR_SCHEMA, assertReachable, fileExists, inventoryHostname, isNotFound, isReady, kubeadm, kubeadmErrorLine,
  kubectl, kubeletConf, kubernetesDir, nodeInfo, removeTemp, scrub, stringList, tempConfigPath, type NodeInfo,
} from './common.js';
import { PLACEHOLDER_TOKEN } from './kubeadm_token.js';
import { resetHost } from './kubeadm_reset.js';
import { readLabels, readTaints } from './kube_node.js';
import {
  assertCaHash, assertNodeName, goDuration, isBootstrapToken, kubeletMaySetLabel, parseDuration, parseEndpoint, tokenId, type Taint,
} from './validate.js';

type Args = Readonly<Record<string, unknown>>;

const schema: JsonSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    endpoint: { type: 'string', description: 'API server endpoint host:port (the control-plane endpoint). Defaults to `from_token.endpoint`.' },
    token: { type: 'string', description: 'Bootstrap token (secret). Defaults to `from_token.token`.' },
    ca_cert_hashes: {
      type: ['array', 'string'],
      items: { type: 'string' },
      description: 'Pinned CA public key hashes (sha256:...). Defaults to `from_token.ca_cert_hashes`. Required unless `unsafe_skip_ca_verification`.',
    },
    from_token: { type: ['object', 'null'], description: 'A registered kubeadm_token result supplying endpoint, token and ca_cert_hashes (and its check-mode placeholder).' },
    node_name: { type: 'string', description: 'Node name (RFC 1123); defaults to inventory_hostname.' },
    control_plane: { type: ['boolean', 'string'], default: false, description: 'Join as a control-plane node (needs `certificate_key`).' },
    certificate_key: { type: 'string', description: 'Key of the certificates uploaded with --upload-certs (secret); for control-plane joins.' },
    apiserver_advertise_address: { type: 'string', description: 'For control-plane joins: the address this API server advertises.' },
    node_labels: {
      type: ['object', 'null'],
      additionalProperties: { type: ['string', 'number', 'boolean', 'null'] },
      description:
        'Labels the kubelet registers the node with (nodeRegistration.kubeletExtraArgs node-labels). Labels in the kubernetes.io/k8s.io namespaces the kubelet may not set itself (node-role.kubernetes.io/*) are refused: set those with kube_node.',
    },
    node_taints: {
      type: ['array', 'null'],
      items: { type: ['string', 'object'] },
      description: 'Taints the node registers with (`key[=value]:Effect` or {key, value, effect}).',
    },
    cri_socket: { type: 'string', description: 'CRI socket (nodeRegistration.criSocket), e.g. unix:///run/containerd/containerd.sock.' },
    ignore_preflight_errors: { type: ['array', 'string'], items: { type: 'string' }, description: 'Preflight checks to ignore.' },
    discovery_timeout: { type: ['string', 'integer'], description: 'How long kubeadm may try to reach the API server during discovery (Go duration or seconds).' },
    unsafe_skip_ca_verification: {
      type: ['boolean', 'string'],
      default: false,
      description: 'Join without pinning the CA (discovery.bootstrapToken.unsafeSkipCAVerification). Dangerous; a warning is shown.',
    },
    check_endpoint: { type: ['boolean', 'string'], default: true, description: 'Before joining, check the API endpoint accepts TCP connections from the host (5 s timeout).' },
    check_only: {
      type: ['boolean', 'string'],
      default: false,
      description: 'Only find out whether the host needs to join (changed: true) without joining; runs read-only probes, needs no token.',
    },
    config_api_version: {
      enum: ['kubeadm.k8s.io/v1beta3', 'kubeadm.k8s.io/v1beta4'],
      default: 'kubeadm.k8s.io/v1beta3',
      description: 'API version of the JoinConfiguration written for kubeadm (v1beta4 needs kubeadm 1.31+).',
    },
    kubernetes_dir: KUBERNETES_DIR_SCHEMA,
    cni_conf_dir: { type: 'string', description: 'CNI configuration directory cleaned when a stale join is reset; defaults to the host variable `k8s_cni_conf_dir`, else /etc/cni/net.d.' },
  },
};

function record(value: unknown): Readonly<Record<string, unknown>> | undefined {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}

export interface JoinSpec {
  readonly endpoint: string;
  readonly token: string;
  readonly caCertHashes: readonly string[];
  readonly unsafeSkipCaVerification: boolean;
  readonly nodeName: string;
  readonly controlPlane: boolean;
  readonly certificateKey?: string;
  readonly advertiseAddress?: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly taints: readonly Taint[] | undefined;
  readonly criSocket?: string;
  readonly ignorePreflightErrors: readonly string[];
  readonly discoveryTimeoutMs?: number;
  readonly apiVersion: 'kubeadm.k8s.io/v1beta3' | 'kubeadm.k8s.io/v1beta4';
}

/** The JoinConfiguration YAML kubeadm reads with --config (holds the token: write it 0600). */
export function joinConfiguration(spec: JoinSpec): string {
  const v4 = spec.apiVersion === 'kubeadm.k8s.io/v1beta4';
  const labelText = Object.entries(spec.labels).map(([k, v]) => `${k}=${v}`).join(',');
  const nodeRegistration: Record<string, unknown> = { name: spec.nodeName };
  if (spec.criSocket !== undefined) nodeRegistration.criSocket = spec.criSocket;
  if (labelText !== '') nodeRegistration.kubeletExtraArgs = v4 ? [{ name: 'node-labels', value: labelText }] : { 'node-labels': labelText };
  if (spec.taints !== undefined) nodeRegistration.taints = spec.taints.map((t) => ({ key: t.key, ...(t.value !== undefined ? { value: t.value } : {}), effect: t.effect }));
  if (spec.ignorePreflightErrors.length > 0) nodeRegistration.ignorePreflightErrors = [...spec.ignorePreflightErrors];
  const bootstrapToken: Record<string, unknown> = { apiServerEndpoint: spec.endpoint, token: spec.token };
  if (spec.caCertHashes.length > 0) bootstrapToken.caCertHashes = [...spec.caCertHashes];
  if (spec.unsafeSkipCaVerification) bootstrapToken.unsafeSkipCAVerification = true;
  const discovery: Record<string, unknown> = { bootstrapToken, tlsBootstrapToken: spec.token };
  const doc: Record<string, unknown> = { apiVersion: spec.apiVersion, kind: 'JoinConfiguration', discovery, nodeRegistration };
  if (spec.discoveryTimeoutMs !== undefined) {
    if (v4) doc.timeouts = { discovery: goDuration(spec.discoveryTimeoutMs) };
    else discovery.timeout = goDuration(spec.discoveryTimeoutMs);
  }
  if (spec.controlPlane) {
    const cp: Record<string, unknown> = {};
    if (spec.certificateKey !== undefined) cp.certificateKey = spec.certificateKey;
    if (spec.advertiseAddress !== undefined) cp.localAPIEndpoint = { advertiseAddress: spec.advertiseAddress };
    doc.controlPlane = cp;
  }
  return stringify(doc);
}

/** Reads labels for the kubelet; refuses ones the kubelet would reject at start. */
function joinLabels(value: unknown): Record<string, string> {
  const labels = readLabels(value).filter((l) => l.state === 'present');
  const refused = labels.filter((l) => !kubeletMaySetLabel(l.key)).map((l) => l.key);
  if (refused.length > 0) {
    throw new ModuleFailure(
      `the kubelet may not set these labels on its own node (NodeRestriction): ${refused.join(', ')}; set them after the join with kube_node from a control-plane host`,
    );
  }
  return Object.fromEntries(labels.map((l) => [l.key, l.value ?? '']));
}

/** Builds and validates the join spec from the arguments. */
export function joinSpec(args: Args, ctx: ModuleContext, placeholderOk: boolean): JoinSpec {
  const from = record(args.from_token);
  const nodeName = assertNodeName(argString(args, 'node_name') ?? inventoryHostname(ctx));
  const token = argString(args, 'token') ?? (typeof from?.token === 'string' ? from.token : undefined);
  const endpointText = argString(args, 'endpoint') ?? (typeof from?.endpoint === 'string' ? from.endpoint : undefined);
  const hashes = args.ca_cert_hashes !== undefined && args.ca_cert_hashes !== null ? stringList(args, 'ca_cert_hashes') : Array.isArray(from?.ca_cert_hashes) ? from.ca_cert_hashes.map(String) : [];
  const unsafe = argBool(args, 'unsafe_skip_ca_verification', false);
  const controlPlane = argBool(args, 'control_plane', false);
  const certificateKey = argString(args, 'certificate_key');
  if (token === undefined || token === '') throw new ModuleFailure('token is required (or from_token)');
  const isPlaceholder = token === PLACEHOLDER_TOKEN;
  if (isPlaceholder && !placeholderOk) throw new ModuleFailure('the token is a check-mode placeholder');
  if (!isPlaceholder && !isBootstrapToken(token)) throw new ModuleFailure('token is not a bootstrap token of the form [a-z0-9]{6}.[a-z0-9]{16}');
  if (!isPlaceholder && (endpointText === undefined || endpointText === '')) throw new ModuleFailure('endpoint is required (or from_token)');
  const endpoint = endpointText === undefined || endpointText === '' ? '' : parseEndpoint(endpointText).text;
  const caCertHashes = hashes.map(assertCaHash);
  if (!isPlaceholder && caCertHashes.length === 0 && !unsafe) {
    throw new ModuleFailure('ca_cert_hashes is required: the join pins the cluster CA (set unsafe_skip_ca_verification: true to join without pinning, which is unsafe)');
  }
  if (controlPlane && certificateKey !== undefined && certificateKey !== PLACEHOLDER_TOKEN && !/^[0-9a-f]{64}$/.test(certificateKey)) {
    throw new ModuleFailure('certificate_key must be 64 hexadecimal characters (the key printed by kubeadm init --upload-certs)');
  }
  const taintsArg = args.node_taints;
  const taints = taintsArg === undefined || taintsArg === null ? undefined : readTaints(taintsArg).filter((t) => t.state === 'present').map((t) => t.taint);
  const timeout = args.discovery_timeout;
  const apiVersion = argString(args, 'config_api_version') ?? 'kubeadm.k8s.io/v1beta3';
  if (apiVersion !== 'kubeadm.k8s.io/v1beta3' && apiVersion !== 'kubeadm.k8s.io/v1beta4') throw new ModuleFailure(`unsupported config_api_version ${apiVersion}`);
  const advertise = argString(args, 'apiserver_advertise_address');
  if (advertise !== undefined && !/^[0-9A-Fa-f:.]+$/.test(advertise)) throw new ModuleFailure(`apiserver_advertise_address must be an IP address, got ${JSON.stringify(advertise)}`);
  const cri = argString(args, 'cri_socket');
  if (cri !== undefined && !/^(unix|npipe):\/\/\/?[A-Za-z0-9_./-]+$|^\/[A-Za-z0-9_./-]+$/.test(cri)) throw new ModuleFailure(`cri_socket must be a socket path or unix:// URL, got ${JSON.stringify(cri)}`);
  return {
    endpoint,
    token,
    caCertHashes,
    unsafeSkipCaVerification: unsafe,
    nodeName,
    controlPlane,
    ...(certificateKey !== undefined ? { certificateKey } : {}),
    ...(advertise !== undefined ? { advertiseAddress: advertise } : {}),
    labels: joinLabels(args.node_labels),
    taints,
    ...(cri !== undefined ? { criSocket: cri } : {}),
    ignorePreflightErrors: stringList(args, 'ignore_preflight_errors'),
    ...(timeout !== undefined && timeout !== null ? { discoveryTimeoutMs: parseDuration(timeout, 'discovery_timeout') } : {}),
    apiVersion,
  };
}

/** Where the host stands: joined and Ready, or why it has to (re)join. */
export type JoinState =
  | { readonly kind: 'joined'; readonly node: NodeInfo }
  | { readonly kind: 'fresh' }
  | { readonly kind: 'stale'; readonly why: string };

/**
 * A Node that is NotReady only because no pod network (CNI) is installed yet is joined all right:
 * resetting it would not help, applying the CNI manifest will.
 */
export function waitingForNetwork(node: NodeInfo): boolean {
  return node.ready?.status === 'False' && /NetworkReady=false|cni plugin not initialized|network plugin is not ready/i.test(node.ready.message);
}

export async function joinState(ctx: ModuleContext, dir: string, nodeName: string): Promise<JoinState> {
  const conf = kubeletConf(dir);
  if (!(await fileExists(ctx, conf))) return { kind: 'fresh' };
  const r = await ctx.probe(kubectl(conf, 'get', 'node', nodeName, '-o', 'json'));
  if (r.rc !== 0) {
    const why = isNotFound(r.stderr) ? `Node ${nodeName} is not registered` : `kubelet.conf does not work: ${r.stderr.trim().split('\n').pop() ?? `rc ${r.rc}`}`;
    return { kind: 'stale', why };
  }
  let node: NodeInfo;
  try {
    node = nodeInfo(JSON.parse(r.stdout));
  } catch {
    return { kind: 'stale', why: 'kubectl returned no Node object' };
  }
  if (isReady(node) || waitingForNetwork(node)) return { kind: 'joined', node };
  const reason = node.ready ? `${node.ready.reason || node.ready.status}${node.ready.message ? `: ${node.ready.message}` : ''}` : 'no Ready condition';
  return { kind: 'stale', why: `Node ${nodeName} is not Ready (${reason})` };
}

/** Maps kubeadm join's known failures to a clear sentence. `detail` is already scrubbed. */
export function explainJoinFailure(detail: string, spec: Pick<JoinSpec, 'nodeName' | 'endpoint' | 'token'>): string {
  const id = tokenId(spec.token) ?? '?';
  const d = detail;
  if (/could not find a JWS signature|token id .* is invalid for this cluster or it has expired/i.test(d)) {
    return `the bootstrap token ${id} is expired or unknown to the cluster; mint a new one with kubeadm_token`;
  }
  if (/failed to verify JWS signature|the bootstrap token is invalid|was not of the form/i.test(d)) return `the bootstrap token ${id} is invalid`;
  if (/none of the public keys .* are pinned|cluster CA found in cluster-info ConfigMap is invalid|invalid discovery token CA certificate hash/i.test(d)) {
    return 'CA certificate hash mismatch: the cluster CA does not match ca_cert_hashes (wrong cluster, or a stale hash)';
  }
  if (/kubelet\.conf already exists|FileAvailable--etc-kubernetes-kubelet\.conf/i.test(d)) {
    return `${spec.nodeName} already has /etc/kubernetes/kubelet.conf from an earlier join; reset it (kubeadm_reset) first`;
  }
  const port = /Port (\d+) is in use|Port-(\d+)/.exec(d);
  if (port) return `port ${port[1] ?? port[2]} is in use on ${spec.nodeName} (a kubelet or control plane is already running there); reset it (kubeadm_reset) first`;
  const ready = /a Node with name "?([^" ]+)"? and status "?Ready"? already exists/i.exec(d);
  if (ready) {
    return `a Node with name ${ready[1]} and status Ready already exists in the cluster (another host uses this name?); delete it (kubectl delete node ${ready[1]}) or choose another node_name`;
  }
  if (/kubeadm-certs.*(not found|expired)|This Secret might have expired/i.test(d)) {
    return 'the uploaded control-plane certificates expired (they live two hours); run kubeadm_token with upload_certs: true for a new certificate_key';
  }
  if (/message authentication failed|error decoding secret data with provided key/i.test(d)) return 'certificate_key does not match the uploaded control-plane certificates';
  if (/connection refused|i\/o timeout|no route to host|context deadline exceeded/i.test(d)) return `API endpoint ${spec.endpoint} could not be reached from ${spec.nodeName} during discovery`;
  return 'kubeadm join failed';
}

async function resetStale(ctx: ModuleContext, args: Args, dir: string, spec: JoinSpec): Promise<void> {
  ctx.progress('resetting stale join');
  await resetHost(ctx, {
    kubernetesDir: dir,
    cniConfDir: cniConfDir(args, ctx),
    ...(spec.criSocket !== undefined ? { criSocket: spec.criSocket } : {}),
  });
}

export async function runKubeadmJoin(args: Args, ctx: ModuleContext): Promise<ModuleResult> {
  const dir = kubernetesDir(args, ctx);
  const checkOnly = argBool(args, 'check_only', false);
  const nodeName = assertNodeName(argString(args, 'node_name') ?? inventoryHostname(ctx));
  const state = await joinState(ctx, dir, nodeName);
  if (state.kind === 'joined') {
    const ready = isReady(state.node);
    const msg = ready ? `${nodeName} is already joined and Ready` : `${nodeName} is already joined (NotReady until a pod network is installed)`;
    return { changed: false, msg, values: { node_name: nodeName, joined: true, ready, join_ran: false } };
  }
  const why = state.kind === 'stale' ? state.why : `${nodeName} has not joined yet`;
  if (checkOnly) return { changed: true, msg: `${nodeName} needs to join: ${why}`, values: { node_name: nodeName, joined: false, reason: why, join_ran: false } };

  const from = record(args.from_token);
  const spec = joinSpec(args, ctx, true);
  const placeholder = spec.token === PLACEHOLDER_TOKEN || from?.check_mode_placeholder === true || spec.certificateKey === PLACEHOLDER_TOKEN;
  const warnings: string[] = [];
  if (spec.unsafeSkipCaVerification) {
    const w = `joining ${nodeName} WITHOUT verifying the cluster CA (unsafe_skip_ca_verification): a spoofed API server could take over this node`;
    ctx.warn(w);
    warnings.push(w);
  }
  if (spec.controlPlane && spec.certificateKey === undefined) {
    throw new ModuleFailure('control_plane: true needs certificate_key (from kubeadm_init with upload_certs, or kubeadm_token with upload_certs)');
  }
  if (placeholder) {
    return { changed: true, msg: `would join ${nodeName}`, values: { node_name: nodeName, reason: why, join_ran: false }, warnings };
  }

  const endpoint = parseEndpoint(spec.endpoint);
  if (argBool(args, 'check_endpoint', true)) await assertReachable(ctx, endpoint, nodeName);

  if (ctx.check) {
    if (state.kind === 'stale') await ctx.run(kubeadm('reset', '--force'));
    await ctx.run(kubeadm('join', '--config', '<JoinConfiguration>'));
    return { changed: true, msg: `would join ${nodeName}`, values: { node_name: nodeName, reason: why, join_ran: false }, warnings };
  }

  if (state.kind === 'stale') await resetStale(ctx, args, dir, spec);

  const path = tempConfigPath('kubeadm-join');
  const secrets = [spec.token, spec.certificateKey];
  ctx.progress('joining');
  let rc: number;
  let stdout: string;
  let stderr: string;
  try {
    await ctx.put({ content: joinConfiguration(spec) }, path, { mode: '0600' });
    const r = await ctx.run(kubeadm('join', '--config', path));
    ({ rc, stdout, stderr } = r);
  } finally {
    await removeTemp(ctx, path);
  }
  const out = scrub(stdout, secrets);
  const err = scrub(stderr, secrets);
  const values = { node_name: nodeName, control_plane: spec.controlPlane, rc, stdout: out, stderr: err, join_ran: true };
  if (rc !== 0) {
    const detail = kubeadmErrorLine(err, out);
    const msg = `${explainJoinFailure(detail, spec)} (${nodeName}): ${detail}`;
    ctx.progress('join failed');
    throw new ModuleFailure(msg, { ...values, changed: true });
  }
  ctx.progress('joined');
  return { changed: true, msg: `${nodeName} joined the cluster${spec.controlPlane ? ' as a control-plane node' : ''}`, values, warnings };
}

export const kubeadmJoinModule: Module = {
  name: 'kubeadm_join',
  description:
    'Joins the host to a kubeadm cluster with a bootstrap token, always pinning the CA hash. Idempotent: a host whose kubelet.conf exists and whose Node is Ready is left alone; a stale join (Node missing or NotReady) is reset and redone. Checks the API endpoint is reachable first and explains kubeadm\'s known failures.',
  args: schema,
  checkMode: 'full',
  secrets: ['token', 'certificate_key'],
  run: runKubeadmJoin,
};
