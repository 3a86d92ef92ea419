/**
 * `kubeadm` (v1.30 behaviour): init, init phase upload-certs, join, token create/list/delete/generate,
 * reset, certs certificate-key, version. Output texts follow kubeadm's own templates.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { stringify } from 'yaml';
import type { ParsedArgs, FlagSpecs } from './args.js';
import { FlagError, flagBool, flagList, flagSet, flagString, parseArgs } from './args.js';
import {
  CERT_KEY_TTL_MS, CONTROL_PLANE_TAINT, DEFAULT_TOKEN_TTL_MS, INIT_TOKEN_DESCRIPTION, TOKEN_ID_PATTERN_Q, TOKEN_ID_RE, TOKEN_PATTERN_Q, TOKEN_RE,
  dialRefused, generateCertificateKey, generateToken, liveTokens, newToken, nodeClock, parseNodeLabels, reach, registerNode, withPort,
} from './apiserver.js';
import { generateCa } from './ca.js';
import type { SimContext } from './context.js';
import { ETC_KUBERNETES, etcPath, hostPath } from './context.js';
import { klogStamp, parseGoDuration, rfc3339, shortHumanDuration, tabwrite } from './format.js';
import type { KubeadmConfig } from './kubeadm-config.js';
import { allowedWithConfig, parseKubeadmConfig } from './kubeadm-config.js';
import { hostPort, readKubeconfig, renderKubeconfig } from './kubeconfig.js';
import type { Cluster, KubesimFault, SimConfig, State, TaintRecord } from './state.js';
import { appendJoinLog, faultsFor, readConfig, readFaults, readState, updateState } from './state.js';

const STACK_HINT = 'To see the stack trace of this error execute with --v=5 or higher';

/** A failure kubeadm reports as `<message>\nTo see the stack trace...` with exit 1. */
class KubeadmError extends Error {}

const GLOBAL_FLAGS: FlagSpecs = {
  v: { type: 'string', short: 'v' },
  rootfs: { type: 'string' },
  help: { type: 'bool', short: 'h' },
};

function parse(argv: readonly string[], specs: FlagSpecs): ParsedArgs {
  return parseArgs(argv, { ...GLOBAL_FLAGS, ...specs });
}

function versionInfo(config: SimConfig, arch: string): string {
  const [major, minor] = config.version.replace(/^v/, '').split('.');
  return `&version.Info{Major:"${major}", Minor:"${minor}", GitVersion:"${config.version}", GitCommit:"39683505b630ff2121012f3c5b16215a1449d5ed", GitTreeState:"clean", BuildDate:"2024-06-11T20:27:59Z", GoVersion:"go1.22.4", Compiler:"gc", Platform:"linux/${arch}"}`;
}

export async function kubeadm(ctx: SimContext, argv: readonly string[]): Promise<number> {
  try {
    return await dispatch(ctx, argv);
  } catch (e) {
    if (e instanceof KubeadmError || e instanceof FlagError) {
      ctx.err(`${e.message}\n${STACK_HINT}\n`);
      return 1;
    }
    throw e;
  }
}

async function dispatch(ctx: SimContext, argv: readonly string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  switch (cmd) {
    case 'version':
      return version(ctx, rest);
    case 'init':
      if (rest[0] === 'phase') return initPhase(ctx, rest.slice(1));
      return init(ctx, rest);
    case 'join':
      return join(ctx, rest);
    case 'token':
      return token(ctx, rest);
    case 'reset':
      return reset(ctx, rest);
    case 'certs':
      if (rest[0] === 'certificate-key') {
        ctx.out(`${generateCertificateKey()}\n`);
        return 0;
      }
      throw new KubeadmError(rest[0] === undefined ? 'missing subcommand; "certs" is not meant to be run on its own' : `unknown command "${rest[0]}" for "kubeadm certs"`);
    case undefined:
      ctx.out('Usage:\n  kubeadm [command]\n\nAvailable Commands:\n  certs, init, join, reset, token, version\n');
      return 0;
    default:
      throw new KubeadmError(`unknown command "${cmd}" for "kubeadm"`);
  }
}

function version(ctx: SimContext, argv: readonly string[]): number {
  const p = parse(argv, { output: { type: 'string', short: 'o' } });
  const config = readConfig(ctx.stateDir);
  const out = flagString(p, 'output') ?? '';
  const [major, minor] = config.version.replace(/^v/, '').split('.');
  const info = {
    major, minor, gitVersion: config.version, gitCommit: '39683505b630ff2121012f3c5b16215a1449d5ed', gitTreeState: 'clean',
    buildDate: '2024-06-11T20:27:59Z', goVersion: 'go1.22.4', compiler: 'gc', platform: `linux/${ctx.arch}`,
  };
  if (out === '') ctx.out(`kubeadm version: ${versionInfo(config, ctx.arch)}\n`);
  else if (out === 'short') ctx.out(`${config.version}\n`);
  else if (out === 'json') ctx.out(`${JSON.stringify({ clientVersion: info }, null, 2)}\n`);
  else if (out === 'yaml') ctx.out(stringify({ clientVersion: info }));
  else throw new KubeadmError(`error: invalid output format: ${out}`);
  return 0;
}

// ---------------------------------------------------------------- shared pieces

function loadConfigFlag(ctx: SimContext, p: ParsedArgs): KubeadmConfig {
  const path = flagString(p, 'config');
  if (path === undefined) return {};
  const mixed = [...p.flags.keys()].filter((f) => !allowedWithConfig(f)).sort();
  if (mixed.length > 0) throw new KubeadmError(`can not mix '--config' with arguments [${mixed.join(' ')}]`);
  let text: string;
  try {
    text = readFileSync(hostPath(ctx, path), 'utf8');
  } catch {
    throw new KubeadmError(`unable to read config from "${path}" : open ${path}: no such file or directory`);
  }
  const cfg = parseKubeadmConfig(text, readConfig(ctx.stateDir).version);
  if (typeof cfg === 'string') throw new KubeadmError(cfg);
  return cfg;
}

function parseTtl(flag: string, text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback;
  const ms = parseGoDuration(text);
  if (ms === undefined) throw new FlagError(`invalid argument "${text}" for "--${flag}" flag: time: invalid duration "${text}"`);
  return ms;
}

function validateToken(token: string): void {
  if (!TOKEN_RE.test(token)) throw new KubeadmError(`the bootstrap token "${token}" was not of the form ${TOKEN_PATTERN_Q}`);
}

interface PreflightCheck {
  readonly name: string;
  readonly message: string;
}

/** Prints warnings for ignored checks; throws kubeadm's fatal preflight error otherwise. */
function preflight(ctx: SimContext, failed: readonly PreflightCheck[], ignore: readonly string[], phase = 'preflight'): void {
  const ignored = new Set(ignore.map((i) => i.toLowerCase()));
  const all = ignored.has('all');
  const fatal = failed.filter((c) => !all && !ignored.has(c.name.toLowerCase()));
  for (const c of failed.filter((f) => !fatal.includes(f))) ctx.out(`\t[WARNING ${c.name}]: ${c.message}\n`);
  if (fatal.length > 0) {
    throw new KubeadmError(
      `error execution phase ${phase}: [preflight] Some fatal errors occurred:\n${fatal.map((c) => `\t[ERROR ${c.name}]: ${c.message}\n`).join('')}[preflight] If you know what you are doing, you can make a check non-fatal with \`--ignore-preflight-errors=...\``,
    );
  }
}

const fileCheck = (ctx: SimContext, rel: string): PreflightCheck[] => {
  const shown = `${ETC_KUBERNETES}/${rel}`;
  return existsSync(etcPath(ctx, rel)) ? [{ name: `FileAvailable-${shown.replaceAll('/', '-')}`, message: `${shown} already exists` }] : [];
};

const port = (n: number, inUse: boolean): PreflightCheck[] => (inUse ? [{ name: `Port-${n}`, message: `Port ${n} is in use` }] : []);

const MANIFESTS = ['kube-apiserver', 'kube-controller-manager', 'kube-scheduler', 'etcd'];

function controlPlaneChecks(ctx: SimContext, state: State): PreflightCheck[] {
  const host = state.hosts[ctx.hostId];
  const cp = host?.controlPlane ?? false;
  return [
    ...port(6443, cp),
    ...port(10259, cp),
    ...port(10257, cp),
    ...MANIFESTS.flatMap((m) => fileCheck(ctx, `manifests/${m}.yaml`)),
    ...port(10250, host?.kubelet ?? false),
    ...port(2379, cp),
    ...port(2380, cp),
    ...(cp ? [{ name: 'DirAvailable--var-lib-etcd', message: '/var/lib/etcd is not empty' }] : []),
  ];
}

function writeEtc(ctx: SimContext, rel: string, text: string, mode = 0o600): void {
  const path = etcPath(ctx, rel);
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, text, { mode });
}

function writeManifests(ctx: SimContext, cluster: Cluster): void {
  for (const m of MANIFESTS) {
    writeEtc(
      ctx,
      `manifests/${m}.yaml`,
      stringify({
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { labels: { component: m, tier: 'control-plane' }, name: m, namespace: 'kube-system' },
        spec: { containers: [{ name: m, image: `registry.k8s.io/${m}:${cluster.kubernetesVersion}` }], hostNetwork: true },
        status: {},
      }),
    );
  }
  writeEtc(ctx, 'pki/ca.key', cluster.caKeyPem);
}

function writeKubeconfigs(ctx: SimContext, cluster: Cluster, server: string, nodeName: string, controlPlane: boolean, init: boolean): void {
  writeEtc(ctx, 'pki/ca.crt', cluster.caCertPem, 0o644);
  writeEtc(ctx, 'kubelet.conf', renderKubeconfig({ server, caPem: cluster.caCertPem, user: `system:node:${nodeName}`, clientCertFile: '/var/lib/kubelet/pki/kubelet-client-current.pem' }));
  if (!controlPlane) return;
  writeEtc(ctx, 'admin.conf', renderKubeconfig({ server, caPem: cluster.caCertPem, user: 'kubernetes-admin' }));
  if (init) writeEtc(ctx, 'super-admin.conf', renderKubeconfig({ server, caPem: cluster.caCertPem, user: 'kubernetes-super-admin' }));
  writeEtc(ctx, 'controller-manager.conf', renderKubeconfig({ server, caPem: cluster.caCertPem, user: 'system:kube-controller-manager' }));
  writeEtc(ctx, 'scheduler.conf', renderKubeconfig({ server, caPem: cluster.caCertPem, user: 'system:kube-scheduler' }));
}

/** `kubeadm join ...` as kubeadm's join template renders it (with `\` line continuations). */
function joinCommand(endpoint: string, token: string, hash: string, certificateKey: string | null): string {
  const base = `kubeadm join ${endpoint} --token ${token} \\\n\t--discovery-token-ca-cert-hash ${hash} `;
  return certificateKey === null ? base : `${base}\\\n\t--control-plane --certificate-key ${certificateKey}`;
}

/** Loads the admin kubeconfig and checks the API answers; returns the cluster and server host:port. */
function adminClient(ctx: SimContext, p: ParsedArgs, action: (endpoint: string) => string): { state: State; cluster: Cluster; endpoint: string } {
  const file = flagString(p, 'kubeconfig') ?? `${ETC_KUBERNETES}/admin.conf`;
  let text: string;
  try {
    text = readFileSync(hostPath(ctx, file), 'utf8');
  } catch {
    throw new KubeadmError(`failed to load admin kubeconfig: open ${file}: no such file or directory`);
  }
  const view = readKubeconfig(text);
  if (typeof view === 'string') throw new KubeadmError(`failed to load admin kubeconfig: ${view}`);
  const endpoint = hostPort(view.server);
  const state = readState(ctx.stateDir);
  const r = reach(ctx, state, readFaults(ctx.stateDir), endpoint);
  if (!r.ok) throw new KubeadmError(action(endpoint));
  if (view.caPem !== r.cluster.caCertPem) {
    throw new KubeadmError(action(endpoint).replace(dialRefused(endpoint), 'tls: failed to verify certificate: x509: certificate signed by unknown authority'));
  }
  return { state, cluster: r.cluster, endpoint };
}

// ---------------------------------------------------------------- init

const INIT_FLAGS: FlagSpecs = {
  'apiserver-advertise-address': { type: 'string' },
  'apiserver-bind-port': { type: 'string' },
  'apiserver-cert-extra-sans': { type: 'stringSlice' },
  'cert-dir': { type: 'string' },
  'certificate-key': { type: 'string' },
  config: { type: 'string' },
  'control-plane-endpoint': { type: 'string' },
  'cri-socket': { type: 'string' },
  'dry-run': { type: 'bool' },
  'feature-gates': { type: 'string' },
  'ignore-preflight-errors': { type: 'stringSlice' },
  'image-repository': { type: 'string' },
  'kubernetes-version': { type: 'string' },
  'node-name': { type: 'string' },
  patches: { type: 'string' },
  'pod-network-cidr': { type: 'string' },
  'service-cidr': { type: 'string' },
  'service-dns-domain': { type: 'string' },
  'skip-certificate-key-print': { type: 'bool' },
  'skip-phases': { type: 'stringSlice' },
  'skip-token-print': { type: 'bool' },
  token: { type: 'string' },
  'token-ttl': { type: 'string' },
  'upload-certs': { type: 'bool' },
};

async function init(ctx: SimContext, argv: readonly string[]): Promise<number> {
  const p = parse(argv, INIT_FLAGS);
  const cfg = loadConfigFlag(ctx, p);
  const config = readConfig(ctx.stateDir);
  const now = ctx.now();
  const cfgToken = cfg.bootstrapTokens?.[0];
  const tokenText = flagString(p, 'token') ?? cfgToken?.token ?? generateToken();
  validateToken(tokenText);
  const ttl = parseTtl('token-ttl', flagString(p, 'token-ttl') ?? cfgToken?.ttl, DEFAULT_TOKEN_TTL_MS);
  const nodeName = flagString(p, 'node-name') ?? cfg.nodeName ?? ctx.nodeName;
  const address = flagString(p, 'apiserver-advertise-address') ?? cfg.advertiseAddress ?? ctx.address;
  const bindPort = flagString(p, 'apiserver-bind-port') ?? String(cfg.bindPort ?? 6443);
  const cpEndpoint = flagString(p, 'control-plane-endpoint') ?? cfg.controlPlaneEndpoint ?? null;
  const uploadCerts = flagBool(p, 'upload-certs');
  const certKey = uploadCerts ? (flagString(p, 'certificate-key') ?? cfg.certificateKey ?? generateCertificateKey()) : null;
  const k8sVersion = flagString(p, 'kubernetes-version') ?? cfg.kubernetesVersion ?? config.version;
  const ignore = [...flagList(p, 'ignore-preflight-errors'), ...(cfg.ignorePreflightErrors ?? [])];

  ctx.out(`[init] Using Kubernetes version: ${k8sVersion.startsWith('v') ? k8sVersion : `v${k8sVersion}`}\n[preflight] Running pre-flight checks\n`);
  const before = readState(ctx.stateDir);
  preflight(ctx, controlPlaneChecks(ctx, before), ignore);
  if (before.cluster && before.cluster.initHost !== ctx.hostId) {
    throw new KubeadmError(
      `kubesim: a cluster was already initialized from host "${before.cluster.initHost}" in ${ctx.stateDir}; the simulator models one cluster per state directory (run kubeadm reset there first)`,
    );
  }
  const endpoint = cpEndpoint ? withPort(cpEndpoint) : `${address}:${bindPort}`;
  const ca = before.cluster ?? generateCa(now);
  const caCertPem = 'certPem' in ca ? ca.certPem : ca.caCertPem;
  const caKeyPem = 'keyPem' in ca ? ca.keyPem : ca.caKeyPem;
  const caHash = 'hash' in ca ? ca.hash : ca.caHash;
  const sans = [nodeName, 'kubernetes', 'kubernetes.default', 'kubernetes.default.svc', 'kubernetes.default.svc.cluster.local'];
  const ips = ['10.96.0.1', address, ...(cpEndpoint && /^\d+\.\d+\.\d+\.\d+/.test(cpEndpoint) ? [cpEndpoint.replace(/:\d+$/, '')] : [])];
  const lines = [
    '[preflight] Pulling images required for setting up a Kubernetes cluster',
    '[preflight] This might take a minute or two, depending on the speed of your internet connection',
    "[preflight] You can also perform this action in beforehand using 'kubeadm config images pull'",
    `[certs] Using certificateDir folder "${ETC_KUBERNETES}/pki"`,
    '[certs] Generating "ca" certificate and key',
    '[certs] Generating "apiserver" certificate and key',
    `[certs] apiserver serving cert is signed for DNS names [${sans.join(' ')}] and IPs [${[...new Set(ips)].join(' ')}]`,
    '[certs] Generating "apiserver-kubelet-client" certificate and key',
    '[certs] Generating "front-proxy-ca" certificate and key',
    '[certs] Generating "front-proxy-client" certificate and key',
    '[certs] Generating "etcd/ca" certificate and key',
    '[certs] Generating "etcd/server" certificate and key',
    `[certs] etcd/server serving cert is signed for DNS names [${nodeName} localhost] and IPs [${address} 127.0.0.1 ::1]`,
    '[certs] Generating "etcd/peer" certificate and key',
    `[certs] etcd/peer serving cert is signed for DNS names [${nodeName} localhost] and IPs [${address} 127.0.0.1 ::1]`,
    '[certs] Generating "etcd/healthcheck-client" certificate and key',
    '[certs] Generating "apiserver-etcd-client" certificate and key',
    '[certs] Generating "sa" key and public key',
    `[kubeconfig] Using kubeconfig folder "${ETC_KUBERNETES}"`,
    '[kubeconfig] Writing "admin.conf" kubeconfig file',
    '[kubeconfig] Writing "super-admin.conf" kubeconfig file',
    '[kubeconfig] Writing "kubelet.conf" kubeconfig file',
    '[kubeconfig] Writing "controller-manager.conf" kubeconfig file',
    '[kubeconfig] Writing "scheduler.conf" kubeconfig file',
    `[etcd] Creating static Pod manifest for local etcd in "${ETC_KUBERNETES}/manifests"`,
    `[control-plane] Using manifest folder "${ETC_KUBERNETES}/manifests"`,
    '[control-plane] Creating static Pod manifest for "kube-apiserver"',
    '[control-plane] Creating static Pod manifest for "kube-controller-manager"',
    '[control-plane] Creating static Pod manifest for "kube-scheduler"',
    '[kubelet-start] Writing kubelet environment file with flags to file "/var/lib/kubelet/kubeadm-flags.env"',
    '[kubelet-start] Writing kubelet configuration to file "/var/lib/kubelet/config.yaml"',
    '[kubelet-start] Starting the kubelet',
    `[wait-control-plane] Waiting for the kubelet to boot up the control plane as static Pods from directory "${ETC_KUBERNETES}/manifests"`,
    '[kubelet-check] Waiting for a healthy kubelet. This can take up to 4m0s',
  ];
  ctx.out(`${lines.join('\n')}\n`);
  await ctx.sleep(config.initDurationMs);
  const tokenRec = newToken(tokenText, ttl, now, { description: INIT_TOKEN_DESCRIPTION });
  const cluster = updateState(ctx.stateDir, (s) => {
    const t = ctx.now();
    const c: Cluster = {
      uid: s.cluster?.uid ?? `${t.toString(36)}${Math.random().toString(36).slice(2, 8)}`,
      created: s.cluster?.created ?? t,
      initHost: ctx.hostId,
      apiEndpoint: `${address}:${bindPort}`,
      controlPlaneEndpoint: cpEndpoint ? withPort(cpEndpoint) : null,
      caCertPem,
      caKeyPem,
      caHash,
      kubernetesVersion: k8sVersion.startsWith('v') ? k8sVersion : `v${k8sVersion}`,
      podSubnet: flagString(p, 'pod-network-cidr') ?? cfg.podSubnet ?? null,
      tokens: [...(s.cluster?.tokens ?? []).filter((x) => x.id !== tokenRec.id), tokenRec],
      certificateKey: certKey ? { key: certKey, expires: t + CERT_KEY_TTL_MS } : (s.cluster?.certificateKey ?? null),
      nodes: s.cluster?.nodes ?? {},
      manifests: s.cluster?.manifests ?? {},
      cniApplied: s.cluster?.cniApplied ?? null,
      resourceVersion: s.cluster?.resourceVersion ?? 100,
      podCidrCounter: s.cluster?.podCidrCounter ?? 0,
    };
    const next = registerNode(
      { ...s, cluster: c },
      { name: nodeName, controlPlane: true, address, hostId: ctx.hostId, arch: ctx.arch, labels: parseNodeLabels(cfg.nodeLabels ?? ''), taints: cfg.taints },
      t,
    );
    return { state: next, result: next.cluster! };
  });
  writeKubeconfigs(ctx, cluster, `https://${endpoint}`, nodeName, true, true);
  writeManifests(ctx, cluster);
  const taints = cluster.nodes[nodeName]!.taints;
  const tail = [
    `[kubelet-check] The kubelet is healthy after 501.361457ms`,
    '[api-check] Waiting for a healthy API server. This can take up to 4m0s',
    `[api-check] The API server is healthy after ${(config.initDurationMs / 1000 + 3.5).toFixed(9)}s`,
    '[upload-config] Storing the configuration used in ConfigMap "kubeadm-config" in the "kube-system" Namespace',
    '[kubelet] Creating a ConfigMap "kubelet-config" in namespace kube-system with the configuration for the kubelets in the cluster',
    ...(certKey
      ? ['[upload-certs] Storing the certificates in Secret "kubeadm-certs" in the "kube-system" Namespace', '[upload-certs] Using certificate key:', certKey]
      : ['[upload-certs] Skipping phase. Please see --upload-certs']),
    `[mark-control-plane] Marking the node ${nodeName} as control-plane by adding the labels: [node-role.kubernetes.io/control-plane node.kubernetes.io/exclude-from-external-load-balancers]`,
    `[mark-control-plane] Marking the node ${nodeName} as control-plane by adding the taints [${taints.map(taintString).join(' ')}]`,
    `[bootstrap-token] Using token: ${flagBool(p, 'skip-token-print') ? '<value withheld>' : tokenText}`,
    '[bootstrap-token] Configuring bootstrap tokens, cluster-info ConfigMap, RBAC Roles',
    '[bootstrap-token] Configured RBAC rules to allow Node Bootstrap tokens to get nodes',
    '[bootstrap-token] Configured RBAC rules to allow Node Bootstrap tokens to post CSRs in order for nodes to get long term certificate credentials',
    '[bootstrap-token] Configured RBAC rules to allow the csrapprover controller automatically approve CSRs from a Node Bootstrap Token',
    '[bootstrap-token] Configured RBAC rules to allow certificate rotation for all node client certificates in the cluster',
    '[bootstrap-token] Creating the "cluster-info" ConfigMap in the "kube-public" namespace',
    `[kubelet-finalize] Updating "${ETC_KUBERNETES}/kubelet.conf" to point to a rotatable kubelet client certificate and key`,
    '[addons] Applied essential addon: CoreDNS',
    '[addons] Applied essential addon: kube-proxy',
    '',
  ];
  ctx.out(`${tail.join('\n')}\n`);
  const shownToken = flagBool(p, 'skip-token-print') ? '<value withheld>' : tokenText;
  const shownKey = certKey && !flagBool(p, 'skip-certificate-key-print') ? certKey : '<value withheld>';
  ctx.out(initDone(endpoint, shownToken, cluster.caHash, cpEndpoint !== null, certKey !== null, shownKey));
  return 0;
}

function taintString(t: TaintRecord): string {
  return `${t.key}${t.value !== undefined ? `=${t.value}` : ''}:${t.effect}`;
}

/** kubeadm's initDoneTempl. */
function initDone(endpoint: string, token: string, hash: string, hasCpEndpoint: boolean, uploadCerts: boolean, certKey: string): string {
  const cpJoin = joinCommand(endpoint, token, hash, uploadCerts ? certKey : '');
  const cpJoinText = uploadCerts ? cpJoin : cpJoin.replace(/ --certificate-key $/, ' ');
  let s = `Your Kubernetes control-plane has initialized successfully!

To start using your cluster, you need to run the following as a regular user:

  mkdir -p $HOME/.kube
  sudo cp -i ${ETC_KUBERNETES}/admin.conf $HOME/.kube/config
  sudo chown $(id -u):$(id -g) $HOME/.kube/config

Alternatively, if you are the root user, you can run:

  export KUBECONFIG=/etc/kubernetes/admin.conf

You should now deploy a pod network to the cluster.
Run "kubectl apply -f [podnetwork].yaml" with one of the options listed at:
  https://kubernetes.io/docs/concepts/cluster-administration/addons/

`;
  if (hasCpEndpoint) {
    s += uploadCerts
      ? `You can now join any number of the control-plane node running the following command on each as root:

  ${cpJoinText}

Please note that the certificate-key gives access to cluster sensitive data, keep it secret!
As a safeguard, uploaded-certs will be deleted in two hours; If necessary, you can use
"kubeadm init phase upload-certs --upload-certs" to reload certs afterward.

`
      : `You can now join any number of control-plane nodes by copying certificate authorities
and service account keys on each node and then running the following as root:

  ${cpJoinText}

`;
  }
  s += `Then you can join any number of worker nodes by running the following on each as root:

${joinCommand(endpoint, token, hash, null)}
`;
  return s;
}

async function initPhase(ctx: SimContext, argv: readonly string[]): Promise<number> {
  const [phase, ...rest] = argv;
  if (phase !== 'upload-certs') {
    throw new KubeadmError(phase === undefined ? 'missing subcommand; "phase" is not meant to be run on its own' : `unknown command "${phase}" for "kubeadm init phase"`);
  }
  const p = parse(rest, {
    'certificate-key': { type: 'string' },
    config: { type: 'string' },
    'dry-run': { type: 'bool' },
    kubeconfig: { type: 'string' },
    'skip-certificate-key-print': { type: 'bool' },
    'upload-certs': { type: 'bool' },
  });
  const cfg = loadConfigFlag(ctx, p);
  if (!flagBool(p, 'upload-certs')) {
    ctx.out('[upload-certs] Skipping phase. Please see --upload-certs\n');
    return 0;
  }
  const key = flagString(p, 'certificate-key') ?? cfg.certificateKey ?? generateCertificateKey();
  if (!/^[0-9a-f]{64}$/i.test(key)) throw new KubeadmError(`error execution phase upload-certs: error uploading certs: error decoding certificate key: encoding/hex: invalid byte: U+0067 'g'`);
  adminClient(ctx, p, (ep) => `error execution phase upload-certs: error uploading certs: Get "https://${ep}/api/v1/namespaces/kube-system/secrets/kubeadm-certs?timeout=10s": ${dialRefused(ep)}`);
  updateState(ctx.stateDir, (s) => ({ state: { ...s, cluster: { ...s.cluster!, certificateKey: { key, expires: ctx.now() + CERT_KEY_TTL_MS } } }, result: undefined }));
  ctx.out('[upload-certs] Storing the certificates in Secret "kubeadm-certs" in the "kube-system" Namespace\n');
  if (!flagBool(p, 'skip-certificate-key-print')) ctx.out(`[upload-certs] Using certificate key:\n${key}\n`);
  return 0;
}

// ---------------------------------------------------------------- join

const JOIN_FLAGS: FlagSpecs = {
  'apiserver-advertise-address': { type: 'string' },
  'apiserver-bind-port': { type: 'string' },
  'certificate-key': { type: 'string' },
  config: { type: 'string' },
  'control-plane': { type: 'bool' },
  'cri-socket': { type: 'string' },
  'discovery-file': { type: 'string' },
  'discovery-token': { type: 'string' },
  'discovery-token-ca-cert-hash': { type: 'stringSlice' },
  'discovery-token-unsafe-skip-ca-verification': { type: 'bool' },
  'dry-run': { type: 'bool' },
  'ignore-preflight-errors': { type: 'stringSlice' },
  'node-name': { type: 'string' },
  patches: { type: 'string' },
  'skip-phases': { type: 'stringSlice' },
  'tls-bootstrap-token': { type: 'string' },
  token: { type: 'string' },
};

function aggregate(errors: readonly string[]): string {
  return errors.length === 1 ? errors[0]! : `[${errors.join(', ')}]`;
}

interface JoinPlan {
  readonly endpoint: string;
  readonly discoveryToken: string;
  readonly hashes: readonly string[];
  readonly unsafeSkip: boolean;
  readonly controlPlane: boolean;
  readonly certificateKey: string | undefined;
  readonly nodeName: string;
  readonly address: string;
  readonly ignore: readonly string[];
  readonly labels: Record<string, string>;
  readonly taints: readonly TaintRecord[] | undefined;
}

function planJoin(ctx: SimContext, p: ParsedArgs, cfg: KubeadmConfig): JoinPlan {
  const token = flagString(p, 'token');
  const discoveryToken = flagString(p, 'discovery-token') ?? token ?? cfg.discoveryToken ?? '';
  const tlsToken = flagString(p, 'tls-bootstrap-token') ?? token ?? cfg.tlsBootstrapToken ?? discoveryToken;
  const endpoint = p.positionals[0] ?? cfg.discoveryEndpoint ?? '';
  const hashes = [...flagList(p, 'discovery-token-ca-cert-hash'), ...(cfg.caCertHashes ?? [])];
  const unsafeSkip = flagBool(p, 'discovery-token-unsafe-skip-ca-verification') || (cfg.unsafeSkipCaVerification ?? false);
  if (p.positionals.length > 1) throw new KubeadmError(`accepts at most 1 arg(s), received ${p.positionals.length}`);
  if (flagSet(p, 'discovery-file')) throw new KubeadmError('kubesim: --discovery-file is not simulated; use token discovery');
  const errors: string[] = [];
  if (discoveryToken === '' && endpoint === '') {
    errors.push('discovery: Invalid value: "": bootstrapToken or file must be set');
  } else {
    if (endpoint === '') errors.push('discovery.bootstrapToken: Required value: APIServerEndpoint is not set');
    if (hashes.length === 0 && !unsafeSkip) {
      errors.push(
        'discovery.bootstrapToken: Invalid value: "": using token-based discovery without caCertHashes can be unsafe. Set unsafeSkipCAVerification as true in your kubeadm config file or pass --discovery-token-unsafe-skip-ca-verification flag to continue',
      );
    }
    if (!TOKEN_RE.test(discoveryToken)) errors.push(`discovery.bootstrapToken.token: Invalid value: "${discoveryToken}": the bootstrap token is invalid`);
    if (!TOKEN_RE.test(tlsToken)) errors.push(`discovery.tlsBootstrapToken: Invalid value: "${tlsToken}": the bootstrap token is invalid`);
  }
  if (errors.length > 0) throw new KubeadmError(aggregate(errors));
  return {
    endpoint,
    discoveryToken,
    hashes,
    unsafeSkip,
    controlPlane: flagBool(p, 'control-plane') || (cfg.joinControlPlane ?? false),
    certificateKey: flagString(p, 'certificate-key') ?? cfg.certificateKey,
    nodeName: flagString(p, 'node-name') ?? cfg.nodeName ?? ctx.nodeName,
    address: flagString(p, 'apiserver-advertise-address') ?? cfg.advertiseAddress ?? ctx.address,
    ignore: [...flagList(p, 'ignore-preflight-errors'), ...(cfg.ignorePreflightErrors ?? [])],
    labels: parseNodeLabels(cfg.nodeLabels ?? ''),
    taints: cfg.taints,
  };
}

/** pubkeypin.Set.Allow's validation. */
function checkPins(hashes: readonly string[]): void {
  for (const h of hashes) {
    const parts = h.split(':');
    let problem: string | undefined;
    if (parts.length !== 2) problem = 'invalid hash, expected "format:hex-value". Known format(s) are: sha256';
    else if (parts[0]!.toLowerCase() !== 'sha256') problem = `unknown hash format "${parts[0]}". Known format(s) are: sha256`;
    else if (Math.floor(parts[1]!.length / 2) !== 32) problem = `invalid hash "${h}", expected a 32 byte SHA-256 hash, found ${Math.floor(parts[1]!.length / 2)} bytes`;
    else if (!/^[0-9a-fA-F]+$/.test(parts[1]!)) problem = `invalid hash "${h}", could not decode SHA-256 from hex: encoding/hex: invalid byte`;
    if (problem) throw new KubeadmError(`error execution phase preflight: couldn't validate the identity of the API Server: invalid discovery token CA certificate hash: ${problem}`);
  }
}

const hang = async (ctx: SimContext): Promise<never> => {
  for (;;) await ctx.sleep(3_600_000);
};

async function join(ctx: SimContext, argv: readonly string[]): Promise<number> {
  const p = parse(argv, JOIN_FLAGS);
  const cfg = loadConfigFlag(ctx, p);
  const plan = planJoin(ctx, p, cfg);
  const started = ctx.now();
  appendJoinLog(ctx.stateDir, { node: plan.nodeName, event: 'start', time: started, pid: process.pid, controlPlane: plan.controlPlane });
  try {
    await runJoin(ctx, plan);
    appendJoinLog(ctx.stateDir, { node: plan.nodeName, event: 'end', time: ctx.now(), pid: process.pid, ok: true, controlPlane: plan.controlPlane });
    return 0;
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    appendJoinLog(ctx.stateDir, { node: plan.nodeName, event: 'end', time: ctx.now(), pid: process.pid, ok: false, error: message, controlPlane: plan.controlPlane });
    throw e;
  }
}

async function runJoin(ctx: SimContext, plan: JoinPlan): Promise<void> {
  const config = readConfig(ctx.stateDir);
  const faults = readFaults(ctx.stateDir);
  const nodeFaults: readonly KubesimFault[] = faultsFor(faults, plan.nodeName);
  ctx.out('[preflight] Running pre-flight checks\n');
  const before = readState(ctx.stateDir);
  const host = before.hosts[ctx.hostId];
  const manifestsDir = etcPath(ctx, 'manifests');
  const checks: PreflightCheck[] = [
    ...(existsSync(manifestsDir) && readdirSync(manifestsDir).length > 0 ? [{ name: 'DirAvailable--etc-kubernetes-manifests', message: `${ETC_KUBERNETES}/manifests is not empty` }] : []),
    ...fileCheck(ctx, 'kubelet.conf'),
    ...fileCheck(ctx, 'bootstrap-kubelet.conf'),
    ...(plan.controlPlane ? controlPlaneChecks(ctx, before).filter((c) => c.name !== 'Port-10250') : []),
    ...port(10250, host?.kubelet ?? false),
    ...(plan.controlPlane ? [] : fileCheck(ctx, 'pki/ca.crt')),
  ];
  preflight(ctx, checks, plan.ignore);
  checkPins(plan.hashes);

  // discovery: fetch cluster-info (retried until the discovery timeout), then check JWS and CA pin
  const discoveryFail = (why: string) => new KubeadmError(`error execution phase preflight: couldn't validate the identity of the API Server: ${why}`);
  const r = reach(ctx, before, faults, plan.endpoint, plan.nodeName);
  if (!r.ok) {
    await ctx.sleep(config.discoveryTimeoutMs);
    const ep = withPort(plan.endpoint);
    throw discoveryFail(`failed to request the cluster-info ConfigMap: Get "https://${ep}/api/v1/namespaces/kube-public/configmaps/cluster-info?timeout=10s": ${dialRefused(ep)}`);
  }
  const cluster = r.cluster;
  const [id, secret] = plan.discoveryToken.split('.') as [string, string];
  const tok = liveTokens(cluster, nodeClock(faults, plan.nodeName, ctx.now())).find((t) => t.id === id);
  if (!tok) throw discoveryFail(`could not find a JWS signature in the cluster-info ConfigMap for token ID "${id}"`);
  if (tok.secret !== secret) throw discoveryFail("failed to verify JWS signature of received cluster info object, can't trust this API Server");
  if (!plan.unsafeSkip && !plan.hashes.some((h) => h.toLowerCase() === cluster.caHash)) {
    throw discoveryFail(`cluster CA found in cluster-info ConfigMap is invalid: none of the public keys "${cluster.caHash}" are pinned`);
  }
  ctx.out("[preflight] Reading configuration from the cluster...\n[preflight] FYI: You can look at this config file with 'kubectl -n kube-system get cm kubeadm-config -o yaml'\n");

  if (plan.controlPlane) {
    if (cluster.controlPlaneEndpoint === null) {
      throw new KubeadmError(
        "error execution phase preflight: \nOne or more conditions for hosting a new control plane instance is not satisfied.\n\nunable to add a new control plane instance to a cluster that doesn't have a stable controlPlaneEndpoint address\n\nPlease ensure that:\n* The cluster has a stable controlPlaneEndpoint address.\n* The certificates that must be shared among control plane instances are provided.\n\n",
      );
    }
    ctx.out("[preflight] Running pre-flight checks before initializing the new control plane instance\n[preflight] Pulling images required for setting up a Kubernetes cluster\n[preflight] This might take a minute or two, depending on the speed of your internet connection\n[preflight] You can also perform this action in beforehand using 'kubeadm config images pull'\n");
    if (plan.certificateKey !== undefined) {
      ctx.out('[download-certs] Downloading the certificates in Secret "kubeadm-certs" in the "kube-system" Namespace\n');
      const ck = cluster.certificateKey;
      if (ck === null || ck.expires <= ctx.now()) {
        throw new KubeadmError(
          'error execution phase control-plane-prepare/download-certs: error downloading certs: error downloading the secret: Secret "kubeadm-certs" was not found in the "kube-system" Namespace. This Secret might have expired. Please, run `kubeadm init phase upload-certs --upload-certs` on a control plane to generate a new one',
        );
      }
      if (ck.key !== plan.certificateKey) {
        throw new KubeadmError('error execution phase control-plane-prepare/download-certs: error downloading certs: error decoding secret data with provided key: cipher: message authentication failed');
      }
    } else if (!existsSync(etcPath(ctx, 'pki/ca.crt'))) {
      throw new KubeadmError(
        `error execution phase preflight: \nOne or more conditions for hosting a new control plane instance is not satisfied.\n\n[failure loading certificate for CA: couldn't load the certificate file ${ETC_KUBERNETES}/pki/ca.crt: open ${ETC_KUBERNETES}/pki/ca.crt: no such file or directory, failure loading key for service account: couldn't load the private key file ${ETC_KUBERNETES}/pki/sa.key: open ${ETC_KUBERNETES}/pki/sa.key: no such file or directory]\n\nPlease ensure that:\n* The cluster has a stable controlPlaneEndpoint address.\n* The certificates that must be shared among control plane instances are provided.\n\n`,
      );
    }
    ctx.out(
      `[certs] Using certificateDir folder "${ETC_KUBERNETES}/pki"\n[certs] Generating "apiserver" certificate and key\n[certs] Valid certificates and keys now exist in "${ETC_KUBERNETES}/pki"\n[certs] Using the existing "sa" key\n[kubeconfig] Generating kubeconfig files\n[kubeconfig] Using kubeconfig folder "${ETC_KUBERNETES}"\n[kubeconfig] Writing "admin.conf" kubeconfig file\n[kubeconfig] Writing "controller-manager.conf" kubeconfig file\n[kubeconfig] Writing "scheduler.conf" kubeconfig file\n[control-plane] Using manifest folder "${ETC_KUBERNETES}/manifests"\n[control-plane] Creating static Pod manifest for "kube-apiserver"\n[control-plane] Creating static Pod manifest for "kube-controller-manager"\n[control-plane] Creating static Pod manifest for "kube-scheduler"\n[check-etcd] Checking that the etcd cluster is healthy\n`,
    );
  }

  const readyConflict = (s: State): KubeadmError | undefined => {
    const n = s.cluster?.nodes[plan.nodeName];
    if (!n || !s.cluster) return undefined;
    const ready = n.kubeletStopped === undefined && ctx.now() >= n.registered + config.readyDelayMs && !(config.requireCni && s.cluster.cniApplied === null)
      && !faultsFor(readFaults(ctx.stateDir), n.name).some((f) => f.kind === 'neverReady');
    return ready
      ? new KubeadmError(`error execution phase kubelet-start: a Node with name "${plan.nodeName}" and status "Ready" already exists in the cluster. You must delete the existing Node or change the name of this new joining node`)
      : undefined;
  };
  const conflict = readyConflict(readState(ctx.stateDir));
  if (conflict) throw conflict;

  ctx.out(
    '[kubelet-start] Writing kubelet configuration to file "/var/lib/kubelet/config.yaml"\n[kubelet-start] Writing kubelet environment file with flags to file "/var/lib/kubelet/kubeadm-flags.env"\n[kubelet-start] Starting the kubelet\n[kubelet-check] Waiting for a healthy kubelet. This can take up to 4m0s\n',
  );
  const server = `https://${cluster.controlPlaneEndpoint ?? withPort(plan.endpoint)}`;
  if (nodeFaults.some((f) => f.kind === 'joinHangs')) await hang(ctx);
  const failing = nodeFaults.find((f) => f.kind === 'joinFails');
  if (failing && failing.kind === 'joinFails') {
    await ctx.sleep(config.joinDurationMs);
    // the kubelet was started with the bootstrap kubeconfig; the TLS bootstrap never completed
    writeEtc(ctx, 'pki/ca.crt', cluster.caCertPem, 0o644);
    writeEtc(ctx, 'bootstrap-kubelet.conf', renderKubeconfig({ server, caPem: cluster.caCertPem, user: 'tls-bootstrap-token-user' }));
    updateState(ctx.stateDir, (s) => ({ state: { ...s, hosts: { ...s.hosts, [ctx.hostId]: { kubelet: true, controlPlane: false, nodeName: plan.nodeName } } }, result: undefined }));
    ctx.out('[kubelet-check] The kubelet is healthy after 1.001959261s\n[kubelet-start] Waiting for the kubelet to perform the TLS Bootstrap\n');
    throw new KubeadmError(`error execution phase kubelet-start: ${failing.message ?? 'timed out waiting for the condition'}`);
  }
  await ctx.sleep(config.joinDurationMs);
  const registered = updateState<Cluster | KubeadmError>(ctx.stateDir, (s) => {
    if (!s.cluster) return { state: s, result: new KubeadmError(`error execution phase kubelet-start: ${dialRefused(plan.endpoint)}`) };
    const c = readyConflict(s);
    if (c) return { state: s, result: c };
    const next = registerNode(
      s,
      { name: plan.nodeName, controlPlane: plan.controlPlane, address: plan.address, hostId: ctx.hostId, arch: ctx.arch, labels: plan.labels, taints: plan.taints },
      ctx.now(),
    );
    return { state: next, result: next.cluster! };
  });
  if (registered instanceof KubeadmError) throw registered;
  writeKubeconfigs(ctx, registered, server, plan.nodeName, plan.controlPlane, false);
  ctx.out('[kubelet-check] The kubelet is healthy after 1.001959261s\n[kubelet-start] Waiting for the kubelet to perform the TLS Bootstrap\n');
  if (plan.controlPlane) {
    writeManifests(ctx, registered);
    ctx.out(
      `[etcd] Announced new etcd member joining to the existing etcd cluster\n[etcd] Creating static Pod manifest for "etcd"\n[etcd] Waiting for the new etcd member to join the cluster. This can take up to 40s\n[mark-control-plane] Marking the node ${plan.nodeName} as control-plane by adding the labels: [node-role.kubernetes.io/control-plane node.kubernetes.io/exclude-from-external-load-balancers]\n[mark-control-plane] Marking the node ${plan.nodeName} as control-plane by adding the taints [${registered.nodes[plan.nodeName]!.taints.map(taintString).join(' ')}]\n\nThis node has joined the cluster and a new control plane instance was created:\n\n* Certificate signing request was sent to apiserver and approval was received.\n* The Kubelet was informed of the new secure connection details.\n* Control plane label and taint were applied to the new node.\n* The Kubernetes control plane instances scaled up.\n* A new etcd member was added to the local/stacked etcd cluster.\n\nTo start administering your cluster from this node, you need to run the following as a regular user:\n\n\tmkdir -p $HOME/.kube\n\tsudo cp -i ${ETC_KUBERNETES}/admin.conf $HOME/.kube/config\n\tsudo chown $(id -u):$(id -g) $HOME/.kube/config\n\nRun 'kubectl get nodes' to see this node join the cluster.\n\n`,
    );
  } else {
    ctx.out(
      "\nThis node has joined the cluster:\n* Certificate signing request was sent to apiserver and a response was received.\n* The Kubelet was informed of the new secure connection details.\n\nRun 'kubectl get nodes' on the control-plane to see this node join the cluster.\n\n",
    );
  }
}

// ---------------------------------------------------------------- token

async function token(ctx: SimContext, argv: readonly string[]): Promise<number> {
  const [sub, ...rest] = argv;
  const common: FlagSpecs = { kubeconfig: { type: 'string' }, 'dry-run': { type: 'bool' } };
  switch (sub) {
    case 'create':
      return tokenCreate(ctx, parse(rest, {
        ...common,
        config: { type: 'string' },
        'print-join-command': { type: 'bool' },
        'certificate-key': { type: 'string' },
        ttl: { type: 'string' },
        usages: { type: 'stringSlice' },
        groups: { type: 'stringSlice' },
        description: { type: 'string' },
      }));
    case 'list':
      return tokenList(ctx, parse(rest, { ...common, output: { type: 'string', short: 'o' }, 'allow-missing-template-keys': { type: 'bool' }, 'show-managed-fields': { type: 'bool' } }));
    case 'delete':
      return tokenDelete(ctx, parse(rest, common));
    case 'generate':
      parse(rest, {});
      ctx.out(`${generateToken()}\n`);
      return 0;
    case undefined:
      throw new KubeadmError('missing subcommand; "token" is not meant to be run on its own');
    default:
      throw new KubeadmError(`unknown command "${sub}" for "kubeadm token"`);
  }
}

function tokenCreate(ctx: SimContext, p: ParsedArgs): number {
  const cfg = loadConfigFlag(ctx, p);
  if (p.positionals.length > 1) throw new KubeadmError(`accepts at most 1 arg(s), received ${p.positionals.length}`);
  const tokenText = p.positionals[0] ?? cfg.bootstrapTokens?.[0]?.token ?? generateToken();
  validateToken(tokenText);
  const ttl = parseTtl('ttl', flagString(p, 'ttl') ?? cfg.bootstrapTokens?.[0]?.ttl, DEFAULT_TOKEN_TTL_MS);
  const usages = flagSet(p, 'usages') ? flagList(p, 'usages') : ['signing', 'authentication'];
  for (const u of usages) {
    if (!['signing', 'authentication'].includes(u)) throw new KubeadmError(`invalid bootstrap token usage string: ${u}, valid options are: signing,authentication`);
  }
  const groups = flagSet(p, 'groups') ? flagList(p, 'groups') : undefined;
  for (const g of groups ?? []) {
    if (!/^system:bootstrappers:[a-z0-9:-]{0,255}[a-z0-9]$/.test(g)) throw new KubeadmError(`bootstrap group "${g}" is invalid (must match \\Asystem:bootstrappers:[a-z0-9:-]{0,255}[a-z0-9]\\z)`);
  }
  const certKey = flagString(p, 'certificate-key');
  const printJoin = flagBool(p, 'print-join-command');
  const id = tokenText.slice(0, 6);
  const { cluster, endpoint } = adminClient(
    ctx,
    p,
    (ep) => `failed to create or update bootstrap token with name bootstrap-token-${id}: unable to create Secret: Post "https://${ep}/api/v1/namespaces/kube-system/secrets?timeout=10s": ${dialRefused(ep)}`,
  );
  const rec = newToken(tokenText, ttl, ctx.now(), { description: flagString(p, 'description') ?? cfg.bootstrapTokens?.[0]?.description ?? '', usages, ...(groups ? { groups } : {}) });
  updateState(ctx.stateDir, (s) => ({ state: { ...s, cluster: { ...s.cluster!, tokens: [...s.cluster!.tokens.filter((t) => t.id !== rec.id), rec] } }, result: undefined }));
  if (printJoin) {
    const cmd = joinCommand(endpoint, tokenText, cluster.caHash, certKey ?? null).replaceAll('\\\n', '').replaceAll('\t', '');
    ctx.out(`${cmd}\n`);
  } else {
    if (certKey !== undefined) throw new KubeadmError('cannot use --certificate-key without --print-join-command');
    ctx.out(`${tokenText}\n`);
  }
  return 0;
}

function tokenList(ctx: SimContext, p: ParsedArgs): number {
  if (p.positionals.length > 0) throw new KubeadmError(`unknown command "${p.positionals[0]}" for "kubeadm token list"`);
  const output = flagString(p, 'output') ?? 'text';
  if (!['text', 'json', 'yaml'].includes(output)) {
    throw new KubeadmError(`could not construct output printer: unable to match a printer suitable for the output format "${output}", allowed formats are: json,text,yaml`);
  }
  const { cluster } = adminClient(ctx, p, (ep) => `failed to list bootstrap tokens: Get "https://${ep}/api/v1/namespaces/kube-system/secrets?fieldSelector=type%3Dbootstrap.kubernetes.io%2Ftoken": ${dialRefused(ep)}`);
  const now = ctx.now();
  const tokens = liveTokens(cluster, now);
  if (output === 'text') {
    tokens.forEach((t, i) => {
      const ttl = (t.expires === null ? '<forever>' : shortHumanDuration(t.expires - now)).padEnd(9);
      const expires = t.expires === null ? '<never>' : rfc3339(t.expires);
      const usages = (t.usages.join(',') || '<none>').padEnd(22);
      const description = (t.description || '<none>').padEnd(56);
      const row = `${t.id}.${t.secret}\t${ttl}\t${expires}\t${usages}\t${description}\t${t.groups.join(',') || '<none>'}`;
      ctx.out(tabwrite(i === 0 ? ['TOKEN\tTTL\tEXPIRES\tUSAGES\tDESCRIPTION\tEXTRA GROUPS', row] : [row], 10, 3));
    });
    return 0;
  }
  for (const t of tokens) {
    const o = {
      kind: 'BootstrapToken',
      apiVersion: 'output.kubeadm.k8s.io/v1alpha3',
      token: `${t.id}.${t.secret}`,
      ...(t.description ? { description: t.description } : {}),
      ...(t.expires !== null ? { expires: rfc3339(t.expires) } : {}),
      ...(t.usages.length > 0 ? { usages: t.usages } : {}),
      ...(t.groups.length > 0 ? { groups: t.groups } : {}),
    };
    ctx.out(output === 'json' ? `${JSON.stringify(o, null, 4)}\n` : `${stringify(o)}`);
  }
  return 0;
}

function tokenDelete(ctx: SimContext, p: ParsedArgs): number {
  if (p.positionals.length === 0) {
    throw new KubeadmError(`missing argument; 'token delete' is missing token of form ${TOKEN_PATTERN_Q} or ${TOKEN_ID_PATTERN_Q}`);
  }
  adminClient(ctx, p, (ep) => `failed to delete bootstrap token: ${dialRefused(ep)}`);
  for (const arg of p.positionals) {
    let id = arg;
    if (!TOKEN_ID_RE.test(arg)) {
      const m = TOKEN_RE.exec(arg);
      if (!m) throw new KubeadmError(`given token didn't match pattern ${TOKEN_PATTERN_Q} or ${TOKEN_ID_PATTERN_Q}`);
      id = m[1]!;
    }
    const now = ctx.now();
    const found = updateState(ctx.stateDir, (s) => {
      const c = s.cluster!;
      const exists = liveTokens(c, now).some((t) => t.id === id);
      return { state: { ...s, cluster: { ...c, tokens: c.tokens.filter((t) => t.id !== id) } }, result: exists };
    });
    if (!found) throw new KubeadmError(`failed to delete bootstrap token "${id}": secrets "bootstrap-token-${id}" not found`);
    ctx.out(`bootstrap token "${id}" deleted\n`);
  }
  return 0;
}

// ---------------------------------------------------------------- reset

async function reset(ctx: SimContext, argv: readonly string[]): Promise<number> {
  const p = parse(argv, {
    'cert-dir': { type: 'string' },
    'cleanup-tmp-dir': { type: 'bool' },
    config: { type: 'string' },
    'cri-socket': { type: 'string' },
    'dry-run': { type: 'bool' },
    force: { type: 'bool', short: 'f' },
    'ignore-preflight-errors': { type: 'stringSlice' },
    kubeconfig: { type: 'string' },
    'skip-phases': { type: 'stringSlice' },
  });
  loadConfigFlag(ctx, p);
  const state = readState(ctx.stateDir);
  const host = state.hosts[ctx.hostId];
  const isCp = host?.controlPlane ?? false;
  if (isCp && state.cluster) {
    ctx.out("[reset] Reading configuration from the cluster...\n[reset] FYI: You can look at this config file with 'kubectl -n kube-system get cm kubeadm-config -o yaml'\n");
  }
  if (!flagBool(p, 'force')) {
    ctx.err(`W${klogStamp(ctx.now())} ${process.pid} preflight.go:56] [reset] WARNING: Changes made to this host by 'kubeadm init' or 'kubeadm join' will be reverted.\n`);
    ctx.out('[reset] Are you sure you want to proceed? [y/N]: ');
    const answer = (await ctx.readStdin()).split('\n')[0]!.trim().toLowerCase();
    if (answer !== 'y' && answer !== 'yes') throw new KubeadmError('aborted reset operation');
  }
  ctx.out('[preflight] Running pre-flight checks\n');
  if (isCp) ctx.out('[reset] Deleted contents of the etcd data directory: /var/lib/etcd\n');
  else ctx.err(`W${klogStamp(ctx.now())} ${process.pid} removeetcdmember.go:106] [reset] No kubeadm config, using etcd pod spec to get data directory\n`);
  const files = ['admin.conf', 'super-admin.conf', 'kubelet.conf', 'bootstrap-kubelet.conf', 'controller-manager.conf', 'scheduler.conf'];
  ctx.out(
    `[reset] Stopping the kubelet service\n[reset] Unmounting mounted directories in "/var/lib/kubelet"\n[reset] Deleting contents of directories: [${ETC_KUBERNETES}/manifests /var/lib/kubelet ${ETC_KUBERNETES}/pki]\n[reset] Deleting files: [${files.map((f) => `${ETC_KUBERNETES}/${f}`).join(' ')}]\n`,
  );
  for (const d of ['manifests', 'pki']) {
    const dir = etcPath(ctx, d);
    if (existsSync(dir)) for (const entry of readdirSync(dir)) rmSync(`${dir}/${entry}`, { recursive: true, force: true });
  }
  for (const f of files) rmSync(etcPath(ctx, f), { force: true });
  updateState(ctx.stateDir, (s) => {
    const h = s.hosts[ctx.hostId];
    const hosts = { ...s.hosts, [ctx.hostId]: { kubelet: false, controlPlane: false, nodeName: null } };
    let cluster = s.cluster;
    if (cluster && h?.nodeName && cluster.nodes[h.nodeName]) {
      const n = cluster.nodes[h.nodeName]!;
      cluster = { ...cluster, nodes: { ...cluster.nodes, [n.name]: { ...n, kubeletStopped: ctx.now() } } };
    }
    // the API server is gone once no control-plane host runs one
    if (cluster && h?.controlPlane && !Object.values(hosts).some((x) => x.controlPlane)) cluster = null;
    return { state: { cluster, hosts }, result: undefined };
  });
  ctx.out(`
The reset process does not clean CNI configuration. To do so, you must remove /etc/cni/net.d

The reset process does not reset or clean up iptables rules or IPVS tables.
If you wish to reset iptables, you must do so manually by using the "iptables" command.

If your cluster was setup to utilize IPVS, run ipvsadm --clear (or similar)
to reset your system's IPVS tables.

The reset process does not clean your kubeconfig files and you must remove them manually.
Please, check the contents of the $HOME/.kube/config file.
`);
  return 0;
}
