/**
 * Parses the output of `kubeadm token create --print-join-command` (or the join command in
 * `kubeadm init`'s output). Pure.
 */

export interface JoinCommand {
  /** `host:port` of the API server. */
  readonly endpoint: string;
  readonly token: string;
  readonly caCertHashes: readonly string[];
  readonly controlPlane: boolean;
  readonly certificateKey?: string;
  /** Flags the parser does not know, in order, as written (`--flag=value` or `--flag value`). */
  readonly extraArgs: readonly string[];
  /** The command on one line, single-spaced. */
  readonly command: string;
}

export class JoinCommandError extends Error {}

const VALUE_FLAGS = new Set(['token', 'discovery-token', 'tls-bootstrap-token', 'discovery-token-ca-cert-hash', 'certificate-key']);

/**
 * Finds the last `kubeadm join` command in `output` and parses it: line continuations (`\` + newline),
 * tabs and repeated spaces are whitespace; log lines before it are ignored; `--flag=value` and
 * `--flag value` are both accepted; several `--discovery-token-ca-cert-hash` are kept in order.
 */
export function parseJoinCommand(output: string): JoinCommand {
  const flat = output.replace(/\r/g, '').replace(/\\\n/g, ' ');
  const lines = flat.split('\n');
  let line: string | undefined;
  for (let i = lines.length - 1; i >= 0; i--) {
    if (/(^|\s)kubeadm\s+join(\s|$)/.test(lines[i]!)) {
      line = lines[i]!;
      break;
    }
  }
  if (line === undefined) throw new JoinCommandError('no "kubeadm join" command found in the output');
  const words = line.trim().split(/\s+/);
  const start = words.findIndex((w, i) => w === 'kubeadm' && words[i + 1] === 'join');
  const argv = words.slice(start + 2);

  let endpoint: string | undefined;
  let token: string | undefined;
  let certificateKey: string | undefined;
  let controlPlane = false;
  const hashes: string[] = [];
  const extra: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const word = argv[i]!;
    if (!word.startsWith('-')) {
      if (endpoint === undefined) endpoint = word;
      else extra.push(word);
      continue;
    }
    const eq = word.indexOf('=');
    const name = word.replace(/^--?/, '').slice(0, eq < 0 ? undefined : eq - (word.startsWith('--') ? 2 : 1));
    let value: string | undefined;
    if (eq >= 0) value = word.slice(eq + 1);
    else if (VALUE_FLAGS.has(name)) value = argv[++i];
    if (VALUE_FLAGS.has(name) && (value === undefined || value === '')) throw new JoinCommandError(`--${name} has no value`);
    switch (name) {
      case 'token':
      case 'discovery-token':
        token = value;
        break;
      case 'tls-bootstrap-token':
        token ??= value;
        break;
      case 'discovery-token-ca-cert-hash':
        for (const h of value!.split(',')) if (h !== '' && !hashes.includes(h)) hashes.push(h);
        break;
      case 'certificate-key':
        certificateKey = value;
        break;
      case 'control-plane':
        controlPlane = value === undefined || value === 'true';
        break;
      default: {
        // an unknown flag: keep its value with it when one follows (and is not itself a flag)
        const next = argv[i + 1];
        if (eq < 0 && next !== undefined && !next.startsWith('-') && endpoint !== undefined) {
          extra.push(word, next);
          i++;
        } else {
          extra.push(word);
        }
      }
    }
  }
  if (endpoint === undefined) throw new JoinCommandError('the join command has no API server endpoint');
  if (token === undefined) throw new JoinCommandError('the join command has no --token');
  const parts = ['kubeadm', 'join', endpoint, '--token', token, ...hashes.flatMap((h) => ['--discovery-token-ca-cert-hash', h])];
  if (controlPlane) parts.push('--control-plane');
  if (certificateKey !== undefined) parts.push('--certificate-key', certificateKey);
  parts.push(...extra);
  return {
    endpoint,
    token,
    caCertHashes: hashes,
    controlPlane,
    ...(certificateKey !== undefined ? { certificateKey } : {}),
    extraArgs: extra,
    command: parts.join(' '),
  };
}

/** The certificate key kubeadm init / `init phase upload-certs` printed after "Using certificate key:". */
export function parseCertificateKey(output: string): string | undefined {
  const m = /Using certificate key:\s*\n?\s*([0-9a-f]{64})\b/.exec(output);
  return m?.[1];
}

/** The bootstrap token kubeadm init created ("[bootstrap-token] Using token: X"). */
export function parseInitToken(output: string): string | undefined {
  return /\[bootstrap-token\] Using token: ([a-z0-9]{6}\.[a-z0-9]{16})\b/.exec(output)?.[1];
}

/** Every `sha256:` CA hash in kubeadm init's output, in order. */
export function parseCaHashes(output: string): string[] {
  const out: string[] = [];
  for (const m of output.matchAll(/--discovery-token-ca-cert-hash[ =](sha256:[0-9a-f]{64})\b/g)) if (!out.includes(m[1]!)) out.push(m[1]!);
  return out;
}

/** Bootstrap tokens in `kubeadm token list` output (table or JSON stream). */
export function listedTokens(output: string): string[] {
  return [...output.matchAll(/\b([a-z0-9]{6}\.[a-z0-9]{16})\b/g)].map((m) => m[1]!);
}
