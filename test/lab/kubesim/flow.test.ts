import { X509Certificate, createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ADMIN, FAST, joinArgs, simLab, type SimLab } from './harness.js';

let lab: SimLab | undefined;
afterEach(() => {
  lab?.cleanup();
  lab = undefined;
});

describe('kubesim init -> token -> join -> nodes', () => {
  it('bootstraps a cluster with three concurrent joins and turns nodes Ready after the delay', async () => {
    lab = await simLab(['cp01', 'w1', 'w2', 'w3']);
    const cp = lab.host('cp01');
    const init = await cp.kubeadm(['init', '--control-plane-endpoint', 'k8s-api.lab.internal:6443', '--upload-certs', '--pod-network-cidr', '10.244.0.0/16']);
    expect(init.stderr).toBe('');
    expect(init.code).toBe(0);
    expect(init.stdout).toContain('[init] Using Kubernetes version: v1.30.2\n[preflight] Running pre-flight checks\n');
    expect(init.stdout).toContain('Your Kubernetes control-plane has initialized successfully!');
    expect(init.stdout).toMatch(/\[upload-certs\] Using certificate key:\n[0-9a-f]{64}\n/);
    expect(init.stdout).toMatch(/\[bootstrap-token\] Using token: [a-z0-9]{6}\.[a-z0-9]{16}\n/);
    expect(init.stdout).toMatch(
      /You can now join any number of the control-plane node running the following command on each as root:\n\n {2}kubeadm join k8s-api\.lab\.internal:6443 --token [a-z0-9.]{23} \\\n\t--discovery-token-ca-cert-hash sha256:[0-9a-f]{64} \\\n\t--control-plane --certificate-key [0-9a-f]{64}\n/,
    );
    expect(init.stdout).toMatch(/Then you can join any number of worker nodes by running the following on each as root:\n\nkubeadm join k8s-api\.lab\.internal:6443 --token [a-z0-9.]{23} \\\n\t--discovery-token-ca-cert-hash sha256:[0-9a-f]{64} \n$/);

    // the CA is a real certificate whose SPKI hash is the discovery hash
    const caPem = readFileSync(join(cp.etcDir, 'pki/ca.crt'), 'utf8');
    const x509 = new X509Certificate(caPem);
    expect(x509.subject).toBe('CN=kubernetes');
    expect(x509.ca).toBe(true);
    const hash = `sha256:${createHash('sha256').update(x509.publicKey.export({ type: 'spki', format: 'der' })).digest('hex')}`;
    expect(init.stdout).toContain(`--discovery-token-ca-cert-hash ${hash} `);
    expect(existsSync(join(cp.etcDir, 'admin.conf'))).toBe(true);
    expect(readFileSync(join(cp.etcDir, 'admin.conf'), 'utf8')).toContain('server: https://k8s-api.lab.internal:6443');

    const created = await cp.kubeadm(['token', 'create', '--print-join-command']);
    expect(created.code).toBe(0);
    expect(created.stdout).toMatch(new RegExp(`^kubeadm join k8s-api\\.lab\\.internal:6443 --token [a-z0-9]{6}\\.[a-z0-9]{16} --discovery-token-ca-cert-hash ${hash} \\n$`));

    const args = joinArgs(created.stdout);
    lab.cluster.configure({ readyDelayMs: 600_000 });
    const joins = await Promise.all(['w1', 'w2', 'w3'].map((n) => lab!.host(n).kubeadm(['join', ...args])));
    for (const j of joins) {
      expect(j.stderr).toBe('');
      expect(j.code).toBe(0);
      expect(j.stdout).toContain('\nThis node has joined the cluster:\n* Certificate signing request was sent to apiserver and a response was received.\n');
      expect(j.stdout).toContain("Run 'kubectl get nodes' on the control-plane to see this node join the cluster.");
    }
    const log = lab.cluster.readJoinLog();
    expect(log.joins.map((j) => j.node).sort()).toEqual(['w1', 'w2', 'w3']);
    expect(log.joins.every((j) => j.ok === true && j.end !== undefined)).toBe(true);
    expect(log.maxConcurrent).toBe(3);

    const early = JSON.parse((await cp.kubectl(['get', 'nodes', '-o', 'json', '--kubeconfig', ADMIN])).stdout) as NodeList;
    expect(early.kind).toBe('List');
    const w1 = early.items.find((i) => i.metadata.name === 'w1')!;
    const readyEarly = w1.status.conditions.find((c) => c.type === 'Ready')!;
    expect(readyEarly).toMatchObject({ status: 'False', reason: 'KubeletNotReady' });
    expect(readyEarly.message).toContain('cni plugin not initialized');

    lab.cluster.configure({ readyDelayMs: 0 });
    const later = JSON.parse((await cp.kubectl(['get', 'nodes', '-o', 'json', '--kubeconfig', ADMIN])).stdout) as NodeList;
    expect(later.items.map((i) => i.metadata.name)).toEqual(['cp01', 'w1', 'w2', 'w3']);
    for (const item of later.items) {
      expect(item.status.conditions.find((c) => c.type === 'Ready')).toMatchObject({ status: 'True', reason: 'KubeletReady', message: 'kubelet is posting ready status' });
    }
    const cpItem = later.items[0]!;
    expect(cpItem.metadata.labels['node-role.kubernetes.io/control-plane']).toBe('');
    expect(cpItem.spec.taints).toEqual([{ effect: 'NoSchedule', key: 'node-role.kubernetes.io/control-plane' }]);

    const table = await cp.kubectl(['get', 'nodes'], { kubeconfigEnv: ADMIN });
    expect(table.code).toBe(0);
    const lines = table.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^NAME\s{3,}STATUS\s{3,}ROLES\s{3,}AGE\s{3,}VERSION$/);
    expect(lines[1]).toMatch(/^cp01\s+Ready\s+control-plane\s+\d+s\s+v1\.30\.2$/);
    expect(lines[2]).toMatch(/^w1\s+Ready\s+<none>\s+\d+s\s+v1\.30\.2$/);

    const jp = await cp.kubectl(['get', 'node', 'w2', '-o', 'jsonpath={.status.conditions[?(@.type=="Ready")].status}'], { kubeconfigEnv: ADMIN });
    expect(jp.stdout).toBe('True');
    const names = await cp.kubectl(['get', 'nodes', '-o', "jsonpath={range .items[*]}{.metadata.name}{\"\\n\"}{end}"], { kubeconfigEnv: ADMIN });
    expect(names.stdout).toBe('cp01\nw1\nw2\nw3\n');
    expect(lab.cluster.nodes().every((n) => n.ready)).toBe(true);
  });

  it('joins a second control plane with the certificate key', async () => {
    lab = await simLab(['cp01', 'cp02'], { ...FAST, readyDelayMs: 600_000 });
    const init = await lab.host('cp01').kubeadm(['init', '--control-plane-endpoint', '10.0.0.100', '--upload-certs']);
    expect(init.code).toBe(0);
    const key = /Using certificate key:\n([0-9a-f]{64})/.exec(init.stdout)![1]!;
    const printed = await lab.host('cp01').kubeadm(['token', 'create', '--print-join-command', '--certificate-key', key]);
    expect(printed.stdout).toMatch(new RegExp(`^kubeadm join 10\\.0\\.0\\.100:6443 --token \\S+ --discovery-token-ca-cert-hash sha256:[0-9a-f]{64} --control-plane --certificate-key ${key}\\n$`));
    const cp2 = lab.host('cp02');
    const j = await cp2.kubeadm(['join', ...joinArgs(printed.stdout)]);
    expect(j.stderr).toBe('');
    expect(j.stdout).toContain('This node has joined the cluster and a new control plane instance was created:');
    expect(existsSync(join(cp2.etcDir, 'admin.conf'))).toBe(true);
    const roles = await cp2.kubectl(['get', 'nodes', '--no-headers', '--kubeconfig', ADMIN]);
    expect(roles.stdout).toMatch(/^cp02\s+NotReady\s+control-plane\s/m);
    expect(lab.cluster.nodes().find((n) => n.name === 'cp02')?.role).toBe('control-plane');
  });
});

interface NodeList {
  kind: string;
  items: {
    metadata: { name: string; labels: Record<string, string> };
    spec: { taints?: { key: string; effect: string; value?: string }[] };
    status: { conditions: { type: string; status: string; reason: string; message: string }[] };
  }[];
}
