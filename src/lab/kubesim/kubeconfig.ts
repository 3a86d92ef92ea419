/**
 * kubeconfig files as kubeadm writes them, and the little of them kubectl needs to read back.
 * The client credentials are placeholders (base64 of a random blob), not valid certificates; the
 * cluster CA data is the real CA certificate.
 */
import { randomBytes } from 'node:crypto';
import { parse, stringify } from 'yaml';

export interface KubeconfigSpec {
  readonly server: string;
  readonly caPem: string;
  readonly user: string;
  /** kubelet.conf points at the rotated client certificate file instead of embedding data. */
  readonly clientCertFile?: string;
}

const placeholder = (): string => Buffer.from(`-----BEGIN KUBESIM PLACEHOLDER-----\n${randomBytes(48).toString('base64')}\n-----END KUBESIM PLACEHOLDER-----\n`).toString('base64');

export function renderKubeconfig(spec: KubeconfigSpec): string {
  const context = `${spec.user}@kubernetes`;
  const user = spec.clientCertFile
    ? { 'client-certificate': spec.clientCertFile, 'client-key': spec.clientCertFile }
    : { 'client-certificate-data': placeholder(), 'client-key-data': placeholder() };
  return stringify({
    apiVersion: 'v1',
    clusters: [{ cluster: { 'certificate-authority-data': Buffer.from(spec.caPem).toString('base64'), server: spec.server }, name: 'kubernetes' }],
    contexts: [{ context: { cluster: 'kubernetes', user: spec.user }, name: context }],
    'current-context': context,
    kind: 'Config',
    preferences: {},
    users: [{ name: spec.user, user }],
  });
}

export interface KubeconfigView {
  /** e.g. https://10.0.0.1:6443 */
  readonly server: string;
  readonly caPem: string | undefined;
}

interface RawKubeconfig {
  readonly 'current-context'?: string;
  readonly contexts?: readonly { readonly name?: string; readonly context?: { readonly cluster?: string } }[];
  readonly clusters?: readonly { readonly name?: string; readonly cluster?: { readonly server?: string; readonly 'certificate-authority-data'?: string } }[];
}

/** The current context's server and CA, or an error text. */
export function readKubeconfig(text: string): KubeconfigView | string {
  let raw: RawKubeconfig;
  try {
    raw = (parse(text) ?? {}) as RawKubeconfig;
  } catch (e) {
    return `error loading config file: ${(e as Error).message}`;
  }
  const ctxName = raw['current-context'];
  const ctx = raw.contexts?.find((c) => c.name === ctxName);
  const cluster = raw.clusters?.find((c) => c.name === ctx?.context?.cluster) ?? raw.clusters?.[0];
  const server = cluster?.cluster?.server;
  if (!server) return 'invalid configuration: no configuration has been provided, try setting KUBERNETES_MASTER environment variable';
  const caData = cluster?.cluster?.['certificate-authority-data'];
  return { server, caPem: caData ? Buffer.from(caData, 'base64').toString('utf8') : undefined };
}

/** host:port of an https:// server URL. */
export function hostPort(server: string): string {
  return server.replace(/^https?:\/\//, '').replace(/\/.*$/, '');
}
