/**
 * The parts of a kubeadm --config file (kubeadm.k8s.io/v1beta3 or v1beta4) the simulator uses.
 */
import { parseAllDocuments } from 'yaml';
import type { TaintRecord } from './state.js';

export interface KubeadmConfig {
  readonly controlPlaneEndpoint?: string;
  readonly kubernetesVersion?: string;
  readonly podSubnet?: string;
  readonly advertiseAddress?: string;
  readonly bindPort?: number;
  readonly nodeName?: string;
  readonly nodeLabels?: string;
  readonly taints?: readonly TaintRecord[];
  readonly ignorePreflightErrors?: readonly string[];
  readonly bootstrapTokens?: readonly { readonly token?: string; readonly ttl?: string; readonly description?: string }[];
  readonly certificateKey?: string;
  /** JoinConfiguration */
  readonly discoveryToken?: string;
  readonly discoveryEndpoint?: string;
  readonly caCertHashes?: readonly string[];
  readonly unsafeSkipCaVerification?: boolean;
  readonly tlsBootstrapToken?: string;
  readonly joinControlPlane?: boolean;
}

type Obj = Readonly<Record<string, unknown>>;
const obj = (v: unknown): Obj => (v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Obj) : {});
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : typeof v === 'number' ? String(v) : undefined);
const arr = (v: unknown): readonly unknown[] => (Array.isArray(v) ? v : []);

/** kubeletExtraArgs is a map in v1beta3 and a list of {name, value} in v1beta4. */
function extraArg(args: unknown, name: string): string | undefined {
  if (Array.isArray(args)) return str(obj(args.find((a) => obj(a).name === name)).value);
  return str(obj(args)[name]);
}

function nodeRegistration(v: unknown): Partial<KubeadmConfig> {
  const nr = obj(v);
  const taints = nr.taints === undefined ? undefined : arr(nr.taints).map((t) => {
    const o = obj(t);
    const value = str(o.value);
    return { key: str(o.key) ?? '', effect: str(o.effect) ?? '', ...(value !== undefined ? { value } : {}) };
  });
  return {
    ...(str(nr.name) ? { nodeName: str(nr.name) } : {}),
    ...(extraArg(nr.kubeletExtraArgs, 'node-labels') !== undefined ? { nodeLabels: extraArg(nr.kubeletExtraArgs, 'node-labels') } : {}),
    ...(taints ? { taints } : {}),
    ...(nr.ignorePreflightErrors !== undefined ? { ignorePreflightErrors: arr(nr.ignorePreflightErrors).map(String) } : {}),
  };
}

/** API versions of kubeadm's config a kubeadm of `version` (v1.MINOR.PATCH) accepts. */
function supportedApiVersions(version: string): readonly string[] {
  const minor = Number(version.replace(/^v/, '').split('.')[1] ?? '30');
  return minor >= 31 ? ['kubeadm.k8s.io/v1beta3', 'kubeadm.k8s.io/v1beta4'] : ['kubeadm.k8s.io/v1beta3'];
}

/** Parses the config; returns kubeadm's error text on bad YAML or an unknown API version. */
export function parseKubeadmConfig(text: string, version: string): KubeadmConfig | string {
  const docs = parseAllDocuments(text);
  let cfg: KubeadmConfig = {};
  for (const doc of docs) {
    if (doc.errors.length > 0) return `error converting YAML to JSON: ${doc.errors[0]!.message}`;
    const d = obj(doc.toJS());
    const apiVersion = str(d.apiVersion) ?? '';
    const kind = str(d.kind) ?? '';
    if (apiVersion.startsWith('kubeadm.k8s.io/') && !supportedApiVersions(version).includes(apiVersion)) {
      return `no kind "${kind}" is registered for version "${apiVersion}" in scheme "k8s.io/kubernetes/cmd/kubeadm/app/apis/kubeadm/scheme/scheme.go:31"`;
    }
    switch (d.kind) {
      case 'ClusterConfiguration': {
        const net = obj(d.networking);
        cfg = {
          ...cfg,
          ...(str(d.controlPlaneEndpoint) ? { controlPlaneEndpoint: str(d.controlPlaneEndpoint) } : {}),
          ...(str(d.kubernetesVersion) ? { kubernetesVersion: str(d.kubernetesVersion) } : {}),
          ...(str(net.podSubnet) ? { podSubnet: str(net.podSubnet) } : {}),
        };
        break;
      }
      case 'InitConfiguration': {
        const ep = obj(d.localAPIEndpoint);
        cfg = {
          ...cfg,
          ...nodeRegistration(d.nodeRegistration),
          ...(str(ep.advertiseAddress) ? { advertiseAddress: str(ep.advertiseAddress) } : {}),
          ...(typeof ep.bindPort === 'number' ? { bindPort: ep.bindPort } : {}),
          ...(d.bootstrapTokens !== undefined
            ? { bootstrapTokens: arr(d.bootstrapTokens).map((t) => ({ token: str(obj(t).token), ttl: str(obj(t).ttl), description: str(obj(t).description) })) }
            : {}),
          ...(str(d.certificateKey) ? { certificateKey: str(d.certificateKey) } : {}),
        };
        break;
      }
      case 'JoinConfiguration': {
        const disc = obj(d.discovery);
        const bt = obj(disc.bootstrapToken);
        const cp = d.controlPlane === undefined ? undefined : obj(d.controlPlane);
        const ep = obj(cp?.localAPIEndpoint);
        cfg = {
          ...cfg,
          ...nodeRegistration(d.nodeRegistration),
          ...(str(bt.token) ? { discoveryToken: str(bt.token) } : {}),
          ...(str(bt.apiServerEndpoint) ? { discoveryEndpoint: str(bt.apiServerEndpoint) } : {}),
          ...(bt.caCertHashes !== undefined ? { caCertHashes: arr(bt.caCertHashes).map(String) } : {}),
          ...(bt.unsafeSkipCAVerification === true ? { unsafeSkipCaVerification: true } : {}),
          ...(str(disc.tlsBootstrapToken) ? { tlsBootstrapToken: str(disc.tlsBootstrapToken) } : {}),
          ...(cp ? { joinControlPlane: true } : {}),
          ...(cp && str(cp.certificateKey) ? { certificateKey: str(cp.certificateKey) } : {}),
          ...(str(ep.advertiseAddress) ? { advertiseAddress: str(ep.advertiseAddress) } : {}),
        };
        break;
      }
      default:
        break;
    }
  }
  return cfg;
}

/** Flags that may be combined with --config (kubeadm's isAllowedFlag). */
export function allowedWithConfig(flag: string): boolean {
  return (
    ['config', 'ignore-preflight-errors', 'dry-run', 'kubeconfig', 'node-name', 'kubeconfig-dir', 'upload-certs', 'print-manifest',
      'allow-missing-template-keys', 'output', 'show-managed-fields', 'print-join-command', 'rootfs', 'v', 'log-file', 'yes'].includes(flag) ||
    flag.startsWith('skip-')
  );
}
