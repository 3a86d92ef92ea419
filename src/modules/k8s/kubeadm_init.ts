/**
 * kubeadm_init: initializes the first control-plane node, idempotently. Returns the CA cert hash
 * and (with upload_certs) the certificate key; the bootstrap token kubeadm init makes is short-lived
 * (--token-ttl) or deleted, so no long-lived token outlives the run.
 */
import { stringify } from 'yaml';
import type { JsonSchema, Module, ModuleContext, ModuleResult } from '../types.js';
import { ModuleFailure } from '../types.js';
import { argBool, argString } from '../util/args.js';
import {
  KUBERNETES_DIR_SCHEMA, adminConf, fileExists, inventoryHostname, kubeadm, kubeadmErrorLine, kubectl, kubernetesDir, removeTemp, scrub, stringList,
  tempConfigPath,
} from './common.js';
import { parseCaHashes, parseCertificateKey, parseInitToken, parseJoinCommand } from './join-command.js';
import { assertNodeName, goDuration, parseDuration, parseEndpoint, tokenId } from './validate.js';
import { shellQuote } from '../util/quote.js';

type Args = Readonly<Record<string, unknown>>;

const schema: JsonSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    control_plane_endpoint: { type: 'string', description: 'Stable endpoint (load balancer) host:port for all control planes; required to join more control planes.' },
    pod_network_cidr: { type: 'string', description: 'Pod network CIDR (--pod-network-cidr), e.g. 10.244.0.0/16.' },
    service_cidr: { type: 'string', description: 'Service CIDR (--service-cidr).' },
    kubernetes_version: { type: 'string', description: 'Kubernetes version (--kubernetes-version), e.g. 1.30.2.' },
    upload_certs: { type: ['boolean', 'string'], default: false, description: 'Upload the control-plane certificates (--upload-certs) and return the certificate_key for joining control planes.' },
    node_name: { type: 'string', description: 'Node name; defaults to inventory_hostname.' },
    cri_socket: { type: 'string', description: 'CRI socket (--cri-socket).' },
    apiserver_advertise_address: { type: 'string', description: 'Address the API server advertises (--apiserver-advertise-address).' },
    token_ttl: { type: ['string', 'integer'], default: '15m', description: 'Lifetime of the bootstrap token kubeadm init creates (--token-ttl). With `config`, that token is deleted instead.' },
    extra_args: { type: ['array', 'string'], items: { type: 'string' }, description: 'More kubeadm init arguments, each one word (quoted for the shell).' },
    config: {
      type: ['object', 'array'],
      description:
        'A kubeadm configuration (one document as a mapping, or a list of documents: InitConfiguration, ClusterConfiguration, ...). Written to a 0600 temp file and passed with --config; then the flags above (except node_name, upload_certs) cannot be used.',
    },
    kubernetes_dir: KUBERNETES_DIR_SCHEMA,
  },
};

/** Flags kubeadm refuses next to --config. */
const FLAG_ARGS = ['control_plane_endpoint', 'pod_network_cidr', 'service_cidr', 'kubernetes_version', 'cri_socket', 'apiserver_advertise_address'] as const;

const CIDR = /^[0-9A-Fa-f:.]+\/\d{1,3}(,[0-9A-Fa-f:.]+\/\d{1,3})?$/;

function cidr(args: Args, key: string): string | undefined {
  const v = argString(args, key);
  if (v !== undefined && !CIDR.test(v)) throw new ModuleFailure(`${key} must be a CIDR such as 10.244.0.0/16, got ${JSON.stringify(v)}`);
  return v;
}

/** The kubeadm init command (without --config) from the arguments. */
export function initFlags(args: Args, nodeName: string): string[] {
  const argv: string[] = ['--node-name', nodeName];
  const cpe = argString(args, 'control_plane_endpoint');
  if (cpe !== undefined) argv.push('--control-plane-endpoint', parseEndpoint(cpe).text);
  const pod = cidr(args, 'pod_network_cidr');
  if (pod !== undefined) argv.push('--pod-network-cidr', pod);
  const svc = cidr(args, 'service_cidr');
  if (svc !== undefined) argv.push('--service-cidr', svc);
  const version = argString(args, 'kubernetes_version');
  if (version !== undefined) {
    if (!/^(v?\d+\.\d+(\.\d+)?([-+][0-9A-Za-z.-]+)?|stable(-\d+(\.\d+)?)?|latest(-\d+(\.\d+)?)?)$/.test(version)) throw new ModuleFailure(`kubernetes_version ${JSON.stringify(version)} is not a version`);
    argv.push('--kubernetes-version', version);
  }
  const cri = argString(args, 'cri_socket');
  if (cri !== undefined) argv.push('--cri-socket', cri);
  const adv = argString(args, 'apiserver_advertise_address');
  if (adv !== undefined) {
    if (!/^[0-9A-Fa-f:.]+$/.test(adv)) throw new ModuleFailure(`apiserver_advertise_address must be an IP address, got ${JSON.stringify(adv)}`);
    argv.push('--apiserver-advertise-address', adv);
  }
  argv.push('--token-ttl', goDuration(parseDuration(args.token_ttl ?? '15m', 'token_ttl')));
  return argv;
}

/** The config YAML: one mapping or a list of documents. */
export function configYaml(config: unknown): string {
  const docs = Array.isArray(config) ? config : [config];
  for (const d of docs) {
    if (d === null || typeof d !== 'object' || Array.isArray(d)) throw new ModuleFailure('config must be a mapping or a list of mappings (kubeadm configuration documents)');
  }
  return docs.map((d) => stringify(d)).join('---\n');
}

/** The CA hash the way the kubeadm docs compute it. */
export function caHashScript(dir: string): string {
  return `openssl x509 -pubkey -in ${shellQuote(`${dir}/pki/ca.crt`)} | openssl rsa -pubin -outform der 2>/dev/null | openssl dgst -sha256 -hex | sed 's/^.* //'`;
}

async function computeCaHash(ctx: ModuleContext, dir: string): Promise<string | undefined> {
  const r = await ctx.probe(caHashScript(dir));
  const hex = r.stdout.trim();
  return r.rc === 0 && /^[0-9a-f]{64}$/.test(hex) ? `sha256:${hex}` : undefined;
}

export async function runKubeadmInit(args: Args, ctx: ModuleContext): Promise<ModuleResult> {
  const dir = kubernetesDir(args, ctx);
  const admin = adminConf(dir);
  const nodeName = assertNodeName(argString(args, 'node_name') ?? inventoryHostname(ctx));
  const uploadCerts = argBool(args, 'upload_certs', false);
  const config = args.config;
  const extra = stringList(args, 'extra_args');

  if (config !== undefined && config !== null) {
    const mixed = FLAG_ARGS.filter((k) => args[k] !== undefined && args[k] !== null);
    if (mixed.length > 0) throw new ModuleFailure(`with config, put ${mixed.join(', ')} in the configuration documents: kubeadm cannot mix --config with those flags`);
  }

  // idempotency: an admin.conf whose API answers means the cluster is up
  if (await fileExists(ctx, admin)) {
    const r = await ctx.probe(kubectl(admin, 'get', 'nodes', '-o', 'name'));
    if (r.rc !== 0) {
      throw new ModuleFailure(
        `${admin} exists but the API server does not answer (${r.stderr.trim().split('\n').pop() ?? `rc ${r.rc}`}); not running kubeadm init over an existing control plane — reset it with kubeadm_reset to start over`,
      );
    }
    const hash = await computeCaHash(ctx, dir);
    return {
      changed: false,
      msg: `the control plane on ${nodeName} is already initialized`,
      values: { node_name: nodeName, initialized: true, ca_cert_hash: hash ?? null, ca_cert_hashes: hash ? [hash] : [], kubeconfig: admin },
    };
  }

  const useConfig = config !== undefined && config !== null;
  const path = useConfig ? tempConfigPath('kubeadm-init') : undefined;
  const argv = ['init', ...(useConfig ? ['--config', path!, '--node-name', nodeName] : initFlags(args, nodeName))];
  if (uploadCerts) argv.push('--upload-certs');
  argv.push(...extra);
  if (ctx.check) {
    await ctx.run(kubeadm(...argv));
    return { changed: true, msg: `would initialize the control plane on ${nodeName}`, values: { node_name: nodeName, initialized: false, kubeconfig: admin } };
  }

  ctx.progress('initializing the control plane');
  let res;
  try {
    if (path !== undefined) await ctx.put({ content: configYaml(config) }, path, { mode: '0600' });
    res = await ctx.run(kubeadm(...argv));
  } finally {
    if (path !== undefined) await removeTemp(ctx, path);
  }
  const certificateKey = parseCertificateKey(res.stdout);
  const initToken = parseInitToken(res.stdout);
  const secrets = [certificateKey, initToken];
  const stdout = scrub(res.stdout, secrets);
  const stderr = scrub(res.stderr, secrets);
  if (res.rc !== 0) {
    const detail = kubeadmErrorLine(stderr, stdout);
    const port = /Port (\d+) is in use/.exec(detail);
    const why = port ? `port ${port[1]} is in use on ${nodeName} (a control plane or kubelet already runs there; reset it first)` : /already exists/.test(detail) ? `kubeadm files already exist on ${nodeName} (reset it first)` : 'kubeadm init failed';
    throw new ModuleFailure(`${why}: ${detail}`, { rc: res.rc, stdout, stderr, changed: true });
  }

  const warnings: string[] = [];
  // The token kubeadm init made is never used (joins mint their own), so it is deleted; with flags it
  // also had a short --token-ttl in case the delete fails, with --config the config's TTL (24h default).
  if (initToken !== undefined) {
    const d = await ctx.run(kubeadm('token', 'delete', tokenId(initToken)!, '--kubeconfig', admin));
    if (d.rc !== 0) warnings.push(`could not delete the bootstrap token kubeadm init created (${tokenId(initToken)}): ${d.stderr.trim()}`);
  }

  let hashes = parseCaHashes(res.stdout);
  let endpoint: string | null = null;
  try {
    endpoint = parseJoinCommand(res.stdout).endpoint;
  } catch {
    endpoint = null;
  }
  if (hashes.length === 0) {
    const h = await computeCaHash(ctx, dir);
    if (h !== undefined) hashes = [h];
  }
  if (hashes.length === 0) warnings.push('could not find the CA certificate hash in the kubeadm init output nor compute it with openssl');
  for (const w of warnings) ctx.warn(w);
  ctx.progress('initialized');
  return {
    changed: true,
    msg: `initialized the control plane on ${nodeName}`,
    values: {
      node_name: nodeName,
      initialized: true,
      endpoint,
      ca_cert_hash: hashes[0] ?? null,
      ca_cert_hashes: hashes,
      ...(certificateKey !== undefined ? { certificate_key: certificateKey } : {}),
      kubeconfig: admin,
      rc: res.rc,
      stdout,
      stderr,
    },
  };
}

export const kubeadmInitModule: Module = {
  name: 'kubeadm_init',
  description:
    'Initializes the first control-plane node with kubeadm init (flags or a kubeadm config), idempotently: an admin.conf whose API answers means done. Returns ca_cert_hash and, with upload_certs, the certificate_key (secret). The bootstrap token kubeadm init makes gets a short TTL (token_ttl, 15m) or is deleted.',
  args: schema,
  checkMode: 'full',
  secrets: ['certificate_key'],
  run: runKubeadmInit,
};
