// A fake Kubernetes API server for tests of anything that lists and watches:
// node:http on 127.0.0.1, an ephemeral port (or on a Unix socket, which a
// relay in another network namespace can reach: loopback is per namespace,
// the filesystem is not), speaking the wire protocol the real one speaks for
// Namespaces, Pods, NetworkPolicies and Nodes, and, once installed
// (installCrd), the cluster-wide policies of policy.networking.k8s.io with
// their discovery documents (GET /apis/policy.networking.k8s.io/VERSION; 404
// while no CRD of that version is installed, as for any path not served).
//
// What it implements, as the API documents it:
//  - One resourceVersion counter for every kind (etcd's revision): every
//    write gets the next one, in the object's metadata.resourceVersion.
//  - list: `{kind: PodList, metadata: {resourceVersion, continue?}, items}`,
//    items in key order without kind/apiVersion; `limit` cuts it into pages
//    and `continue` resumes at the snapshot the first page was read at (a
//    continue token older than the history is 410 Gone, "Expired").
//  - watch (`?watch=true`): JSON lines `{type, object}`. From resourceVersion
//    "" or "0", every current object as ADDED first; from N, every change
//    after N, then live ones. N older than the retained history: one ERROR
//    event with a Status of code 410 ("too old resource version"), and the
//    stream ends. allowWatchBookmarks=true lets bookmark() reach the watch;
//    timeoutSeconds ends it cleanly.
//  - DELETED carries the object with the deletion's resourceVersion.
// It validates nothing: a malformed object is served as applied, which is
// how tests feed the client what a buggy server, an old one, or a field the
// engine refuses would give it.
//
// Fault injection: dropWatches() (connections cut), expireHistory() (every
// resume is 410), restart() (both), goDown()/comeBack() (nothing listens on
// the port for a while), latencyMs (every response late), holdLists() (one
// resource's lists wait until released), injectLine() (a raw line into watches).
// Authorization: requireToken (401), role (RBAC: 403 for what it does not grant).
// removeCrd() deletes a CRD as the API server does: its objects first (DELETED
// events), then its watches end and its paths are 404.
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import {
  discoveryDocument, isCustomResource, KIND_TO_RESOURCE, keyOf, RESOURCES, route, status, type CustomResource, type FakeResource, type KubeObject,
} from './fake-api-resources.ts';
import { ListPages } from './fake-api-list.ts';
import { allowed, forbiddenMessage, requestAttributes, type PolicyRule } from './fake-rbac.ts';

// Clients' configs for it and its vocabulary live beside it; importers of this module find them here too.
export { fakeKubeConfig, writeFakeKubeconfig } from './fake-kubeconfig.ts';
export type { CustomResource, FakeResource, KubeObject } from './fake-api-resources.ts';

/** A key and certificate (PEM) for an HTTPS fake server. */
export interface FakeTls {
  readonly key: string;
  readonly cert: string;
}

interface HistoryEvent {
  readonly rv: number;
  readonly resource: FakeResource;
  readonly type: 'ADDED' | 'MODIFIED' | 'DELETED';
  readonly object: KubeObject;
}

interface Watcher {
  readonly resource: FakeResource;
  readonly namespace?: string;
  readonly bookmarks: boolean;
  readonly res: ServerResponse;
}

export class FakeApiServer {
  /** Every request, as "GET /api/v1/pods?limit=500", in arrival order. */
  readonly requests: string[] = [];
  /** Milliseconds every response waits before it is answered. */
  latencyMs = 0;
  /**
   * How a watch from a resourceVersion older than the history is refused: a
   * 200 whose one event is ERROR with a 410 Status (what kube-apiserver
   * sends), or an HTTP 410 answer (what some proxies and older servers send).
   */
  watchGoneAs: 'event' | 'status' = 'event';
  /** When set, a request without `Authorization: Bearer <requireToken>` is 401 Unauthorized. */
  requireToken: string | undefined;
  /** When set, RBAC as kube-apiserver does it (fake-rbac.ts): a request the rules do not grant `user` is 403 Forbidden. */
  role: { readonly user: string; readonly rules: readonly PolicyRule[] } | undefined;
  /** Every request refused by `role`, as "GET /api/v1/pods?watch=true: <the Status message>". */
  readonly forbidden: string[] = [];
  /** When set, discovery requests (GET /apis/policy.networking.k8s.io/VERSION) are answered with this HTTP status. */
  discoveryFailure: number | undefined;
  /** Called with each list or watch request before it is answered: a test's hook to act at an exact point of the protocol. */
  onRequest: ((request: { readonly resource: FakeResource; readonly watch: boolean; readonly query: URLSearchParams }) => void) | undefined;
  private rv = 100;
  /** Events after this resourceVersion are all in `history`; older ones are gone. */
  private compactedRv = 100;
  private history: HistoryEvent[] = [];
  private readonly objects = new Map<FakeResource, Map<string, KubeObject>>(
    (Object.keys(RESOURCES) as FakeResource[]).map((r) => [r, new Map()]),
  );
  private readonly watchers = new Set<Watcher>();
  private readonly sockets = new Set<Socket>();
  private readonly pages = new ListPages();
  private readonly holds = new Map<FakeResource, { readonly held: Promise<void>; readonly release: () => void }>();
  /** The CRDs installed: their resources are served, and listed in discovery. */
  private readonly installed = new Set<CustomResource>();
  private nextUid = 1;
  private server: Server;
  private port = 0;

  private readonly tls: FakeTls | undefined;
  /** The Unix socket listened on instead of a TCP port, if any. */
  readonly socketPath: string | undefined;

  private constructor(tls: FakeTls | undefined, socketPath: string | undefined) {
    this.tls = tls;
    this.socketPath = socketPath;
    this.server = this.makeServer();
  }

  /**
   * A server listening on 127.0.0.1, on a port the system picks; HTTPS with
   * `tls`. With `socketPath`, on that Unix socket instead (the file must not
   * exist; it is removed when the server goes down or closes).
   */
  static async start(opts: { readonly tls?: FakeTls; readonly socketPath?: string } = {}): Promise<FakeApiServer> {
    const s = new FakeApiServer(opts.tls, opts.socketPath);
    await s.listen(0);
    return s;
  }

  /** The server's URL; a server on a Unix socket has none (its clients reach it through a relay, whose URL they know). */
  get url(): string {
    if (this.socketPath !== undefined) throw new Error(`fake API server: listening on the Unix socket ${this.socketPath}, not on a URL`);
    return `${this.tls ? 'https' : 'http'}://127.0.0.1:${this.port}`;
  }

  /** Every stored object of a kind, in key order (namespace/name). */
  all(kind: string): KubeObject[] {
    const resource = KIND_TO_RESOURCE[kind];
    if (!resource) throw new Error(`fake API server: no kind ${JSON.stringify(kind)}`);
    return this.current(resource, undefined);
  }

  /** The latest resourceVersion, as a list would answer now. */
  get resourceVersion(): string {
    return String(this.rv);
  }

  /** Installs CRDs: their resources are served from now on. */
  installCrd(...resources: CustomResource[]): void {
    for (const r of resources) this.installed.add(r);
  }

  /** Deletes a CRD: every object of it first (DELETED to its watches), then its watches end and it is not served. */
  removeCrd(resource: CustomResource): void {
    for (const o of this.current(resource, undefined)) this.delete(RESOURCES[resource].kind, undefined, String(o.metadata?.name));
    this.installed.delete(resource);
    for (const w of [...this.watchers].filter((x) => x.resource === resource)) {
      this.watchers.delete(w);
      w.res.end();
    }
  }

  /** Creates or replaces an object (by kind, namespace, name); returns it as stored. */
  apply(input: KubeObject): KubeObject {
    const resource = typeof input.kind === 'string' ? KIND_TO_RESOURCE[input.kind] : undefined;
    if (!resource) throw new Error(`fake API server: cannot store kind ${JSON.stringify(input.kind)}`);
    if (isCustomResource(resource) && !this.installed.has(resource)) throw new Error(`fake API server: no CRD installed for ${resource} (installCrd first)`);
    const obj = structuredClone(input);
    const meta: Record<string, unknown> = { ...(obj.metadata ?? {}) };
    const store = this.objects.get(resource) as Map<string, KubeObject>;
    const old = store.get(keyOf({ metadata: meta }));
    meta.uid ??= old?.metadata?.uid ?? `uid-${this.nextUid++}`;
    meta.creationTimestamp ??= old?.metadata?.creationTimestamp ?? '2026-01-01T00:00:00Z';
    meta.resourceVersion = String(++this.rv);
    const stored: KubeObject = { ...obj, apiVersion: RESOURCES[resource].apiVersion, kind: RESOURCES[resource].kind, metadata: meta };
    store.set(keyOf(stored), stored);
    this.record({ rv: this.rv, resource, type: old ? 'MODIFIED' : 'ADDED', object: stored });
    return stored;
  }

  /** Deletes an object; true when there was one. */
  delete(kind: string, namespace: string | undefined, name: string): boolean {
    const resource = KIND_TO_RESOURCE[kind];
    if (!resource) throw new Error(`fake API server: no kind ${JSON.stringify(kind)}`);
    const store = this.objects.get(resource) as Map<string, KubeObject>;
    const key = namespace ? `${namespace}/${name}` : name;
    const old = store.get(key);
    if (!old) return false;
    store.delete(key);
    const object = { ...old, metadata: { ...old.metadata, resourceVersion: String(++this.rv) } };
    this.record({ rv: this.rv, resource, type: 'DELETED', object });
    return true;
  }

  /** The stored object, if any. */
  get(kind: string, namespace: string | undefined, name: string): KubeObject | undefined {
    const resource = KIND_TO_RESOURCE[kind];
    return resource && this.objects.get(resource)?.get(namespace ? `${namespace}/${name}` : name);
  }

  /** A BOOKMARK with the current resourceVersion to every watch that allowed bookmarks; how many got one. */
  bookmark(): number {
    let sent = 0;
    for (const w of this.watchers) {
      if (!w.bookmarks) continue;
      const { kind, apiVersion } = RESOURCES[w.resource];
      this.send(w.res, { type: 'BOOKMARK', object: { kind, apiVersion, metadata: { resourceVersion: this.resourceVersion } } });
      sent++;
    }
    return sent;
  }

  /** Writes `line` as it is into every open watch of `resource` (malformed JSON, say). */
  injectLine(resource: FakeResource, line: string): void {
    for (const w of this.watchers) if (w.resource === resource) w.res.write(`${line}\n`);
  }

  /** Open watch connections, per resource. */
  watchCount(resource?: FakeResource): number {
    return [...this.watchers].filter((w) => resource === undefined || w.resource === resource).length;
  }

  /** Cuts every watch connection, as a load balancer or a crashing server would. */
  dropWatches(): void {
    for (const w of this.watchers) w.res.socket?.destroy();
    this.watchers.clear();
  }

  /** Forgets the change history: every resume from an earlier resourceVersion, and every continue token, is 410 Gone. */
  expireHistory(): void {
    this.history = [];
    this.compactedRv = this.rv;
    this.pages.clear();
  }

  /** A restarted API server: watches cut, and none can resume (its watch cache starts at the current revision). */
  restart(): void {
    this.dropWatches();
    this.expireHistory();
  }

  /** Nothing listens on the port (or socket) until comeBack(); every connection is cut. */
  async goDown(): Promise<void> {
    this.dropWatches();
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const s of this.sockets) s.destroy();
    await closed;
  }

  /** Listens again, on the same port (or socket). */
  async comeBack(): Promise<void> {
    this.server = this.makeServer();
    await this.listen(this.port);
  }

  /** Lists of `resource` wait until the returned function is called. */
  holdLists(resource: FakeResource): () => void {
    let resolve = (): void => undefined;
    const held = new Promise<void>((r) => (resolve = r));
    const release = (): void => {
      if (this.holds.get(resource)?.held === held) this.holds.delete(resource);
      resolve();
    };
    this.holds.set(resource, { held, release });
    return release;
  }

  /** Stops listening and cuts every connection; held lists are let go. */
  async close(): Promise<void> {
    for (const { release } of [...this.holds.values()]) release();
    if (!this.server.listening) return;
    await this.goDown();
  }

  private async listen(port: number): Promise<void> {
    if (this.socketPath !== undefined) {
      this.server.listen(this.socketPath);
      await once(this.server, 'listening');
      return;
    }
    this.server.listen(port, '127.0.0.1');
    await once(this.server, 'listening');
    this.port = (this.server.address() as AddressInfo).port;
  }

  private makeServer(): Server {
    const handler = (req: IncomingMessage, res: ServerResponse): void => {
      this.handle(req, res).catch((err: unknown) => {
        if (!res.headersSent) this.json(res, 500, status(500, 'InternalError', String(err)));
        else res.destroy();
      });
    };
    const server: Server = this.tls ? createTlsServer({ key: this.tls.key, cert: this.tls.cert }, handler) : createServer(handler);
    server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
    return server;
  }

  private record(event: HistoryEvent): void {
    this.history.push(event);
    for (const w of this.watchers) {
      if (w.resource === event.resource && (w.namespace === undefined || w.namespace === event.object.metadata?.namespace)) {
        this.send(w.res, { type: event.type, object: event.object });
      }
    }
  }

  private send(res: ServerResponse, event: unknown): void {
    res.write(`${JSON.stringify(event)}\n`);
  }

  private json(res: ServerResponse, code: number, body: unknown): void {
    res.writeHead(code, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://fake');
    this.requests.push(`${req.method} ${url.pathname}${url.search}`);
    if (this.latencyMs > 0) await new Promise((r) => setTimeout(r, this.latencyMs));
    if (this.requireToken !== undefined && req.headers.authorization !== `Bearer ${this.requireToken}`) {
      this.json(res, 401, status(401, 'Unauthorized', 'Unauthorized'));
      return;
    }
    const attributes = requestAttributes(req.method ?? 'GET', url);
    if (this.role !== undefined && !allowed(this.role.rules, attributes)) {
      const message = forbiddenMessage(this.role.user, attributes);
      this.forbidden.push(`${req.method} ${url.pathname}${url.search}: ${message}`);
      this.json(res, 403, { ...status(403, 'Forbidden', message), details: { ...(attributes.name !== '' && { name: attributes.name }), group: attributes.apiGroup, kind: attributes.resource } });
      return;
    }
    if (this.discoveryFailure !== undefined && /^\/apis\/policy\.networking\.k8s\.io\/[^/]+$/.test(url.pathname)) {
      this.json(res, this.discoveryFailure, status(this.discoveryFailure, 'InternalError', 'discovery is broken in this test'));
      return;
    }
    const discovery = req.method === 'GET' ? discoveryDocument(url.pathname, this.installed) : undefined;
    if (discovery !== undefined) {
      this.json(res, 200, discovery);
      return;
    }
    const routed = route(url.pathname);
    const target = routed && (!isCustomResource(routed.resource) || this.installed.has(routed.resource)) ? routed : undefined;
    if (req.method !== 'GET' || !target) {
      this.json(res, 404, status(404, 'NotFound', `the server could not find the requested resource (${req.method} ${url.pathname})`));
      return;
    }
    const q = url.searchParams;
    const watch = q.get('watch') === 'true' || q.get('watch') === '1';
    this.onRequest?.({ resource: target.resource, watch, query: q });
    if (watch) this.watch(target.resource, target.namespace, q, res);
    else await this.list(target.resource, target.namespace, q, res);
  }

  private current(resource: FakeResource, namespace: string | undefined): KubeObject[] {
    const store = this.objects.get(resource) as Map<string, KubeObject>;
    return [...store.entries()]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([, o]) => o)
      .filter((o) => namespace === undefined || o.metadata?.namespace === namespace);
  }

  private async list(resource: FakeResource, namespace: string | undefined, q: URLSearchParams, res: ServerResponse): Promise<void> {
    await this.holds.get(resource)?.held;
    const { code, body } = this.pages.answer(resource, q, () => ({ rv: this.rv, items: this.current(resource, namespace) }));
    this.json(res, code, body);
  }

  private watch(resource: FakeResource, namespace: string | undefined, q: URLSearchParams, res: ServerResponse): void {
    const from = q.get('resourceVersion') ?? '';
    const gone = from !== '' && from !== '0' && !(Number.isInteger(Number(from)) && Number(from) >= this.compactedRv);
    const tooOld = status(410, 'Expired', `too old resource version: ${from} (${this.compactedRv})`);
    if (gone && this.watchGoneAs === 'status') {
      this.json(res, 410, tooOld);
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json', 'transfer-encoding': 'chunked' });
    // As the real server does: headers at once, so the client knows the watch is open before any event.
    res.flushHeaders();
    const inNamespace = (o: KubeObject): boolean => namespace === undefined || o.metadata?.namespace === namespace;
    if (from === '' || from === '0') {
      for (const object of this.current(resource, namespace)) this.send(res, { type: 'ADDED', object });
    } else {
      if (gone) {
        this.send(res, { type: 'ERROR', object: tooOld });
        res.end();
        return;
      }
      for (const e of this.history) if (e.rv > Number(from) && e.resource === resource && inNamespace(e.object)) this.send(res, { type: e.type, object: e.object });
    }
    const watcher: Watcher = { resource, ...(namespace !== undefined && { namespace }), bookmarks: q.get('allowWatchBookmarks') === 'true', res };
    this.watchers.add(watcher);
    const timeout = Number(q.get('timeoutSeconds') ?? 0);
    const timer = timeout > 0 ? setTimeout(() => res.end(), timeout * 1000) : undefined;
    res.on('close', () => {
      clearTimeout(timer);
      this.watchers.delete(watcher);
    });
  }
}
