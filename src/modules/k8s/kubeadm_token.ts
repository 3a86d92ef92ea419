/**
 * kubeadm_token: mints (or reuses, or deletes) a short-lived bootstrap token on a control-plane host.
 */
import type { JsonSchema, Module, ModuleContext, ModuleResult } from '../types.js';
import { ModuleFailure } from '../types.js';
import { argBool, argString } from '../util/args.js';
import { KUBERNETES_DIR_SCHEMA, adminConf, kubeadm, kubeadmErrorLine, kubernetesDir, scrub } from './common.js';
import { JoinCommandError, listedTokens, parseCertificateKey, parseJoinCommand } from './join-command.js';
import { goDuration, parseDuration, tokenId } from './validate.js';

type Args = Readonly<Record<string, unknown>>;

/** The token value a check-mode placeholder carries: it can never be a real bootstrap token. */
export const PLACEHOLDER_TOKEN = 'check-mode-placeholder';

/** What kubeadm_token returns (and takes back as `existing`). */
export interface TokenResult {
  readonly endpoint: string;
  readonly token: string;
  readonly token_id: string;
  readonly ca_cert_hashes: readonly string[];
  readonly join_command: string;
  readonly created_at: string;
  readonly expires_at: string | null;
  readonly certificate_key?: string;
  readonly check_mode_placeholder?: boolean;
}

const schema: JsonSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    state: { enum: ['present', 'absent'], default: 'present', description: '`present` mints a token (or reuses `existing`); `absent` deletes the token given in `token` or `existing`.' },
    ttl: { type: ['string', 'integer'], default: '30m', description: 'Lifetime of a new token (Go duration such as 30m, or seconds).' },
    max_age: { type: ['string', 'integer'], default: '20m', description: '`existing` is reused only while younger than this.' },
    existing: {
      type: ['object', 'null'],
      description: 'A previous result of this module (registered). It is returned unchanged when it is younger than `max_age` and the cluster still lists the token.',
    },
    token: { type: 'string', description: 'With `state: absent`: the token (or its 6-character ID) to delete.' },
    description: { type: 'string', description: 'Description stored with a new token.' },
    upload_certs: {
      type: ['boolean', 'string'],
      default: false,
      description:
        'Also run `kubeadm init phase upload-certs --upload-certs` and return its `certificate_key` (secret), for joining control-plane nodes. The uploaded certificates expire after two hours.',
    },
    kubeconfig: { type: 'string', description: 'Admin kubeconfig; defaults to admin.conf in `kubernetes_dir`.' },
    kubernetes_dir: KUBERNETES_DIR_SCHEMA,
  },
};

function record(value: unknown): Readonly<Record<string, unknown>> | undefined {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}

/** A usable previous result, or undefined. */
export function existingToken(value: unknown): TokenResult | undefined {
  const r = record(value);
  if (!r || r.check_mode_placeholder === true || r.skipped === true || r.failed === true) return undefined;
  if (typeof r.token !== 'string' || typeof r.endpoint !== 'string' || typeof r.created_at !== 'string' || !Array.isArray(r.ca_cert_hashes)) return undefined;
  if (tokenId(r.token) === undefined) return undefined;
  return {
    endpoint: r.endpoint,
    token: r.token,
    token_id: tokenId(r.token)!,
    ca_cert_hashes: r.ca_cert_hashes.map(String),
    join_command: typeof r.join_command === 'string' ? r.join_command : '',
    created_at: r.created_at,
    expires_at: typeof r.expires_at === 'string' ? r.expires_at : null,
    ...(typeof r.certificate_key === 'string' ? { certificate_key: r.certificate_key } : {}),
  };
}

/** Whether `existing` is still young enough to reuse at `now`. */
export function youngEnough(existing: TokenResult, maxAgeMs: number, now: number): boolean {
  const created = Date.parse(existing.created_at);
  if (Number.isNaN(created) || now - created > maxAgeMs || created > now + 60_000) return false;
  if (existing.expires_at !== null) {
    const expires = Date.parse(existing.expires_at);
    // keep a minute of margin so the joins that use it do not race its expiry
    if (Number.isNaN(expires) || expires - now < 60_000) return false;
  }
  return true;
}

function placeholder(now: Date, ttlMs: number, withKey: boolean): TokenResult {
  return {
    endpoint: '',
    token: PLACEHOLDER_TOKEN,
    token_id: '',
    ca_cert_hashes: [],
    join_command: '',
    created_at: now.toISOString(),
    expires_at: ttlMs === 0 ? null : new Date(now.getTime() + ttlMs).toISOString(),
    ...(withKey ? { certificate_key: PLACEHOLDER_TOKEN } : {}),
    check_mode_placeholder: true,
  };
}

async function listTokens(ctx: ModuleContext, kubeconfig: string): Promise<string[]> {
  const r = await ctx.probe(kubeadm('token', 'list', '-o', 'json', '--kubeconfig', kubeconfig));
  if (r.rc !== 0) {
    // older kubeadm without -o json: the table lists full tokens too
    const table = await ctx.probe(kubeadm('token', 'list', '--kubeconfig', kubeconfig));
    if (table.rc !== 0) throw new ModuleFailure(`kubeadm token list failed: ${scrub(kubeadmErrorLine(table.stderr, table.stdout), [])}`);
    return listedTokens(table.stdout);
  }
  return listedTokens(r.stdout);
}

async function uploadCerts(ctx: ModuleContext, kubeconfig: string): Promise<string> {
  const r = await ctx.run(kubeadm('init', 'phase', 'upload-certs', '--upload-certs', '--kubeconfig', kubeconfig));
  const key = parseCertificateKey(r.stdout);
  if (r.rc !== 0 || key === undefined) {
    throw new ModuleFailure(`kubeadm init phase upload-certs failed: ${scrub(kubeadmErrorLine(r.stderr, r.stdout), [key])}`);
  }
  return key;
}

async function present(args: Args, ctx: ModuleContext, kubeconfig: string): Promise<ModuleResult> {
  const ttlMs = parseDuration(args.ttl ?? '30m', 'ttl');
  const maxAgeMs = parseDuration(args.max_age ?? '20m', 'max_age');
  const withKey = argBool(args, 'upload_certs', false);
  const description = argString(args, 'description');
  const existing = existingToken(args.existing);
  const now = new Date();

  if (existing && youngEnough(existing, maxAgeMs, now.getTime()) && (!withKey || existing.certificate_key !== undefined)) {
    const listed = await listTokens(ctx, kubeconfig);
    if (listed.includes(existing.token)) {
      return { changed: false, msg: `bootstrap token ${existing.token_id} is still valid`, values: { ...existing } };
    }
  }

  if (ctx.check) {
    await ctx.run(kubeadm('token', 'create', '--print-join-command', '--ttl', goDuration(ttlMs), '--kubeconfig', kubeconfig));
    return { changed: true, msg: 'would create a bootstrap token', values: { ...placeholder(now, ttlMs, withKey) } };
  }

  const certificateKey = withKey ? await uploadCerts(ctx, kubeconfig) : undefined;
  const argv = ['token', 'create', '--print-join-command', '--ttl', goDuration(ttlMs), '--kubeconfig', kubeconfig];
  if (description !== undefined) argv.push('--description', description);
  const created = new Date();
  const r = await ctx.run(kubeadm(...argv));
  if (r.rc !== 0) {
    throw new ModuleFailure(`kubeadm token create failed (rc ${r.rc}): ${scrub(kubeadmErrorLine(r.stderr, r.stdout), [certificateKey])}`);
  }
  let parsed;
  try {
    parsed = parseJoinCommand(r.stdout);
  } catch (err) {
    if (err instanceof JoinCommandError) throw new ModuleFailure(`could not read the join command kubeadm printed: ${err.message}`);
    throw err;
  }
  const result: TokenResult = {
    endpoint: parsed.endpoint,
    token: parsed.token,
    token_id: tokenId(parsed.token) ?? '',
    ca_cert_hashes: parsed.caCertHashes,
    join_command: parsed.command,
    created_at: created.toISOString(),
    expires_at: ttlMs === 0 ? null : new Date(created.getTime() + ttlMs).toISOString(),
    ...(certificateKey !== undefined ? { certificate_key: certificateKey } : {}),
  };
  return { changed: true, msg: `created bootstrap token ${result.token_id} (expires ${result.expires_at ?? 'never'})`, values: { ...result } };
}

async function absent(args: Args, ctx: ModuleContext, kubeconfig: string): Promise<ModuleResult> {
  const raw = record(args.existing);
  if (raw?.check_mode_placeholder === true) return { changed: false, msg: 'nothing to delete (check mode placeholder)' };
  const given = argString(args, 'token') ?? (typeof raw?.token === 'string' ? raw.token : undefined);
  if (given === undefined || given === '') {
    // a skipped or failed mint leaves nothing to delete
    return { changed: false, msg: 'no token to delete' };
  }
  const id = tokenId(given);
  if (id === undefined) throw new ModuleFailure('token must be a bootstrap token (abcdef.0123456789abcdef) or its 6-character ID');
  const listed = await listTokens(ctx, kubeconfig);
  if (!listed.some((t) => t.startsWith(`${id}.`))) return { changed: false, msg: `bootstrap token ${id} does not exist`, values: { token_id: id } };
  const r = await ctx.run(kubeadm('token', 'delete', id, '--kubeconfig', kubeconfig));
  if (r.rc !== 0) throw new ModuleFailure(`kubeadm token delete ${id} failed: ${scrub(kubeadmErrorLine(r.stderr, r.stdout), [])}`);
  return { changed: true, msg: `deleted bootstrap token ${id}`, values: { token_id: id } };
}

export async function runKubeadmToken(args: Args, ctx: ModuleContext): Promise<ModuleResult> {
  const kubeconfig = argString(args, 'kubeconfig') ?? adminConf(kubernetesDir(args, ctx));
  const state = argString(args, 'state') ?? 'present';
  if (state === 'absent') return absent(args, ctx, kubeconfig);
  if (state !== 'present') throw new ModuleFailure(`value of state must be one of: present, absent, got: ${state}`);
  return present(args, ctx, kubeconfig);
}

export const kubeadmTokenModule: Module = {
  name: 'kubeadm_token',
  description:
    'Mints a short-lived kubeadm bootstrap token on a control-plane host (`kubeadm token create --print-join-command`) and returns endpoint, token, CA hashes and join command; reuses a still-valid `existing` one; `state: absent` deletes it. The token, join command and certificate key are always redacted.',
  args: schema,
  checkMode: 'full',
  secrets: ['token', 'join_command', 'certificate_key'],
  run: runKubeadmToken,
};
