// The agent's HTTP endpoints: /healthz (the process answers), /readyz (200
// once a sync succeeded; 503 when the last sync failed or the table was not
// confirmed within --stale-after), /metrics (Prometheus text), /status
// (JSON: node, source, the revision in the kernel, the last sync, counts).
// GET and HEAD only; anything else is 405, an unknown path 404.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Agent } from './agent.ts';
import type { AgentMetrics } from './metrics.ts';

export interface Endpoints {
  readonly server: Server;
  /** Where it listens, e.g. "127.0.0.1:9807" (the real port when 0 was asked). */
  readonly address: string;
  close(): Promise<void>;
}

function send(res: ServerResponse, code: number, type: string, body: string): void {
  res.writeHead(code, { 'content-type': type, 'cache-control': 'no-store' });
  res.end(body);
}

async function answer(req: IncomingMessage, res: ServerResponse, agent: Agent, metrics: AgentMetrics): Promise<void> {
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.setHeader('allow', 'GET, HEAD');
    send(res, 405, 'text/plain; charset=utf-8', 'method not allowed\n');
    return;
  }
  const url = new URL(req.url ?? '/', 'http://agent');
  switch (url.pathname) {
    case '/healthz':
      send(res, 200, 'text/plain; charset=utf-8', 'ok\n');
      return;
    case '/readyz': {
      const r = agent.readiness();
      send(res, r.ready ? 200 : 503, 'text/plain; charset=utf-8', `${r.reason}\n`);
      return;
    }
    case '/metrics':
      send(res, 200, metrics.contentType, await metrics.text());
      return;
    case '/status':
      send(res, 200, 'application/json', `${JSON.stringify(agent.status(), null, 2)}\n`);
      return;
    default:
      send(res, 404, 'text/plain; charset=utf-8', 'not found: try /healthz, /readyz, /metrics or /status\n');
  }
}

export function listenEndpoints(agent: Agent, metrics: AgentMetrics, host: string, port: number): Promise<Endpoints> {
  const server = createServer((req, res) => {
    answer(req, res, agent, metrics).catch((err: unknown) => send(res, 500, 'text/plain; charset=utf-8', `${(err as Error).message}\n`));
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host === '' ? undefined : host, () => {
      server.off('error', reject);
      const a = server.address() as AddressInfo;
      resolve({
        server,
        address: `${a.family === 'IPv6' ? `[${a.address}]` : a.address}:${a.port}`,
        close: () => new Promise<void>((done) => {
          server.close(() => done());
          server.closeAllConnections();
        }),
      });
    });
  });
}
