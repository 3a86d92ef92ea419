import { createHash, createHmac } from 'node:crypto';

/**
 * known_hosts handling, as OpenSSH does it (sshd(8) "SSH_KNOWN_HOSTS FILE FORMAT").
 * Pure: callers read the files and pass the text in.
 */

export type HostKeyChecking = 'yes' | 'accept-new' | 'off';

export interface KnownHostEntry {
  readonly file: string;
  /** 1-based line number in `file`. */
  readonly line: number;
  readonly marker?: 'revoked' | 'cert-authority';
  /** The host field: comma-separated patterns, or one `|1|salt|hash` hashed name. */
  readonly hosts: string;
  readonly keyType: string;
  readonly keyBase64: string;
}

/** Parses one known_hosts file. Comments, blank and malformed lines are skipped. */
export function parseKnownHosts(text: string, file: string): KnownHostEntry[] {
  const entries: KnownHostEntry[] = [];
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const trimmed = lines[i].trim();
    if (trimmed === '' || trimmed.startsWith('#')) continue;
    const fields = trimmed.split(/\s+/);
    let marker: KnownHostEntry['marker'];
    if (fields[0].startsWith('@')) {
      const m = fields.shift();
      if (m === '@revoked') marker = 'revoked';
      else if (m === '@cert-authority') marker = 'cert-authority';
      else continue;
    }
    if (fields.length < 3) continue;
    const [hosts, keyType, keyBase64] = fields;
    if (!/^[A-Za-z0-9+/]+={0,2}$/.test(keyBase64)) continue;
    entries.push({ file, line: i + 1, marker, hosts, keyType, keyBase64 });
  }
  return entries;
}

/** The name OpenSSH looks up: `host` on port 22, `[host]:port` otherwise. */
export function hostLookupName(host: string, port: number): string {
  const h = host.toLowerCase();
  return port === 22 ? h : `[${h}]:${port}`;
}

/** `*` and `?` wildcards, case-insensitive, as in ssh's match_pattern(). */
export function wildcardMatch(pattern: string, text: string): boolean {
  const p = pattern.toLowerCase();
  const t = text.toLowerCase();
  // Iterative glob with backtracking on the last `*`.
  let pi = 0;
  let ti = 0;
  let starP = -1;
  let starT = 0;
  while (ti < t.length) {
    if (pi < p.length && (p[pi] === '?' || p[pi] === t[ti])) {
      pi++;
      ti++;
    } else if (pi < p.length && p[pi] === '*') {
      starP = pi++;
      starT = ti;
    } else if (starP >= 0) {
      pi = starP + 1;
      ti = ++starT;
    } else {
      return false;
    }
  }
  while (pi < p.length && p[pi] === '*') pi++;
  return pi === p.length;
}

/** HMAC-SHA1 of `name` keyed by the salt, base64: the `|1|salt|hash` form of HashKnownHosts. */
export function hashHostName(name: string, saltBase64: string): string {
  return createHmac('sha1', Buffer.from(saltBase64, 'base64')).update(name).digest('base64');
}

/**
 * Whether a known_hosts host field matches `name` (already in `[host]:port` form when needed).
 * A negated pattern that matches makes the whole line not match.
 */
export function hostFieldMatches(hosts: string, name: string): boolean {
  if (hosts.startsWith('|1|')) {
    const parts = hosts.split('|');
    if (parts.length !== 4) return false;
    return hashHostName(name, parts[2]) === parts[3];
  }
  let matched = false;
  for (const raw of hosts.split(',')) {
    if (raw === '') continue;
    const negated = raw.startsWith('!');
    const pattern = negated ? raw.slice(1) : raw;
    if (wildcardMatch(pattern, name)) {
      if (negated) return false;
      matched = true;
    }
  }
  return matched;
}

export type HostKeyVerdict =
  | { readonly kind: 'match'; readonly entry: KnownHostEntry }
  | { readonly kind: 'revoked'; readonly entry: KnownHostEntry }
  | { readonly kind: 'changed'; readonly entries: readonly KnownHostEntry[] }
  | { readonly kind: 'unknown'; readonly otherTypes: readonly string[] };

/**
 * Checks a presented key against all entries. Order of precedence as in OpenSSH: a revoked key is
 * refused even when another line lists it; a listed key matches; a different key of the same type
 * is a changed key; otherwise the key is unknown (possibly with keys of other types known).
 */
export function checkHostKey(
  entries: readonly KnownHostEntry[],
  name: string,
  keyType: string,
  keyBase64: string,
): HostKeyVerdict {
  const forHost = entries.filter((e) => e.marker !== 'cert-authority' && hostFieldMatches(e.hosts, name));
  const revoked = forHost.find((e) => e.marker === 'revoked' && e.keyBase64 === keyBase64);
  if (revoked) return { kind: 'revoked', entry: revoked };
  const plain = forHost.filter((e) => e.marker === undefined);
  const exact = plain.find((e) => e.keyType === keyType && e.keyBase64 === keyBase64);
  if (exact) return { kind: 'match', entry: exact };
  const sameType = plain.filter((e) => e.keyType === keyType);
  if (sameType.length > 0) return { kind: 'changed', entries: sameType };
  return { kind: 'unknown', otherTypes: [...new Set(plain.map((e) => e.keyType))] };
}

/** Host key algorithms to offer first, so the server presents a key type we already know. */
export function preferredHostKeyAlgorithms(entries: readonly KnownHostEntry[], name: string): string[] {
  const out: string[] = [];
  for (const e of entries) {
    if (e.marker !== undefined || !hostFieldMatches(e.hosts, name)) continue;
    const algos = e.keyType === 'ssh-rsa' ? ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'] : [e.keyType];
    for (const a of algos) if (!out.includes(a)) out.push(a);
  }
  return out;
}

/** The key type string at the start of an SSH public key blob. */
export function keyTypeOfBlob(blob: Buffer): string {
  if (blob.length < 4) return 'unknown';
  const len = blob.readUInt32BE(0);
  if (len > blob.length - 4) return 'unknown';
  return blob.subarray(4, 4 + len).toString('latin1');
}

/** `SHA256:...` as printed by `ssh-keygen -l`. */
export function fingerprintSha256(blob: Buffer): string {
  return `SHA256:${createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`;
}

/** `ED25519`, `RSA`, `ECDSA`... as OpenSSH names key types in messages. */
export function keyTypeLabel(keyType: string): string {
  if (keyType === 'ssh-ed25519') return 'ED25519';
  if (keyType === 'ssh-rsa') return 'RSA';
  if (keyType.startsWith('ecdsa-')) return 'ECDSA';
  if (keyType === 'ssh-dss') return 'DSA';
  return keyType.replace(/^ssh-/, '').toUpperCase();
}

/** One line to append for accept-new. */
export function knownHostsLine(name: string, keyType: string, keyBase64: string): string {
  return `${name} ${keyType} ${keyBase64}\n`;
}
