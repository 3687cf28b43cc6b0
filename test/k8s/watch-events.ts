// Test helpers for the cluster watch: fixtures in wire form, and a recorder
// of events that tests wait on (an event, never a fixed sleep).
import type { ClusterEvent, WatchedResource } from '../../src/k8s/watch-cluster.ts';
import type { KubeObject } from './fake-api-server.ts';

export const namespace = (name: string, labels: Record<string, string> = {}): KubeObject => ({
  apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels },
});

export const pod = (ns: string, name: string, ip: string, labels: Record<string, string> = {}): KubeObject => ({
  apiVersion: 'v1', kind: 'Pod',
  metadata: { namespace: ns, name, labels },
  spec: { nodeName: 'node-1', containers: [{ name: 'c', image: 'nginx', ports: [{ name: 'http', containerPort: 8080 }] }] },
  status: { phase: 'Running', podIP: ip, podIPs: [{ ip }] },
});

export const policy = (ns: string, name: string): KubeObject => ({
  apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy',
  metadata: { namespace: ns, name },
  spec: { podSelector: { matchLabels: { app: 'db' } }, ingress: [{ from: [{ podSelector: { matchLabels: { app: 'api' } } }], ports: [{ port: 'http' }] }] },
});

export const node = (name: string, cidr: string, address: string): KubeObject => ({
  apiVersion: 'v1', kind: 'Node',
  metadata: { name },
  spec: { podCIDR: cidr, podCIDRs: [cidr] },
  status: { addresses: [{ type: 'InternalIP', address }] },
});

/**
 * A ClusterNetworkPolicy (v1alpha2): `tier` for every pod with app=`app`, its
 * one ingress rule `action` from every namespace.
 */
export const clusterNetworkPolicy = (name: string, app: string, action: 'Accept' | 'Deny' | 'Pass' = 'Deny', tier: 'Admin' | 'Baseline' = 'Admin', priority = 10): KubeObject => ({
  apiVersion: 'policy.networking.k8s.io/v1alpha2', kind: 'ClusterNetworkPolicy',
  metadata: { name },
  spec: { tier, priority, subject: { pods: { podSelector: { matchLabels: { app } } } }, ingress: [{ name: 'from-all', action, from: [{ namespaces: {} }] }] },
});

/** An AdminNetworkPolicy (v1alpha1): for every pod with app=`app`, its one ingress rule `action` from every namespace. */
export const adminNetworkPolicy = (name: string, app: string, action: 'Allow' | 'Deny' | 'Pass' = 'Deny', priority = 20): KubeObject => ({
  apiVersion: 'policy.networking.k8s.io/v1alpha1', kind: 'AdminNetworkPolicy',
  metadata: { name },
  spec: { priority, subject: { pods: { namespaceSelector: {}, podSelector: { matchLabels: { app } } } }, ingress: [{ name: 'from-all', action, from: [{ namespaces: {} }] }] },
});

/** The BaselineAdminNetworkPolicy (v1alpha1, always named default): for every pod with app=`app`, ingress `action` from every namespace. */
export const baselineAdminNetworkPolicy = (app: string, action: 'Allow' | 'Deny' = 'Deny'): KubeObject => ({
  apiVersion: 'policy.networking.k8s.io/v1alpha1', kind: 'BaselineAdminNetworkPolicy',
  metadata: { name: 'default' },
  spec: { subject: { pods: { namespaceSelector: {}, podSelector: { matchLabels: { app } } } }, ingress: [{ name: 'from-all', action, from: [{ namespaces: {} }] }] },
});

type Change = Extract<ClusterEvent, { type: 'added' | 'modified' | 'deleted' }>;

export function isChange(e: ClusterEvent): e is Change {
  return e.type === 'added' || e.type === 'modified' || e.type === 'deleted';
}

/** "added pods shop/api" and the like: what a test compares. */
export function describeEvent(e: ClusterEvent): string {
  if (isChange(e)) return `${e.type} ${e.resource} ${e.key}`;
  if (e.type === 'trouble' || e.type === 'expired') return `${e.type} ${e.resource}: ${e.message}`;
  if ('resource' in e) return `${e.type} ${e.resource}`;
  return e.type;
}

interface Waiter {
  readonly from: number;
  readonly match: (e: ClusterEvent) => boolean;
  readonly resolve: (index: number) => void;
}

export class EventRecorder {
  readonly events: ClusterEvent[] = [];
  private readonly waiters = new Set<Waiter>();

  readonly push = (e: ClusterEvent): void => {
    this.events.push(e);
    const index = this.events.length - 1;
    for (const w of [...this.waiters]) {
      if (index >= w.from && w.match(e)) {
        this.waiters.delete(w);
        w.resolve(index);
      }
    }
  };

  /** A mark: the index the next event will have. */
  get mark(): number {
    return this.events.length;
  }

  /** Index of the first event at or after `from` that matches; waits for it up to `timeoutMs`. */
  waitFor(match: (e: ClusterEvent) => boolean, from = 0, timeoutMs = 10_000): Promise<number> {
    const found = this.events.findIndex((e, i) => i >= from && match(e));
    if (found >= 0) return Promise.resolve(found);
    return new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters.delete(waiter);
        reject(new Error(`no matching event within ${timeoutMs} ms; the last since ${from}: ${this.since(from).slice(-12).map(describeEvent).join(', ')}`));
      }, timeoutMs);
      const waiter: Waiter = { from, match, resolve: (i) => {
        clearTimeout(timer);
        resolve(i);
      } };
      this.waiters.add(waiter);
    });
  }

  /** Waits for `type` (of `resource`, with `key`) after `from`. */
  waitForEvent(type: ClusterEvent['type'], resource?: WatchedResource, key?: string, from = 0): Promise<number> {
    return this.waitFor((e) => e.type === type && (resource === undefined || ('resource' in e && e.resource === resource)) &&
      (key === undefined || (isChange(e) && e.key === key)), from);
  }

  since(from: number, to = this.events.length): ClusterEvent[] {
    return this.events.slice(from, to);
  }

  /** Object changes since `from`, described. */
  changesSince(from: number, to = this.events.length): string[] {
    return this.since(from, to).filter(isChange).map(describeEvent);
  }
}
