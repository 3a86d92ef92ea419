/** A loopback HTTP server for module tests (127.0.0.1, ephemeral port). */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedRequest {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingMessage['headers'];
  readonly body: string;
}

export type Route = (req: IncomingMessage, res: ServerResponse, body: Buffer) => void;

export interface TestServer {
  readonly base: string;
  readonly requests: RecordedRequest[];
  close(): Promise<void>;
}

/** Starts a server answering from `routes` (by path, query ignored); unknown paths get a 404. */
export async function startServer(routes: Readonly<Record<string, Route>>): Promise<TestServer> {
  const requests: RecordedRequest[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: body.toString('utf8') });
      const path = (req.url ?? '/').split('?')[0]!;
      const route = routes[path];
      if (route) route(req, res, body);
      else {
        res.writeHead(404, { 'Content-Type': 'text/html' });
        res.end('<h1>not found</h1>');
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    base: `http://127.0.0.1:${port}`,
    requests,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
