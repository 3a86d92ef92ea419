import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { ADMIN, FAST, simLab, type SimLab } from './harness.js';

let lab: SimLab | undefined;
afterEach(() => {
  lab?.cleanup();
  lab = undefined;
});

describe('kubeadm --config and output formats', () => {
  it('reads InitConfiguration/ClusterConfiguration and JoinConfiguration', async () => {
    lab = await simLab(['cp01', 'pi01'], { ...FAST, readyDelayMs: 600_000 });
    const cp = lab.host('cp01');
    const initCfg = join(cp.home, 'kubeadm.yaml');
    writeFileSync(
      initCfg,
      `apiVersion: kubeadm.k8s.io/v1beta3
kind: InitConfiguration
bootstrapTokens:
- token: abcdef.0123456789abcdef
  ttl: 1h0m0s
nodeRegistration:
  name: cp01
  taints: []
  kubeletExtraArgs:
    node-labels: "topology.kubernetes.io/zone=rack1"
---
apiVersion: kubeadm.k8s.io/v1beta3
kind: ClusterConfiguration
kubernetesVersion: v1.30.2
controlPlaneEndpoint: k8s-api.lab.internal:6443
networking:
  podSubnet: 10.244.0.0/16
`,
    );
    const init = await cp.kubeadm(['init', '--config', initCfg, '--upload-certs']);
    expect(init.stderr).toBe('');
    expect(init.stdout).toContain('[bootstrap-token] Using token: abcdef.0123456789abcdef\n');
    expect(init.stdout).toContain('[mark-control-plane] Marking the node cp01 as control-plane by adding the taints []\n');
    const conf = parse(readFileSync(join(cp.etcDir, 'admin.conf'), 'utf8')) as { clusters: { cluster: { server: string } }[] };
    expect(conf.clusters[0]!.cluster.server).toBe('https://k8s-api.lab.internal:6443');

    const hash = /--discovery-token-ca-cert-hash (sha256:[0-9a-f]{64})/.exec(init.stdout)![1]!;
    const pi = lab.host('pi01');
    const joinCfg = join(pi.home, 'join.yaml');
    writeFileSync(
      joinCfg,
      `apiVersion: kubeadm.k8s.io/v1beta4
kind: JoinConfiguration
discovery:
  bootstrapToken:
    apiServerEndpoint: k8s-api.lab.internal:6443
    token: abcdef.0123456789abcdef
    caCertHashes: ["${hash}"]
nodeRegistration:
  kubeletExtraArgs:
  - name: node-labels
    value: "node.kubernetes.io/instance-type=rpi4b-8g,kubernetes.io/arch=arm64"
`,
    );
    const old = await pi.kubeadm(['join', '--config', joinCfg]);
    expect(old.code).toBe(1);
    expect(old.stderr).toContain('no kind "JoinConfiguration" is registered for version "kubeadm.k8s.io/v1beta4" in scheme');
    lab.cluster.configure({ version: 'v1.31.0' });
    const j = await pi.kubeadm(['join', '--config', joinCfg]);
    expect(j.stderr).toBe('');
    expect(j.code).toBe(0);
    const nodes = lab.cluster.nodes();
    expect(nodes.find((n) => n.name === 'cp01')!.labels['topology.kubernetes.io/zone']).toBe('rack1');
    expect(nodes.find((n) => n.name === 'cp01')!.taints).toEqual([{ key: 'node.kubernetes.io/not-ready', effect: 'NoSchedule' }]);
    expect(nodes.find((n) => n.name === 'pi01')!.labels).toMatchObject({ 'node.kubernetes.io/instance-type': 'rpi4b-8g', 'kubernetes.io/arch': 'arm64' });

    const yaml = parse((await cp.kubectl(['get', 'node', 'pi01', '-o', 'yaml'], { kubeconfigEnv: ADMIN })).stdout) as { kind: string; status: { nodeInfo: { kubeletVersion: string } } };
    expect(yaml.kind).toBe('Node');
    expect(yaml.status.nodeInfo.kubeletVersion).toBe('v1.31.0');
    const wide = await cp.kubectl(['get', 'nodes', '-o', 'wide'], { kubeconfigEnv: ADMIN });
    expect(wide.stdout.split('\n')[0]).toMatch(/^NAME\s+STATUS\s+ROLES\s+AGE\s+VERSION\s+INTERNAL-IP\s+EXTERNAL-IP\s+OS-IMAGE\s+KERNEL-VERSION\s+CONTAINER-RUNTIME$/);
    expect(wide.stdout).toMatch(/\npi01\s+NotReady\s+<none>\s+\S+\s+v1\.31\.0\s+10\.0\.0\.12\s+<none>\s+Ubuntu 22\.04\.4 LTS\s+\S+\s+containerd:\/\/1\.7\.12\n/);

    const ver = await cp.kubeadm(['version', '-o', 'short']);
    expect(ver.stdout).toBe('v1.31.0\n');
    expect((await cp.kubeadm(['version'])).stdout).toMatch(/^kubeadm version: &version\.Info\{Major:"1", Minor:"31", GitVersion:"v1\.31\.0", /);
  });

  it('uploads certificates again with init phase upload-certs', async () => {
    lab = await simLab(['cp01']);
    const cp = lab.host('cp01');
    const init = await cp.kubeadm(['init', '--control-plane-endpoint', '10.0.0.100:6443']);
    expect(init.stdout).toContain('[upload-certs] Skipping phase. Please see --upload-certs\n');
    expect(init.stdout).toContain('You can now join any number of control-plane nodes by copying certificate authorities\nand service account keys on each node and then running the following as root:\n\n  kubeadm join 10.0.0.100:6443 --token');
    const up = await cp.kubeadm(['init', 'phase', 'upload-certs', '--upload-certs']);
    expect(up.stdout).toMatch(/^\[upload-certs\] Storing the certificates in Secret "kubeadm-certs" in the "kube-system" Namespace\n\[upload-certs\] Using certificate key:\n[0-9a-f]{64}\n$/);
  });
});
