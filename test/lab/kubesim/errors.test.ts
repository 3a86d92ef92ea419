import { afterEach, describe, expect, it } from 'vitest';
import { ADMIN, joinArgs, simLab, type SimLab } from './harness.js';

const HINT = 'To see the stack trace of this error execute with --v=5 or higher\n';
let lab: SimLab | undefined;
afterEach(() => {
  lab?.cleanup();
  lab = undefined;
});

async function cluster(names: string[]) {
  lab = await simLab(names);
  const cp = lab.host('cp01');
  expect((await cp.kubeadm(['init'])).code).toBe(0);
  const printed = (await cp.kubeadm(['token', 'create', '--print-join-command'])).stdout;
  return { lab, cp, args: joinArgs(printed) };
}

describe('kubeadm error texts', () => {
  it('fails preflight when joining twice, and on re-init', async () => {
    const { lab: l, cp, args } = await cluster(['cp01', 'w1']);
    const w1 = l.host('w1');
    expect((await w1.kubeadm(['join', ...args])).code).toBe(0);
    const again = await w1.kubeadm(['join', ...args]);
    expect(again.code).toBe(1);
    expect(again.stdout).toBe('[preflight] Running pre-flight checks\n');
    expect(again.stderr).toBe(
      'error execution phase preflight: [preflight] Some fatal errors occurred:\n' +
        '\t[ERROR FileAvailable--etc-kubernetes-kubelet.conf]: /etc/kubernetes/kubelet.conf already exists\n' +
        '\t[ERROR Port-10250]: Port 10250 is in use\n' +
        '\t[ERROR FileAvailable--etc-kubernetes-pki-ca.crt]: /etc/kubernetes/pki/ca.crt already exists\n' +
        '[preflight] If you know what you are doing, you can make a check non-fatal with `--ignore-preflight-errors=...`\n' +
        HINT,
    );
    const reinit = await cp.kubeadm(['init']);
    expect(reinit.code).toBe(1);
    expect(reinit.stderr).toContain('\t[ERROR Port-6443]: Port 6443 is in use\n');
    expect(reinit.stderr).toContain('\t[ERROR FileAvailable--etc-kubernetes-manifests-kube-apiserver.yaml]: /etc/kubernetes/manifests/kube-apiserver.yaml already exists\n');
    expect(reinit.stderr).toContain('\t[ERROR DirAvailable--var-lib-etcd]: /var/lib/etcd is not empty\n');
  });

  it('reports an unknown or expired token, a wrong secret and an unpinned CA', async () => {
    const { lab: l, args } = await cluster(['cp01', 'w1']);
    const w1 = l.host('w1');
    const endpoint = args[0]!;
    const hash = args[args.indexOf('--discovery-token-ca-cert-hash') + 1]!;
    const unknown = await w1.kubeadm(['join', endpoint, '--token', 'abcdef.0123456789abcdef', '--discovery-token-ca-cert-hash', hash]);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toBe(`error execution phase preflight: couldn't validate the identity of the API Server: could not find a JWS signature in the cluster-info ConfigMap for token ID "abcdef"\n${HINT}`);

    const token = args[args.indexOf('--token') + 1]!;
    const wrongSecret = await w1.kubeadm(['join', endpoint, '--token', `${token.slice(0, 7)}0000000000000000`, '--discovery-token-ca-cert-hash', hash]);
    expect(wrongSecret.stderr).toContain("failed to verify JWS signature of received cluster info object, can't trust this API Server");

    const badHash = `sha256:${'0'.repeat(64)}`;
    const unpinned = await w1.kubeadm(['join', endpoint, '--token', token, '--discovery-token-ca-cert-hash', badHash]);
    expect(unpinned.code).toBe(1);
    expect(unpinned.stderr).toBe(`error execution phase preflight: couldn't validate the identity of the API Server: cluster CA found in cluster-info ConfigMap is invalid: none of the public keys "${hash}" are pinned\n${HINT}`);

    const shortHash = await w1.kubeadm(['join', endpoint, '--token', token, '--discovery-token-ca-cert-hash', 'sha256:abcd']);
    expect(shortHash.stderr).toContain('invalid discovery token CA certificate hash: invalid hash "sha256:abcd", expected a 32 byte SHA-256 hash, found 2 bytes');
    expect(l.cluster.nodes().map((n) => n.name)).toEqual(['cp01']);
  });

  it('validates token format and the CA pin requirement before doing anything', async () => {
    lab = await simLab(['w1']);
    const w1 = lab.host('w1');
    const bad = await w1.kubeadm(['join', '10.0.0.1:6443', '--token', 'BAD', '--discovery-token-ca-cert-hash', `sha256:${'a'.repeat(64)}`]);
    expect(bad.code).toBe(1);
    expect(bad.stdout).toBe('');
    expect(bad.stderr).toBe(
      `[discovery.bootstrapToken.token: Invalid value: "BAD": the bootstrap token is invalid, discovery.tlsBootstrapToken: Invalid value: "BAD": the bootstrap token is invalid]\n${HINT}`,
    );
    const nohash = await w1.kubeadm(['join', '10.0.0.1:6443', '--token', 'abcdef.0123456789abcdef']);
    expect(nohash.stderr).toContain('discovery.bootstrapToken: Invalid value: "": using token-based discovery without caCertHashes can be unsafe.');
    const create = await w1.kubeadm(['token', 'create', 'abc.def']);
    expect(create.stderr).toBe(`the bootstrap token "abc.def" was not of the form "\\\\A([a-z0-9]{6})\\\\.([a-z0-9]{16})\\\\z"\n${HINT}`);
    const ttl = await w1.kubeadm(['token', 'create', '--ttl', '10x']);
    expect(ttl.stderr).toBe(`invalid argument "10x" for "--ttl" flag: time: invalid duration "10x"\n${HINT}`);
    const flag = await w1.kubeadm(['join', '--bogus']);
    expect(flag.stderr).toBe(`unknown flag: --bogus\n${HINT}`);
    const mixed = await w1.kubeadm(['init', '--config', '/nonexistent.yaml', '--token-ttl', '1h', '--control-plane-endpoint', 'x']);
    expect(mixed.stderr).toBe(`can not mix '--config' with arguments [control-plane-endpoint token-ttl]\n${HINT}`);
  });

  it('reports connection refused when the API server is unreachable', async () => {
    lab = await simLab(['w1']);
    const j = await lab.host('w1').kubeadm(['join', '10.0.0.1:6443', '--token', 'abcdef.0123456789abcdef', '--discovery-token-ca-cert-hash', `sha256:${'a'.repeat(64)}`]);
    expect(j.code).toBe(1);
    expect(j.stderr).toBe(
      `error execution phase preflight: couldn't validate the identity of the API Server: failed to request the cluster-info ConfigMap: Get "https://10.0.0.1:6443/api/v1/namespaces/kube-public/configmaps/cluster-info?timeout=10s": dial tcp 10.0.0.1:6443: connect: connection refused\n${HINT}`,
    );
    const tok = await lab.host('w1').kubeadm(['token', 'list']);
    expect(tok.stderr).toBe(`failed to load admin kubeconfig: open /etc/kubernetes/admin.conf: no such file or directory\n${HINT}`);
  });

  it('refuses a second join under the name of a Ready node', async () => {
    const { lab: l, args } = await cluster(['cp01', 'w1', 'w2']);
    expect((await l.host('w1').kubeadm(['join', ...args])).code).toBe(0);
    await new Promise((r) => setTimeout(r, 350));
    const dup = await l.host('w2').kubeadm(['join', ...args, '--node-name', 'w1']);
    expect(dup.code).toBe(1);
    expect(dup.stderr).toBe(
      `error execution phase kubelet-start: a Node with name "w1" and status "Ready" already exists in the cluster. You must delete the existing Node or change the name of this new joining node\n${HINT}`,
    );
  });
});

describe('kubectl error texts', () => {
  it('needs a kubeconfig', async () => {
    lab = await simLab(['cp01']);
    const cp = lab.host('cp01');
    const none = await cp.kubectl(['get', 'nodes']);
    expect(none.code).toBe(1);
    const lines = none.stderr.trimEnd().split('\n');
    expect(lines).toHaveLength(6);
    expect(lines[0]).toMatch(/^E\d{4} \d\d:\d\d:\d\d\.\d{6} +\d+ memcache\.go:265\] couldn't get current server API group list: Get "http:\/\/localhost:8080\/api\?timeout=32s": dial tcp 127\.0\.0\.1:8080: connect: connection refused$/);
    expect(lines[5]).toBe('The connection to the server localhost:8080 was refused - did you specify the right host or port?');
    const missing = await cp.kubectl(['get', 'nodes', '--kubeconfig', ADMIN]);
    expect(missing.stderr).toBe('error: stat /etc/kubernetes/admin.conf: no such file or directory\n');
    const envMissing = await cp.kubectl(['version'], { kubeconfigEnv: ADMIN });
    expect(envMissing.stdout).toBe('Client Version: v1.30.2\nKustomize Version: v5.0.4-0.20230601165947-6ce0bf390ce3\n');
    expect(envMissing.stderr).toBe('The connection to the server localhost:8080 was refused - did you specify the right host or port?\n');
    expect(envMissing.code).toBe(1);
    expect((await cp.kubeadm(['init'])).code).toBe(0);
    const ok = await cp.kubectl(['version'], { kubeconfigEnv: ADMIN });
    expect(ok.stdout).toContain('Server Version: v1.30.2\n');
    const nf = await cp.kubectl(['get', 'node', 'ghost'], { kubeconfigEnv: ADMIN });
    expect(nf.stderr).toBe('Error from server (NotFound): nodes "ghost" not found\n');
    expect(nf.code).toBe(1);
    const flag = await cp.kubectl(['get', 'nodes', '--bogus'], { kubeconfigEnv: ADMIN });
    expect(flag.stderr).toBe("error: unknown flag: --bogus\nSee 'kubectl get --help' for usage.\n");
  });
});
