// Lists of the fake API server (fake-api-server.ts), cut into pages as the
// real one cuts them: `limit` items a page, a `continue` token for the rest
// that resumes at the snapshot the first page was read at, 410 Gone
// ("Expired") for a token older than the history. Items carry neither kind
// nor apiVersion: the list's kind says it.
import { RESOURCES, status, type FakeResource, type KubeObject } from './fake-api-resources.ts';

interface Snapshot {
  readonly rv: number;
  readonly items: readonly KubeObject[];
}

export class ListPages {
  private readonly snapshots = new Map<string, Snapshot>();
  private nextToken = 1;

  /** Forgets every snapshot: each continue token given so far is now 410. */
  clear(): void {
    this.snapshots.clear();
  }

  /** The answer to a list: `now` is the snapshot a list without `continue` reads. */
  answer(resource: FakeResource, q: URLSearchParams, now: () => Snapshot): { readonly code: number; readonly body: KubeObject } {
    const token = q.get('continue');
    let snap: Snapshot;
    if (token) {
      const found = this.snapshots.get(token);
      if (!found) {
        return { code: 410, body: status(410, 'Expired', 'The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter.') };
      }
      snap = found;
    } else {
      snap = now();
    }
    const limit = Number(q.get('limit') ?? 0);
    const page = limit > 0 ? snap.items.slice(0, limit) : snap.items;
    const rest = snap.items.slice(page.length);
    const metadata: Record<string, unknown> = { resourceVersion: String(snap.rv) };
    if (rest.length > 0) {
      const next = `token-${this.nextToken++}`;
      this.snapshots.set(next, { rv: snap.rv, items: rest });
      metadata.continue = next;
      metadata.remainingItemCount = rest.length;
    }
    const { kind, apiVersion } = RESOURCES[resource];
    const items = page.map(({ kind: _k, apiVersion: _a, ...item }) => item);
    return { code: 200, body: { kind: `${kind}List`, apiVersion, metadata, items } };
  }
}
