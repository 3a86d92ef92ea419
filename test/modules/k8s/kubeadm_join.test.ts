import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { kubeadmJoinModule, explainJoinFailure, joinConfiguration } from '../../../src/modules/k8s/kubeadm_join.js';
import { PLACEHOLDER_TOKEN } from '../../../src/modules/k8s/kubeadm_token.js';
import { HASH, KEY, TOKEN, nodeJson, runModule, setup } from './helpers.js';

const BASE = { endpoint: '10.4.0.10:6443', token: TOKEN, ca_cert_hashes: [HASH] };
const JOINED = "This node has joined the cluster:\n* Certificate signing request was sent to apiserver and a response was received.\n";

function freshHost(host = 'pi01') {
  const s = setup(host);
  s.conn.on('test -f /etc/kubernetes/kubelet.conf', { rc: 1 });
  s.conn.on('timeout 5 bash', { rc: 0 });
  s.conn.on('rm -f /tmp/.tsbook-kubeadm-join-', {});
  return s;
}

describe('kubeadm_join', () => {
  it('declares the token and certificate key secret', () => {
    expect(kubeadmJoinModule.secrets).toEqual(expect.arrayContaining(['token', 'certificate_key']));
  });

  it('joins a fresh host: probes, checks the endpoint, puts a 0600 JoinConfiguration, joins, removes it', async () => {
    const { conn, ctx } = freshHost();
    conn.on('kubeadm join --config', { stdout: JOINED });
    const r = await runModule(kubeadmJoinModule, { ...BASE, node_taints: ['nvidia.com/gpu=true:NoSchedule'], node_labels: { 'nvidia.com/gpu': true } }, ctx);
    expect(r.failed).toBeUndefined();
    expect(r.changed).toBe(true);
    const execs = conn.commands;
    expect(execs[0]).toBe('test -f /etc/kubernetes/kubelet.conf');
    expect(execs[1]).toContain("tsbook-probe 10.4.0.10 6443");
    expect(execs[2]).toMatch(/^kubeadm join --config \/tmp\/\.tsbook-kubeadm-join-[0-9a-f]{16}\.yaml$/);
    expect(execs[3]).toMatch(/^rm -f \/tmp\/\.tsbook-kubeadm-join-/);
    // the token never appears on a command line
    expect(execs.join('\n')).not.toContain('0123456789abcdef');
    const put = conn.calls.find((c) => c.kind === 'put');
    expect(put?.kind === 'put' && put.options.mode).toBe('0600');
    const cfg = parse(put!.kind === 'put' ? put!.content.toString() : '');
    expect(cfg).toMatchObject({
      apiVersion: 'kubeadm.k8s.io/v1beta3',
      kind: 'JoinConfiguration',
      discovery: { bootstrapToken: { apiServerEndpoint: '10.4.0.10:6443', token: TOKEN, caCertHashes: [HASH] }, tlsBootstrapToken: TOKEN },
      nodeRegistration: { name: 'pi01', kubeletExtraArgs: { 'node-labels': 'nvidia.com/gpu=true' }, taints: [{ key: 'nvidia.com/gpu', value: 'true', effect: 'NoSchedule' }] },
    });
    expect(ctx.progressMessages).toEqual(['joining', 'joined']);
    expect(r.values).toMatchObject({ node_name: 'pi01', join_ran: true });
  });

  it('takes endpoint, token and hashes from a kubeadm_token result', async () => {
    const { conn, ctx } = freshHost();
    conn.on('kubeadm join --config', { stdout: JOINED });
    const r = await runModule(kubeadmJoinModule, { from_token: { endpoint: '10.4.0.10:6443', token: TOKEN, ca_cert_hashes: [HASH], join_command: 'x' } }, ctx);
    expect(r.changed).toBe(true);
  });

  it('is ok and runs nothing else when kubelet.conf exists and the Node is Ready', async () => {
    const { conn, ctx } = setup('pi01');
    conn.on('test -f /etc/kubernetes/kubelet.conf', { rc: 0 });
    conn.on('kubectl --kubeconfig /etc/kubernetes/kubelet.conf get node pi01 -o json', { stdout: JSON.stringify(nodeJson('pi01', 'True')) });
    const r = await runModule(kubeadmJoinModule, BASE, ctx);
    expect(r.changed).toBe(false);
    expect(conn.commands).toHaveLength(2);
  });

  it('counts a Node waiting only for the pod network as joined', async () => {
    const { conn, ctx } = setup('pi01');
    conn.on('test -f', { rc: 0 });
    conn.on('get node pi01', { stdout: JSON.stringify(nodeJson('pi01', 'False', { message: 'container runtime network not ready: NetworkReady=false reason:NetworkPluginNotReady message:Network plugin returns error: cni plugin not initialized' })) });
    const r = await runModule(kubeadmJoinModule, BASE, ctx);
    expect(r.changed).toBe(false);
    expect(r.values).toMatchObject({ joined: true, ready: false });
  });

  it('resets and rejoins when kubelet.conf exists but the Node is missing', async () => {
    const { conn, ctx } = setup('pi01');
    conn.on('test -f /etc/kubernetes/kubelet.conf', { rc: 0 });
    conn.on('get node pi01', { rc: 1, stderr: 'Error from server (NotFound): nodes "pi01" not found' });
    conn.on('timeout 5 bash', { rc: 0 });
    conn.on('kubeadm reset --force', { stdout: '[reset] Stopping the kubelet service' });
    conn.on('rm -rf', {});
    conn.on('kubeadm join --config', { stdout: JOINED });
    conn.on('rm -f', {});
    const r = await runModule(kubeadmJoinModule, BASE, ctx);
    expect(r.changed).toBe(true);
    const cmds = conn.commands.map((c) => c.split(' ').slice(0, 3).join(' '));
    expect(cmds.indexOf('kubeadm reset --force')).toBeLessThan(cmds.indexOf('kubeadm join --config'));
    expect(conn.commands).toContain("rm -rf /etc/kubernetes /etc/cni/net.d");
  });

  it('resets and rejoins when the Node is NotReady for another reason', async () => {
    const { conn, ctx } = setup('pi01');
    conn.on('test -f', { rc: 0 });
    conn.on('get node pi01', { stdout: JSON.stringify(nodeJson('pi01', 'Unknown', { reason: 'NodeStatusUnknown', message: 'Kubelet stopped posting node status.' })) });
    conn.on('timeout 5 bash', { rc: 0 });
    conn.on('kubeadm reset --force', {});
    conn.on('rm -', {});
    conn.on('kubeadm join --config', { stdout: JOINED });
    const r = await runModule(kubeadmJoinModule, BASE, ctx);
    expect(r.changed).toBe(true);
    expect(conn.commands.some((c) => c.startsWith('kubeadm reset --force'))).toBe(true);
  });

  it('fails fast, before any change, when the endpoint is unreachable from the host', async () => {
    const { conn, ctx } = setup('pi03');
    conn.on('test -f', { rc: 1 });
    conn.on('timeout 5 bash', { rc: 1, stderr: 'bash: connect: Connection refused\nbash: line 1: /dev/tcp/10.0.0.1/6443: Connection refused\n' });
    const r = await runModule(kubeadmJoinModule, { ...BASE, endpoint: '10.0.0.1:6443' }, ctx);
    expect(r.failed).toBe(true);
    expect(r.msg).toBe('API endpoint 10.0.0.1:6443 is not reachable from pi03: connection refused');
    expect(conn.commands.some((c) => c.includes('kubeadm'))).toBe(false);
  });

  it('maps kubeadm failures to clear messages without leaking the token', async () => {
    const { conn, ctx } = freshHost();
    conn.on('kubeadm join --config', {
      rc: 1,
      stdout: '[preflight] Running pre-flight checks\n',
      stderr: `error execution phase preflight: couldn't validate the identity of the API Server: could not find a JWS signature in the cluster-info ConfigMap for token ID "abcdef" (token ${TOKEN})\nTo see the stack trace of this error execute with --v=5 or higher\n`,
    });
    const r = await runModule(kubeadmJoinModule, BASE, ctx);
    expect(r.failed).toBe(true);
    expect(r.msg).toMatch(/^the bootstrap token abcdef is expired or unknown to the cluster/);
    expect(JSON.stringify(r)).not.toContain('0123456789abcdef');
    expect(ctx.progressMessages).toEqual(['joining', 'join failed']);
    expect(conn.commands.some((c) => c.startsWith('rm -f /tmp/.tsbook-kubeadm-join-'))).toBe(true);
  });

  it.each([
    ['error execution phase preflight: couldn\'t validate the identity of the API Server: cluster CA found in cluster-info ConfigMap is invalid: none of the public keys "sha256:ff" are pinned', /^CA certificate hash mismatch/],
    ['error execution phase preflight: [preflight] Some fatal errors occurred:\n\t[ERROR FileAvailable--etc-kubernetes-kubelet.conf]: /etc/kubernetes/kubelet.conf already exists', /already has \/etc\/kubernetes\/kubelet.conf/],
    ['error execution phase preflight: [preflight] Some fatal errors occurred:\n\t[ERROR Port-10250]: Port 10250 is in use', /^port 10250 is in use on pi01/],
    ['error execution phase kubelet-start: a Node with name "pi01" and status "Ready" already exists in the cluster. You must delete the existing Node or change the name of this new joining node', /^a Node with name pi01 and status Ready already exists/],
    ['error execution phase preflight: couldn\'t validate the identity of the API Server: failed to verify JWS signature of received cluster info object, can\'t trust this API Server', /^the bootstrap token abcdef is invalid/],
    ['error execution phase control-plane-prepare/download-certs: error downloading certs: error downloading the secret: Secret "kubeadm-certs" was not found in the "kube-system" Namespace. This Secret might have expired.', /certificates expired/],
  ])('explains %s', (detail, expected) => {
    expect(explainJoinFailure(detail, { nodeName: 'pi01', endpoint: '10.4.0.10:6443', token: TOKEN })).toMatch(expected);
  });

  it('pins the CA: no hashes is an error unless unsafe_skip_ca_verification, which warns', async () => {
    const a = freshHost();
    const r = await runModule(kubeadmJoinModule, { endpoint: '10.4.0.10:6443', token: TOKEN }, a.ctx);
    expect(r.failed).toBe(true);
    expect(r.msg).toMatch(/ca_cert_hashes is required/);

    const b = freshHost();
    b.conn.on('kubeadm join --config', { stdout: JOINED });
    const r2 = await runModule(kubeadmJoinModule, { endpoint: '10.4.0.10:6443', token: TOKEN, unsafe_skip_ca_verification: true }, b.ctx);
    expect(r2.changed).toBe(true);
    expect(b.ctx.warnings[0]).toMatch(/WITHOUT verifying the cluster CA/);
    const put = b.conn.calls.find((c) => c.kind === 'put');
    expect(parse(put!.kind === 'put' ? put!.content.toString() : '').discovery.bootstrapToken.unsafeSkipCAVerification).toBe(true);
  });

  it('rejects hostile node names, labels and taints before running anything', async () => {
    for (const args of [
      { ...BASE, node_name: 'pi01; reboot' },
      { ...BASE, node_name: '$(id)' },
      { ...BASE, node_labels: { 'x;reboot': 'a' } },
      { ...BASE, node_labels: { a: '$(reboot)' } },
      { ...BASE, node_taints: ['a=b:Evict'] },
      { ...BASE, endpoint: '10.0.0.1:6443 && reboot' },
      { ...BASE, token: "abcdef.0123456789abcdef'; reboot; '" },
    ]) {
      const { conn, ctx } = setup('pi01');
      conn.on('test -f', { rc: 1 });
      const r = await runModule(kubeadmJoinModule, args, ctx);
      expect(r.failed, JSON.stringify(args)).toBe(true);
      expect(conn.commands.filter((c) => !c.startsWith('test -f'))).toEqual([]);
    }
  });

  it('refuses labels the kubelet may not set on itself', async () => {
    const { ctx, conn } = freshHost();
    const r = await runModule(kubeadmJoinModule, { ...BASE, node_labels: { 'node-role.kubernetes.io/worker': '' } }, ctx);
    expect(r.failed).toBe(true);
    expect(r.msg).toMatch(/kube_node/);
    expect(conn.commands.some((c) => c.startsWith('kubeadm'))).toBe(false);
  });

  it('joins a control plane with the certificate key in the config', async () => {
    const { conn, ctx } = freshHost('cp02');
    conn.on('kubeadm join --config', { stdout: 'This node has joined the cluster and a new control plane instance was created' });
    const r = await runModule(kubeadmJoinModule, { ...BASE, control_plane: true, certificate_key: KEY, apiserver_advertise_address: '10.4.0.12' }, ctx);
    expect(r.changed).toBe(true);
    const put = conn.calls.find((c) => c.kind === 'put');
    const cfg = parse(put!.kind === 'put' ? put!.content.toString() : '');
    expect(cfg.controlPlane).toEqual({ certificateKey: KEY, localAPIEndpoint: { advertiseAddress: '10.4.0.12' } });
    expect(conn.commands.join('\n')).not.toContain(KEY);
  });

  it('check mode with a placeholder token: read-only probes, then "would join"', async () => {
    const { conn, ctx } = setup('pi05', { check: true });
    conn.on('test -f', { rc: 1 });
    const r = await runModule(kubeadmJoinModule, { from_token: { check_mode_placeholder: true, token: PLACEHOLDER_TOKEN, endpoint: '', ca_cert_hashes: [] } }, ctx);
    expect(r.failed).toBeUndefined();
    expect(r.changed).toBe(true);
    expect(r.msg).toBe('would join pi05');
    expect(conn.commands).toEqual(['test -f /etc/kubernetes/kubelet.conf']);
  });

  it('check mode with a real token records the join but runs only probes', async () => {
    const { conn, ctx } = setup('pi05', { check: true });
    conn.on('test -f', { rc: 1 });
    conn.on('timeout 5 bash', { rc: 0 });
    const r = await runModule(kubeadmJoinModule, BASE, ctx);
    expect(r.changed).toBe(true);
    expect(ctx.commands.filter((c) => !c.executed).map((c) => c.command)).toEqual(['kubeadm join --config \'<JoinConfiguration>\'']);
    expect(conn.calls.some((c) => c.kind === 'put')).toBe(false);
  });

  it('check_only reports whether the host needs to join without a token', async () => {
    const { conn, ctx } = setup('pi01');
    conn.on('test -f', { rc: 1 });
    const r = await runModule(kubeadmJoinModule, { check_only: true }, ctx);
    expect(r.changed).toBe(true);
    expect(r.values).toMatchObject({ joined: false, join_ran: false });
  });

  it('writes v1beta4 kubeletExtraArgs as a list', () => {
    const text = joinConfiguration({
      endpoint: 'a:6443', token: TOKEN, caCertHashes: [HASH], unsafeSkipCaVerification: false, nodeName: 'n', controlPlane: false,
      labels: { a: 'b' }, taints: undefined, ignorePreflightErrors: [], discoveryTimeoutMs: 60_000, apiVersion: 'kubeadm.k8s.io/v1beta4',
    });
    const cfg = parse(text);
    expect(cfg.nodeRegistration.kubeletExtraArgs).toEqual([{ name: 'node-labels', value: 'a=b' }]);
    expect(cfg.timeouts).toEqual({ discovery: '1m0s' });
  });
});

describe('kubeadm_join preflight failures', () => {
  it('maps the [ERROR] lines kubeadm prints after the phase line', async () => {
    const { conn, ctx } = freshHost();
    conn.on('kubeadm join --config', {
      rc: 1,
      stderr: 'error execution phase preflight: [preflight] Some fatal errors occurred:\n\t[ERROR FileAvailable--etc-kubernetes-kubelet.conf]: /etc/kubernetes/kubelet.conf already exists\n\t[ERROR Port-10250]: Port 10250 is in use\n[preflight] If you know what you are doing, you can make a check non-fatal with `--ignore-preflight-errors=...`\nTo see the stack trace of this error execute with --v=5 or higher\n',
    });
    const r = await runModule(kubeadmJoinModule, BASE, ctx);
    expect(r.msg).toMatch(/^pi01 already has \/etc\/kubernetes\/kubelet.conf from an earlier join; reset it \(kubeadm_reset\) first \(pi01\): error execution phase preflight: .*\[ERROR Port-10250\]: Port 10250 is in use$/);
  });
});
