import { describe, expect, it } from 'vitest';
import { kubeadmTokenModule, PLACEHOLDER_TOKEN, youngEnough, existingToken } from '../../../src/modules/k8s/kubeadm_token.js';
import { HASH, KEY, TOKEN, runModule, setup } from './helpers.js';

const JOIN = `W0612 10:00:00.000000  77 version.go:104] could not fetch a Kubernetes version from the internet\nkubeadm join 10.4.0.11:6443 --token ${TOKEN} --discovery-token-ca-cert-hash ${HASH} \n`;

function existing(ageMs: number, ttlMs = 30 * 60_000): Record<string, unknown> {
  const created = Date.now() - ageMs;
  return {
    changed: true,
    endpoint: '10.4.0.11:6443',
    token: TOKEN,
    token_id: 'abcdef',
    ca_cert_hashes: [HASH],
    join_command: `kubeadm join 10.4.0.11:6443 --token ${TOKEN}`,
    created_at: new Date(created).toISOString(),
    expires_at: new Date(created + ttlMs).toISOString(),
  };
}

describe('kubeadm_token', () => {
  it('declares its secrets', () => {
    expect(kubeadmTokenModule.secrets).toEqual(expect.arrayContaining(['token', 'join_command', 'certificate_key']));
  });

  it('mints a token with the default 30m TTL and parses the join command', async () => {
    const { conn, ctx } = setup('cp01');
    conn.on('kubeadm token create', { stdout: JOIN });
    const r = await runModule(kubeadmTokenModule, {}, ctx);
    expect(conn.commands).toEqual(['kubeadm token create --print-join-command --ttl 30m0s --kubeconfig /etc/kubernetes/admin.conf']);
    expect(r.changed).toBe(true);
    expect(r.values).toMatchObject({ endpoint: '10.4.0.11:6443', token: TOKEN, token_id: 'abcdef', ca_cert_hashes: [HASH] });
    const created = Date.parse(String(r.values!.created_at));
    expect(Date.parse(String(r.values!.expires_at)) - created).toBe(30 * 60_000);
    expect(r.msg).not.toContain(TOKEN);
  });

  it('reuses a young existing token that the cluster still lists', async () => {
    const { conn, ctx } = setup('cp01');
    conn.on('kubeadm token list -o json', { stdout: `{\n    "kind": "BootstrapToken",\n    "token": "${TOKEN}"\n}\n` });
    const prev = existing(5 * 60_000);
    const r = await runModule(kubeadmTokenModule, { existing: prev }, ctx);
    expect(r.changed).toBe(false);
    expect(r.values!.token).toBe(TOKEN);
    expect(r.values!.created_at).toBe(prev.created_at);
    expect(conn.commands.some((c) => c.includes('token create'))).toBe(false);
  });

  it('mints a new token when the existing one is too old or no longer listed', async () => {
    const old = setup('cp01');
    old.conn.on('kubeadm token create', { stdout: JOIN });
    await runModule(kubeadmTokenModule, { existing: existing(25 * 60_000, 60 * 60_000) }, old.ctx);
    expect(old.conn.commands).toHaveLength(1);
    expect(old.conn.commands[0]).toContain('token create');

    const gone = setup('cp01');
    gone.conn.on('kubeadm token list -o json', { stdout: '' });
    gone.conn.on('kubeadm token create', { stdout: JOIN });
    const r = await runModule(kubeadmTokenModule, { existing: existing(60_000), max_age: '20m' }, gone.ctx);
    expect(r.changed).toBe(true);
    expect(gone.conn.commands.map((c) => c.split(' ').slice(0, 3).join(' '))).toEqual(['kubeadm token list', 'kubeadm token create']);
  });

  it('falls back to the table when token list -o json is not supported', async () => {
    const { conn, ctx } = setup('cp01');
    conn.on('kubeadm token list -o json', { rc: 1, stderr: 'unknown shorthand flag' });
    conn.on('kubeadm token list --kubeconfig', { stdout: `TOKEN  TTL\n${TOKEN}   10m\n` });
    const r = await runModule(kubeadmTokenModule, { existing: existing(60_000) }, ctx);
    expect(r.changed).toBe(false);
  });

  it('returns a flagged placeholder in check mode and runs nothing', async () => {
    const { conn, ctx } = setup('cp01', { check: true });
    const r = await runModule(kubeadmTokenModule, { ttl: '15m' }, ctx);
    expect(conn.commands).toEqual([]);
    expect(ctx.commands).toEqual([{ command: 'kubeadm token create --print-join-command --ttl 15m0s --kubeconfig /etc/kubernetes/admin.conf', kind: 'exec', executed: false }]);
    expect(r.changed).toBe(true);
    expect(r.values).toMatchObject({ check_mode_placeholder: true, token: PLACEHOLDER_TOKEN });
  });

  it('uploads certs and returns the certificate key when asked', async () => {
    const { conn, ctx } = setup('cp01');
    conn.on('kubeadm init phase upload-certs', { stdout: `[upload-certs] Storing the certificates in Secret "kubeadm-certs" in the "kube-system" Namespace\n[upload-certs] Using certificate key:\n${KEY}\n` });
    conn.on('kubeadm token create', { stdout: JOIN });
    const r = await runModule(kubeadmTokenModule, { upload_certs: true }, ctx);
    expect(r.values!.certificate_key).toBe(KEY);
  });

  it('fails with kubeadm\'s error, scrubbed', async () => {
    const { conn, ctx } = setup('cp01');
    conn.on('kubeadm token create', { rc: 1, stderr: `failed to create or update bootstrap token with name bootstrap-token-abcdef: unable to create Secret: dial tcp 10.4.0.11:6443: connect: connection refused\nTo see the stack trace of this error execute with --v=5 or higher\n` });
    const r = await runModule(kubeadmTokenModule, {}, ctx);
    expect(r.failed).toBe(true);
    expect(r.msg).toContain('connection refused');
  });

  it('state: absent deletes by token ID only when listed', async () => {
    const { conn, ctx } = setup('cp01');
    conn.on('kubeadm token list -o json', { stdout: `"token": "${TOKEN}"` });
    conn.on('kubeadm token delete abcdef', { stdout: 'bootstrap token "abcdef" deleted\n' });
    const r = await runModule(kubeadmTokenModule, { state: 'absent', existing: existing(1000) }, ctx);
    expect(r.changed).toBe(true);
    expect(conn.commands[1]).toBe('kubeadm token delete abcdef --kubeconfig /etc/kubernetes/admin.conf');
    expect(conn.commands.join('\n')).not.toContain('0123456789abcdef');

    const again = setup('cp01');
    again.conn.on('kubeadm token list -o json', { stdout: '' });
    const r2 = await runModule(kubeadmTokenModule, { state: 'absent', token: TOKEN }, again.ctx);
    expect(r2.changed).toBe(false);
  });

  it('state: absent with a skipped or placeholder token does nothing', async () => {
    const { conn, ctx } = setup('cp01');
    expect((await runModule(kubeadmTokenModule, { state: 'absent', existing: { skipped: true, changed: false } }, ctx)).changed).toBe(false);
    expect((await runModule(kubeadmTokenModule, { state: 'absent', existing: { check_mode_placeholder: true, token: PLACEHOLDER_TOKEN } }, ctx)).changed).toBe(false);
    expect(conn.commands).toEqual([]);
  });

  it('judges age and expiry', () => {
    const e = existingToken(existing(0))!;
    const now = Date.now();
    expect(youngEnough(e, 20 * 60_000, now)).toBe(true);
    expect(youngEnough(e, 20 * 60_000, now + 21 * 60_000)).toBe(false);
    expect(youngEnough(existingToken(existing(0, 30_000))!, 20 * 60_000, now)).toBe(false);
    expect(existingToken({ check_mode_placeholder: true, token: PLACEHOLDER_TOKEN })).toBeUndefined();
  });
});
