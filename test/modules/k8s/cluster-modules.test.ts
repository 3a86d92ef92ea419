import { describe, expect, it } from 'vitest';
import { kubeadmInitModule } from '../../../src/modules/k8s/kubeadm_init.js';
import { kubeadmResetModule } from '../../../src/modules/k8s/kubeadm_reset.js';
import { kubeNodeModule, planNode, readLabels } from '../../../src/modules/k8s/kube_node.js';
import { expectedNodes, readiness, waitNodesReadyModule } from '../../../src/modules/k8s/wait_nodes_ready.js';
import { nodeInfo } from '../../../src/modules/k8s/common.js';
import { HASH, KEY, TOKEN, nodeJson, nodeListJson, runModule, setup } from './helpers.js';

const INIT_OUT = `[init] Using Kubernetes version: v1.30.2
[upload-certs] Using certificate key:
${KEY}
[bootstrap-token] Using token: ${TOKEN}
Your Kubernetes control-plane has initialized successfully!

  kubeadm join k8s-api.lab.internal:6443 --token ${TOKEN} \\
\t--discovery-token-ca-cert-hash ${HASH} \\
\t--control-plane --certificate-key ${KEY}

Then you can join any number of worker nodes by running the following on each as root:

kubeadm join k8s-api.lab.internal:6443 --token ${TOKEN} \\
\t--discovery-token-ca-cert-hash ${HASH} 
`;

describe('kubeadm_init', () => {
  it('initializes with flags, a short init-token TTL, and returns the hash and certificate key', async () => {
    const { conn, ctx } = setup('cp01');
    conn.on('test -f /etc/kubernetes/admin.conf', { rc: 1 });
    conn.on('kubeadm init', { stdout: INIT_OUT });
    conn.on('kubeadm token delete', { stdout: 'bootstrap token "abcdef" deleted\n' });
    const r = await runModule(kubeadmInitModule, {
      control_plane_endpoint: 'k8s-api.lab.internal:6443', pod_network_cidr: '10.244.0.0/16', service_cidr: '10.96.0.0/12', kubernetes_version: '1.30.2', upload_certs: true,
    }, ctx);
    expect(conn.commands[1]).toBe(
      'kubeadm init --node-name cp01 --control-plane-endpoint k8s-api.lab.internal:6443 --pod-network-cidr 10.244.0.0/16 --service-cidr 10.96.0.0/12 --kubernetes-version 1.30.2 --token-ttl 15m0s --upload-certs',
    );
    expect(conn.commands[2]).toBe('kubeadm token delete abcdef --kubeconfig /etc/kubernetes/admin.conf');
    expect(r.changed).toBe(true);
    expect(r.values).toMatchObject({ ca_cert_hash: HASH, certificate_key: KEY, endpoint: 'k8s-api.lab.internal:6443' });
    expect(String(r.values!.stdout)).not.toContain(KEY);
    expect(String(r.values!.stdout)).not.toContain('0123456789abcdef');
    expect(kubeadmInitModule.secrets).toContain('certificate_key');
  });

  it('is ok without acting when admin.conf exists and the API answers', async () => {
    const { conn, ctx } = setup('cp01');
    conn.on('test -f /etc/kubernetes/admin.conf', { rc: 0 });
    conn.on('kubectl --kubeconfig /etc/kubernetes/admin.conf get nodes -o name', { stdout: 'node/cp01\n' });
    conn.on('openssl x509 -pubkey', { stdout: `(stdin)= ${'a1'.repeat(32)}`.replace(/^\(stdin\)= /, '') + '\n' });
    const r = await runModule(kubeadmInitModule, { upload_certs: true }, ctx);
    expect(r.changed).toBe(false);
    expect(r.values!.ca_cert_hash).toBe(HASH);
    expect(conn.commands.some((c) => c.startsWith('kubeadm'))).toBe(false);
  });

  it('refuses to init over an admin.conf whose API does not answer', async () => {
    const { conn, ctx } = setup('cp01');
    conn.on('test -f', { rc: 0 });
    conn.on('get nodes', { rc: 1, stderr: 'The connection to the server 10.4.0.11:6443 was refused - did you specify the right host or port?' });
    const r = await runModule(kubeadmInitModule, {}, ctx);
    expect(r.failed).toBe(true);
    expect(r.msg).toMatch(/does not answer/);
  });

  it('with config: puts it 0600, passes --config, deletes the init token, computes the hash if not printed', async () => {
    const { conn, ctx } = setup('cp01');
    conn.on('test -f', { rc: 1 });
    conn.on('kubeadm init --config', { stdout: `[bootstrap-token] Using token: ${TOKEN}\nYour Kubernetes control-plane has initialized successfully!\n` });
    conn.on('rm -f', {});
    conn.on('kubeadm token delete abcdef', {});
    conn.on('openssl x509', { stdout: `${'a1'.repeat(32)}\n` });
    const config = [
      { apiVersion: 'kubeadm.k8s.io/v1beta3', kind: 'ClusterConfiguration', networking: { podSubnet: '10.244.0.0/16' } },
      { apiVersion: 'kubeadm.k8s.io/v1beta3', kind: 'InitConfiguration' },
    ];
    const r = await runModule(kubeadmInitModule, { config }, ctx);
    expect(r.values!.ca_cert_hash).toBe(HASH);
    const put = conn.calls.find((c) => c.kind === 'put');
    expect(put?.kind === 'put' && put.options.mode).toBe('0600');
    expect(put?.kind === 'put' && put.content.toString()).toContain('---\n');
    expect(conn.commands).toContain('kubeadm token delete abcdef --kubeconfig /etc/kubernetes/admin.conf');
    expect(conn.commands.find((c) => c.startsWith('kubeadm init'))).toMatch(/^kubeadm init --config \/tmp\/\.tsbook-kubeadm-init-[0-9a-f]+\.yaml --node-name cp01$/);
  });

  it('refuses flags next to config, and hostile values', async () => {
    for (const args of [
      { config: { kind: 'InitConfiguration' }, pod_network_cidr: '10.244.0.0/16' },
      { pod_network_cidr: '10.244.0.0/16; reboot' },
      { node_name: 'CP01' },
      { kubernetes_version: '1.30; id' },
    ]) {
      const { conn, ctx } = setup('cp01');
      conn.on('test -f', { rc: 1 });
      const r = await runModule(kubeadmInitModule, args, ctx);
      expect(r.failed, JSON.stringify(args)).toBe(true);
      expect(conn.commands.some((c) => c.startsWith('kubeadm'))).toBe(false);
    }
  });

  it('maps a port-in-use failure', async () => {
    const { conn, ctx } = setup('cp01');
    conn.on('test -f', { rc: 1 });
    conn.on('kubeadm init', { rc: 1, stderr: 'error execution phase preflight: [preflight] Some fatal errors occurred:\n\t[ERROR Port-6443]: Port 6443 is in use\n' });
    const r = await runModule(kubeadmInitModule, {}, ctx);
    expect(r.msg).toMatch(/^port 6443 is in use on cp01/);
  });

  it('check mode records kubeadm init and runs only probes', async () => {
    const { conn, ctx } = setup('cp01', { check: true });
    conn.on('test -f', { rc: 1 });
    const r = await runModule(kubeadmInitModule, {}, ctx);
    expect(r.changed).toBe(true);
    expect(conn.commands).toEqual(['test -f /etc/kubernetes/admin.conf']);
    expect(ctx.commands.filter((c) => !c.executed)).toHaveLength(1);
  });

  it('honours k8s_kubernetes_dir', async () => {
    const { conn, ctx } = setup('cp01', { vars: { k8s_kubernetes_dir: '/srv/sim/cp01/etc-kubernetes' } });
    conn.on('test -f /srv/sim/cp01/etc-kubernetes/admin.conf', { rc: 0 });
    conn.on('kubectl --kubeconfig /srv/sim/cp01/etc-kubernetes/admin.conf get nodes', {});
    conn.on('openssl', { rc: 1 });
    const r = await runModule(kubeadmInitModule, {}, ctx);
    expect(r.changed).toBe(false);
  });
});

describe('kubeadm_reset', () => {
  it('resets and cleans up when kubeadm left files', async () => {
    const { conn, ctx } = setup('pi01');
    conn.on('for d in', { stdout: '/etc/kubernetes\n' });
    conn.on('kubeadm reset --force', {});
    conn.on('rm -rf', {});
    const r = await runModule(kubeadmResetModule, {}, ctx);
    expect(r.changed).toBe(true);
    expect(conn.commands.slice(1)).toEqual(['kubeadm reset --force', 'rm -rf /etc/kubernetes /etc/cni/net.d']);
  });

  it('does nothing on a clean host', async () => {
    const { conn, ctx } = setup('pi01');
    conn.on('for d in', { stdout: '' });
    const r = await runModule(kubeadmResetModule, {}, ctx);
    expect(r.changed).toBe(false);
    expect(conn.commands).toHaveLength(1);
  });

  it('deletes the Node (delegated form: reset false) idempotently', async () => {
    const { conn, ctx } = setup('cp01');
    conn.on('get node pi07 -o name', { stdout: 'node/pi07\n' });
    conn.on('delete node pi07', {});
    const r = await runModule(kubeadmResetModule, { reset: false, delete_node: true, node_name: 'pi07' }, ctx);
    expect(r.changed).toBe(true);
    expect(conn.commands[1]).toBe('kubectl --kubeconfig /etc/kubernetes/admin.conf delete node pi07 --ignore-not-found');

    const again = setup('cp01');
    again.conn.on('get node pi07', { rc: 1, stderr: 'Error from server (NotFound): nodes "pi07" not found' });
    expect((await runModule(kubeadmResetModule, { reset: false, delete_node: true, node_name: 'pi07' }, again.ctx)).changed).toBe(false);
  });

  it('refuses to clean a shallow directory', async () => {
    const { conn, ctx } = setup('pi01');
    conn.on('for d in', { stdout: '/etc\n' });
    conn.on('kubeadm reset', {});
    const r = await runModule(kubeadmResetModule, { cni_conf_dir: '/etc' }, ctx);
    expect(r.failed).toBe(true);
    expect(conn.commands.some((c) => c.startsWith('rm'))).toBe(false);
  });

  it('check mode records the reset', async () => {
    const { conn, ctx } = setup('pi01', { check: true });
    conn.on('for d in', { stdout: '/etc/kubernetes\n' });
    const r = await runModule(kubeadmResetModule, {}, ctx);
    expect(r.changed).toBe(true);
    expect(r.msg).toBe('would reset pi01');
    expect(conn.commands).toHaveLength(1);
  });
});

describe('kube_node', () => {
  const current = nodeJson('gpu01', 'True', {
    labels: { 'kubernetes.io/arch': 'amd64', old: 'x' },
    taints: [{ key: 'dedicated', value: 'a', effect: 'NoSchedule' }],
  });

  it('plans only the differences', () => {
    const plan = planNode(
      nodeInfo(current),
      readLabels([{ key: 'kubernetes.io/arch', value: 'amd64' }, { key: 'node-role.kubernetes.io/worker', value: '' }, { key: 'old', state: 'absent' }, { key: 'missing', state: 'absent' }]),
      [
        { taint: { key: 'nvidia.com/gpu', value: 'true', effect: 'NoSchedule' }, state: 'present' },
        { taint: { key: 'dedicated', value: 'b', effect: 'NoSchedule' }, state: 'present' },
        { taint: { key: 'gone', effect: 'NoExecute' }, state: 'absent' },
      ],
    );
    expect(plan.labelArgs).toEqual(['node-role.kubernetes.io/worker=', 'old-']);
    expect(plan.taintsToSet.map((t) => t.key)).toEqual(['nvidia.com/gpu', 'dedicated']);
    expect(plan.taintsToRemove).toEqual([]);
  });

  it('labels and taints with kubectl, then is idempotent', async () => {
    const { conn, ctx } = setup('cp01');
    conn.on('get node gpu01 -o json', { stdout: JSON.stringify(current) });
    conn.on('label node', {});
    conn.on('taint node', {});
    const r = await runModule(kubeNodeModule, {
      name: 'gpu01',
      labels: { 'nvidia.com/gpu': 'true', 'node-role.kubernetes.io/worker': null },
      taints: ['nvidia.com/gpu=true:NoSchedule', { key: 'dedicated', effect: 'NoSchedule', state: 'absent' }],
    }, ctx);
    expect(r.changed).toBe(true);
    expect(conn.commands.slice(1)).toEqual([
      "kubectl --kubeconfig /etc/kubernetes/admin.conf label node gpu01 --overwrite nvidia.com/gpu=true node-role.kubernetes.io/worker=",
      'kubectl --kubeconfig /etc/kubernetes/admin.conf taint node gpu01 --overwrite nvidia.com/gpu=true:NoSchedule',
      'kubectl --kubeconfig /etc/kubernetes/admin.conf taint node gpu01 dedicated:NoSchedule-',
    ]);

    const after = nodeJson('gpu01', 'True', {
      labels: { 'nvidia.com/gpu': 'true', 'node-role.kubernetes.io/worker': '' },
      taints: [{ key: 'nvidia.com/gpu', value: 'true', effect: 'NoSchedule' }],
    });
    const again = setup('cp01');
    again.conn.on('get node gpu01', { stdout: JSON.stringify(after) });
    const r2 = await runModule(kubeNodeModule, { name: 'gpu01', labels: { 'nvidia.com/gpu': 'true', 'node-role.kubernetes.io/worker': '' }, taints: ['nvidia.com/gpu=true:NoSchedule'] }, again.ctx);
    expect(r2.changed).toBe(false);
    expect(again.conn.commands).toHaveLength(1);
  });

  it('rejects hostile names, keys, values and effects', async () => {
    for (const args of [
      { name: 'gpu01 --all' },
      { name: 'gpu01', labels: { 'a b': 'c' } },
      { name: 'gpu01', labels: { a: "x'; reboot; '" } },
      { name: 'gpu01', taints: ['k=v:Sometimes'] },
      { name: 'gpu01', taints: [{ key: 'k', effect: 'NoSchedule', state: 'gone' }] },
    ]) {
      const { conn, ctx } = setup('cp01');
      const r = await runModule(kubeNodeModule, args, ctx);
      expect(r.failed, JSON.stringify(args)).toBe(true);
      expect(conn.commands).toEqual([]);
    }
  });

  it('fails clearly for an unregistered node; check mode only records', async () => {
    const { conn, ctx } = setup('cp01');
    conn.on('get node', { rc: 1, stderr: 'Error from server (NotFound): nodes "pi09" not found' });
    expect((await runModule(kubeNodeModule, { name: 'pi09', labels: { a: 'b' } }, ctx)).msg).toBe('Node pi09 is not registered in the cluster');

    const c = setup('cp01', { check: true });
    c.conn.on('get node', { stdout: JSON.stringify(current) });
    const r = await runModule(kubeNodeModule, { name: 'gpu01', labels: { a: 'b' } }, c.ctx);
    expect(r.changed).toBe(true);
    expect(c.conn.commands).toHaveLength(1);
    expect(c.ctx.commands.filter((x) => !x.executed)).toHaveLength(1);
  });
});

describe('wait_nodes_ready', () => {
  const groups = { k8s_control_plane: ['cp01'], k8s_worker: ['pi01', 'pi02', 'pi03'], other: ['db01'] };

  it('expects the active play hosts in the k8s groups and names the failed ones', () => {
    expect(expectedNodes(['cp01', 'pi01', 'db01'], ['cp01', 'pi01', 'pi02', 'db01'], groups, ['k8s_control_plane', 'k8s_worker'])).toEqual({ nodes: ['cp01', 'pi01'], excluded: ['pi02'] });
  });

  it('reports reasons, with the Ready condition found by type', () => {
    const report = readiness(['a', 'b', 'c'], [nodeInfo(nodeJson('a', 'True')), nodeInfo(nodeJson('b', 'False', { reason: 'KubeletNotReady', message: 'cni plugin not initialized' }))]);
    expect(report).toEqual({ ready: ['a'], notReady: [{ name: 'b', reason: 'Ready=False KubeletNotReady: cni plugin not initialized' }, { name: 'c', reason: 'not registered' }] });
  });

  it('polls until every expected node is Ready, with progress', async () => {
    const { conn, ctx } = setup('cp01', { vars: { groups, ansible_play_hosts: ['cp01', 'pi01', 'pi02'], ansible_play_hosts_all: ['cp01', 'pi01', 'pi02', 'pi03'] } });
    conn.once('get nodes -o json', { stdout: nodeListJson([nodeJson('cp01', 'True'), nodeJson('pi01', 'False')]) });
    conn.on('get nodes -o json', { stdout: nodeListJson([nodeJson('cp01', 'True'), nodeJson('pi01', 'True'), nodeJson('pi02', 'True')]) });
    const r = await runModule(waitNodesReadyModule, { interval: 1, timeout: 30 }, ctx);
    expect(r.failed).toBeUndefined();
    expect(r.values).toMatchObject({ nodes: ['cp01', 'pi01', 'pi02'], excluded: ['pi03'] });
    expect(ctx.progressMessages).toEqual(['1/3 Ready', '3/3 Ready']);
    expect(conn.commands).toHaveLength(2);
  });

  it('fails on timeout listing each node that is not Ready', async () => {
    const { conn, ctx } = setup('cp01');
    conn.on('get nodes -o json', { stdout: nodeListJson([nodeJson('pi01', 'False', { reason: 'KubeletNotReady', message: 'PLEG is not healthy' })]) });
    const r = await runModule(waitNodesReadyModule, { nodes: ['pi01', 'pi02'], timeout: 0 }, ctx);
    expect(r.failed).toBe(true);
    expect(r.msg).toBe('2/2 nodes not Ready after 0s:\n  pi01: Ready=False KubeletNotReady: PLEG is not healthy\n  pi02: not registered');
  });

  it('in check mode reports without waiting or failing', async () => {
    const { conn, ctx } = setup('cp01', { check: true });
    conn.on('get nodes', { rc: 1, stderr: 'error: stat /etc/kubernetes/admin.conf: no such file or directory' });
    const r = await runModule(waitNodesReadyModule, { nodes: ['pi01'] }, ctx);
    expect(r.failed).toBeUndefined();
    expect(r.msg).toBe('would wait for pi01 to be Ready');
  });

  it('rejects hostile node names', async () => {
    const { conn, ctx } = setup('cp01');
    const r = await runModule(waitNodesReadyModule, { nodes: ['pi01', '$(reboot)'] }, ctx);
    expect(r.failed).toBe(true);
    expect(conn.commands).toEqual([]);
  });
});

describe('kube_node edge cases', () => {
  it('does not read the Node when there is nothing to manage', async () => {
    const { conn, ctx } = setup('cp01');
    const r = await runModule(kubeNodeModule, { name: 'cp01', labels: {}, taints: [] }, ctx);
    expect(r.changed).toBe(false);
    expect(conn.commands).toEqual([]);
  });

  it('in check mode a Node that is not registered yet (its join was only planned) is "would set"', async () => {
    const { conn, ctx } = setup('cp01', { check: true });
    conn.on('get node', { rc: 1, stderr: 'Error from server (NotFound): nodes "pi09" not found' });
    const r = await runModule(kubeNodeModule, { name: 'pi09', labels: { a: 'b' } }, ctx);
    expect(r.failed).toBeUndefined();
    expect(r.changed).toBe(true);
    expect(r.msg).toMatch(/^would set labels and taints on Node pi09 once it is registered/);
  });
});
