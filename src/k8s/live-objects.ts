// Live mode, one shot: list Namespaces, Pods, NetworkPolicies and Nodes from
// the API server and run them through the same normalizers as manifests
// (source file "cluster"). The client's typed objects carry the API's JSON
// field names, so they are the raw shape already; list items lack kind and
// apiVersion, which we put back. Pods without addresses, and finished pods,
// are kept: deciding what takes part in policy is the engine's job.
// Failures (no kubeconfig, unreachable server, forbidden) come back as
// problems of severity "error"; a partial view must not be trusted.
import { CoreV1Api, KubeConfig, NetworkingV1Api } from '@kubernetes/client-node';
import { assembleCluster } from '../sources/assemble-cluster.ts';
import type { RawObject } from '../sources/normalize-object.ts';
import type { SourceProblem } from '../model/problems.ts';
import { isRecord } from '../sources/raw.ts';
import { toWireForm } from './wire-form.ts';
import type { LoadResult } from '../sources/load-cluster.ts';

export const CLUSTER_SOURCE = 'cluster';

/** Items of the four lists, as the client returns them (or as plain JSON). */
export interface LiveLists {
  readonly namespaces: readonly unknown[];
  readonly pods: readonly unknown[];
  readonly policies: readonly unknown[];
  readonly nodes: readonly unknown[];
}

const LIST_TYPES = [
  { key: 'namespaces', kind: 'Namespace', apiVersion: 'v1' },
  { key: 'pods', kind: 'Pod', apiVersion: 'v1' },
  { key: 'policies', kind: 'NetworkPolicy', apiVersion: 'networking.k8s.io/v1' },
  { key: 'nodes', kind: 'Node', apiVersion: 'v1' },
] as const;

/** List items -> raw objects with kind/apiVersion set, numbered in list order. */
export function liveObjectsToRaw(lists: LiveLists): RawObject[] {
  let document = 0;
  return LIST_TYPES.flatMap(({ key, kind, apiVersion }) =>
    lists[key].map((item) => ({
      source: { file: CLUSTER_SOURCE, document: document++ },
      value: isRecord(item) ? toWireForm(item, apiVersion, kind) : item,
    })),
  );
}

/** Pure conversion of listed objects into the model. */
export function normalizeLiveObjects(lists: LiveLists): LoadResult {
  return assembleCluster(liveObjectsToRaw(lists));
}

export interface ClusterOptions {
  /** Path of a kubeconfig file; default: $KUBECONFIG, ~/.kube/config, or in-cluster. */
  readonly kubeconfig?: string;
  /** Context to use instead of the kubeconfig's current one. */
  readonly context?: string;
}

interface Page {
  readonly items: readonly unknown[];
  readonly metadata?: { readonly _continue?: string };
}

const PAGE_SIZE = 500;

export async function loadFromCluster(opts: ClusterOptions = {}): Promise<LoadResult> {
  const problems: SourceProblem[] = [];
  const empty = { namespaces: [], pods: [], policies: [], nodes: [] };
  let kc: KubeConfig;
  try {
    kc = new KubeConfig();
    if (opts.kubeconfig !== undefined) kc.loadFromFile(opts.kubeconfig);
    else kc.loadFromDefault();
    if (opts.context !== undefined) {
      if (!kc.getContextObject(opts.context)) throw new Error(`no context named ${JSON.stringify(opts.context)} in the kubeconfig`);
      kc.setCurrentContext(opts.context);
    }
  } catch (err) {
    problems.push({ severity: 'error', file: CLUSTER_SOURCE, message: `cannot load kubeconfig: ${firstLine(err)}` });
    return { objects: normalizeLiveObjects(empty).objects, problems };
  }
  const core = kc.makeApiClient(CoreV1Api);
  const net = kc.makeApiClient(NetworkingV1Api);
  const list = async (kind: string, page: (cont: string | undefined) => Promise<Page>): Promise<unknown[]> => {
    try {
      return await listAll(page);
    } catch (err) {
      problems.push({ severity: 'error', file: CLUSTER_SOURCE, kind, message: `cannot list ${kind} objects: ${firstLine(err)}` });
      return [];
    }
  };
  const page = (cont: string | undefined): { limit: number; _continue?: string } => ({ limit: PAGE_SIZE, ...(cont !== undefined && { _continue: cont }) });
  const [namespaces, pods, policies, nodes] = await Promise.all([
    list('Namespace', (c) => core.listNamespace(page(c))),
    list('Pod', (c) => core.listPodForAllNamespaces(page(c))),
    list('NetworkPolicy', (c) => net.listNetworkPolicyForAllNamespaces(page(c))),
    list('Node', (c) => core.listNode(page(c))),
  ]);
  const result = normalizeLiveObjects({ namespaces, pods, policies, nodes });
  return { objects: result.objects, problems: [...problems, ...result.problems] };
}

/** Follows `continue` tokens until the list is complete. */
export async function listAll(fetchPage: (cont: string | undefined) => Promise<Page>): Promise<unknown[]> {
  const items: unknown[] = [];
  let cont: string | undefined;
  do {
    const page = await fetchPage(cont);
    items.push(...page.items);
    cont = page.metadata?._continue || undefined;
  } while (cont !== undefined);
  return items;
}

/** A short reason: the API's Status message when there is one, else the first line. */
function firstLine(err: unknown): string {
  if (isRecord(err) && typeof err.code === 'number') {
    const body: unknown = typeof err.body === 'string' ? safeJson(err.body) : err.body;
    if (isRecord(body) && typeof body.message === 'string') return `HTTP ${err.code}: ${body.message}`;
  }
  const text = err instanceof Error ? err.message : String(err);
  return text.split('\n')[0] ?? text;
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}
