/**
 * Kubernetes name, label and taint syntax (k8s.io/apimachinery/pkg/util/validation), so a hostile
 * value is rejected before any command is built. Pure functions.
 */
import { ModuleFailure } from '../types.js';

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const QUALIFIED_NAME = /^([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

/** Why `name` is not an RFC 1123 subdomain (a valid Node name), or undefined when it is. */
export function nodeNameProblem(name: string): string | undefined {
  if (name === '') return 'it is empty';
  if (name.length > 253) return 'it is longer than 253 characters';
  for (const part of name.split('.')) {
    if (!DNS1123_LABEL.test(part) || part.length > 63) {
      return 'a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, \'-\' or \'.\', and must start and end with an alphanumeric character';
    }
  }
  return undefined;
}

/** Throws a ModuleFailure unless `name` is a valid Node name. */
export function assertNodeName(name: string, what = 'node name'): string {
  const problem = nodeNameProblem(name);
  if (problem !== undefined) throw new ModuleFailure(`invalid ${what} ${JSON.stringify(name)}: ${problem}`);
  return name;
}

/** Why `key` is not a qualified name (`[prefix/]name`), or undefined. Used for label and taint keys. */
export function qualifiedKeyProblem(key: string): string | undefined {
  if (key === '') return 'it is empty';
  const parts = key.split('/');
  if (parts.length > 2) return "a qualified name may contain at most one '/'";
  const name = parts[parts.length - 1]!;
  if (parts.length === 2) {
    const prefix = parts[0]!;
    if (prefix === '') return 'the prefix part must be non-empty';
    if (nodeNameProblem(prefix) !== undefined) return `the prefix ${JSON.stringify(prefix)} must be a DNS subdomain (lower case alphanumerics, '-' and '.')`;
  }
  if (name === '') return 'the name part must be non-empty';
  if (name.length > 63) return 'the name part must be no more than 63 characters';
  if (!QUALIFIED_NAME.test(name)) {
    return "the name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character";
  }
  return undefined;
}

/** Why `value` is not a valid label (or taint) value, or undefined. */
export function labelValueProblem(value: string): string | undefined {
  if (value.length > 63) return 'it must be no more than 63 characters';
  if (!LABEL_VALUE.test(value)) {
    return "it must be empty or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character";
  }
  return undefined;
}

export function assertLabel(key: string, value: string | undefined): void {
  const keyProblem = qualifiedKeyProblem(key);
  if (keyProblem !== undefined) throw new ModuleFailure(`invalid label key ${JSON.stringify(key)}: ${keyProblem}`);
  if (value !== undefined) {
    const valueProblem = labelValueProblem(value);
    if (valueProblem !== undefined) throw new ModuleFailure(`invalid value ${JSON.stringify(value)} for label ${key}: ${valueProblem}`);
  }
}

export const TAINT_EFFECTS = ['NoSchedule', 'PreferNoSchedule', 'NoExecute'] as const;
export type TaintEffect = (typeof TAINT_EFFECTS)[number];

export interface Taint {
  readonly key: string;
  readonly value?: string;
  readonly effect: TaintEffect;
}

function isEffect(text: string): text is TaintEffect {
  return (TAINT_EFFECTS as readonly string[]).includes(text);
}

/** Validates a taint's parts; returns the typed taint. */
export function makeTaint(key: string, value: string | undefined, effect: string): Taint {
  const keyProblem = qualifiedKeyProblem(key);
  if (keyProblem !== undefined) throw new ModuleFailure(`invalid taint key ${JSON.stringify(key)}: ${keyProblem}`);
  if (value !== undefined && value !== '') {
    const valueProblem = labelValueProblem(value);
    if (valueProblem !== undefined) throw new ModuleFailure(`invalid value ${JSON.stringify(value)} for taint ${key}: ${valueProblem}`);
  }
  if (!isEffect(effect)) {
    throw new ModuleFailure(`invalid taint effect ${JSON.stringify(effect)} for taint ${key}: must be one of ${TAINT_EFFECTS.join(', ')}`);
  }
  return value === undefined || value === '' ? { key, effect } : { key, value, effect };
}

/** Parses kubectl's taint syntax `key[=value]:Effect`. */
export function parseTaint(text: string): Taint {
  const colon = text.lastIndexOf(':');
  if (colon < 0) throw new ModuleFailure(`invalid taint ${JSON.stringify(text)}: expected key[=value]:Effect with Effect one of ${TAINT_EFFECTS.join(', ')}`);
  const spec = text.slice(0, colon);
  const effect = text.slice(colon + 1);
  const eq = spec.indexOf('=');
  return eq < 0 ? makeTaint(spec, undefined, effect) : makeTaint(spec.slice(0, eq), spec.slice(eq + 1), effect);
}

/** `key[=value]:Effect`, as kubectl prints and takes it. */
export function taintString(t: Taint): string {
  return `${t.key}${t.value !== undefined && t.value !== '' ? `=${t.value}` : ''}:${t.effect}`;
}

/**
 * Labels the kubelet may set on its own Node with --node-labels (the NodeRestriction rules):
 * anything outside the kubernetes.io / k8s.io namespaces, plus these.
 */
const KUBELET_ALLOWED_LABELS = new Set([
  'kubernetes.io/hostname',
  'kubernetes.io/instance-type',
  'kubernetes.io/os',
  'kubernetes.io/arch',
  'beta.kubernetes.io/instance-type',
  'beta.kubernetes.io/os',
  'beta.kubernetes.io/arch',
  'failure-domain.beta.kubernetes.io/zone',
  'failure-domain.beta.kubernetes.io/region',
  'topology.kubernetes.io/zone',
  'topology.kubernetes.io/region',
  'node.kubernetes.io/instance-type',
]);

/** Whether the kubelet accepts `key` in --node-labels (otherwise it refuses to start). */
export function kubeletMaySetLabel(key: string): boolean {
  const slash = key.indexOf('/');
  if (slash < 0) return true;
  const prefix = key.slice(0, slash);
  const restricted = prefix === 'kubernetes.io' || prefix.endsWith('.kubernetes.io') || prefix === 'k8s.io' || prefix.endsWith('.k8s.io');
  if (!restricted) return true;
  if (KUBELET_ALLOWED_LABELS.has(key)) return true;
  return prefix === 'kubelet.kubernetes.io' || prefix.endsWith('.kubelet.kubernetes.io') || prefix === 'node.kubernetes.io' || prefix.endsWith('.node.kubernetes.io');
}

const TOKEN_RE = /^([a-z0-9]{6})\.([a-z0-9]{16})$/;
const TOKEN_ID_RE = /^[a-z0-9]{6}$/;

export function isBootstrapToken(text: string): boolean {
  return TOKEN_RE.test(text);
}

/** The public ID part of a bootstrap token (or a bare ID). */
export function tokenId(text: string): string | undefined {
  if (TOKEN_ID_RE.test(text)) return text;
  return TOKEN_RE.exec(text)?.[1];
}

const CA_HASH_RE = /^sha256:[0-9a-f]{64}$/;

export function assertCaHash(hash: string): string {
  const h = hash.trim().toLowerCase();
  if (!CA_HASH_RE.test(h)) throw new ModuleFailure(`invalid CA certificate hash ${JSON.stringify(hash)}: expected sha256:<64 hex digits>`);
  return h;
}

export interface Endpoint {
  readonly host: string;
  readonly port: number;
  /** `host:port` (IPv6 hosts in brackets). */
  readonly text: string;
}

/** Parses `host[:port]` / `[v6]:port` (default port 6443); rejects anything that is not a hostname or IP. */
export function parseEndpoint(text: string, defaultPort = 6443): Endpoint {
  const raw = text.trim().replace(/^https:\/\//, '').replace(/\/$/, '');
  let host: string;
  let port = defaultPort;
  const v6 = /^\[([0-9A-Fa-f:.]+)\](?::(\d+))?$/.exec(raw);
  if (v6) {
    host = v6[1]!;
    if (v6[2] !== undefined) port = Number(v6[2]);
  } else {
    const m = /^([A-Za-z0-9.-]+)(?::(\d+))?$/.exec(raw);
    if (!m) throw new ModuleFailure(`invalid API endpoint ${JSON.stringify(text)}: expected host:port`);
    host = m[1]!;
    if (m[2] !== undefined) port = Number(m[2]);
  }
  if (!(port > 0 && port < 65536)) throw new ModuleFailure(`invalid API endpoint ${JSON.stringify(text)}: bad port`);
  if (!v6 && nodeNameProblem(host.toLowerCase()) !== undefined && !/^\d+\.\d+\.\d+\.\d+$/.test(host)) {
    throw new ModuleFailure(`invalid API endpoint ${JSON.stringify(text)}: ${JSON.stringify(host)} is not a host name or IP address`);
  }
  return { host, port, text: v6 ? `[${host}]:${port}` : `${host}:${port}` };
}

/** Parses a Go duration (`30m`, `1h30m`, `90s`, `0`) or a number of seconds; returns milliseconds. */
export function parseDuration(value: unknown, what: string): number {
  if (typeof value === 'number' && Number.isFinite(value) && value >= 0) return value * 1000;
  if (typeof value === 'string') {
    const text = value.trim();
    if (/^\d+(\.\d+)?$/.test(text)) return Number(text) * 1000;
    const re = /(\d+(?:\.\d+)?)(ms|s|m|h)/gy;
    let total = 0;
    let consumed = 0;
    for (let m = re.exec(text); m; m = re.exec(text)) {
      const n = Number(m[1]);
      total += m[2] === 'ms' ? n : m[2] === 's' ? n * 1000 : m[2] === 'm' ? n * 60_000 : n * 3_600_000;
      consumed = re.lastIndex;
    }
    if (consumed === text.length && text.length > 0) return total;
  }
  throw new ModuleFailure(`invalid ${what} ${JSON.stringify(value)}: expected a duration such as 30m, 1h30m or 90s`);
}

/** A Go duration string for `ms` (`30m0s`), as kubeadm prints and takes it. */
export function goDuration(ms: number): string {
  const total = Math.round(ms / 1000);
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  if (h > 0) return `${h}h${m}m${s}s`;
  if (m > 0) return `${m}m${s}s`;
  return `${s}s`;
}
