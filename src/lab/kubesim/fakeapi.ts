/**
 * A stand-in kube-apiserver endpoint for reachability checks: it listens on loopback only and
 * answers GET /healthz, /livez and /readyz with "ok" and /version with JSON, over plain HTTP and
 * over TLS (self-signed certificate) on the same port, so `curl -k https://127.0.0.1:PORT/healthz`,
 * `curl http://...` and `bash -c '</dev/tcp/127.0.0.1/PORT'` all succeed.
 *
 * Point the play's control-plane endpoint (e.g. k8s_control_plane_endpoint) at `endpoint`; the
 * simulator's `kubeadm init --control-plane-endpoint <endpoint>` then makes joins to it succeed.
 */
import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createNetServer, type Socket } from 'node:net';
import { TLSSocket } from 'node:tls';
import { generateCa } from './ca.js';

export interface FakeApiServer {
  readonly host: string;
  readonly port: number;
  /** host:port */
  readonly endpoint: string;
  close(): Promise<void>;
}

function handler(version: string) {
  return (req: IncomingMessage, res: ServerResponse): void => {
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/healthz' || path === '/livez' || path === '/readyz') {
      res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' });
      res.end('ok');
    } else if (path === '/version') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ major: '1', minor: version.split('.')[1] ?? '30', gitVersion: version, platform: 'linux/amd64' }, null, 2));
    } else {
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'the server could not find the requested resource', reason: 'NotFound', code: 404 }));
    }
  };
}

export async function startFakeApiServer(options: { port?: number; host?: string; version?: string } = {}): Promise<FakeApiServer> {
  const host = options.host ?? '127.0.0.1';
  if (!host.startsWith('127.') && host !== '::1' && host !== 'localhost') throw new Error(`fake API server listens on loopback only, not ${host}`);
  const http = createHttpServer(handler(options.version ?? 'v1.30.2'));
  const ca = generateCa(Date.now());
  const sockets = new Set<Socket>();
  const server = createNetServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.once('readable', () => {
      const first = socket.read(1) as Buffer | null;
      if (first === null) return;
      socket.unshift(first);
      if (first[0] === 0x16) {
        const tls = new TLSSocket(socket, { isServer: true, cert: ca.certPem, key: ca.keyPem });
        tls.on('error', () => socket.destroy());
        http.emit('connection', tls);
      } else {
        http.emit('connection', socket);
      }
    });
    socket.on('error', () => socket.destroy());
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => resolve());
  });
  const addr = server.address();
  const port = typeof addr === 'object' && addr !== null ? addr.port : 0;
  return {
    host,
    port,
    endpoint: `${host}:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
