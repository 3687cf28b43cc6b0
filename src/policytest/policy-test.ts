// What a PolicyTest is, once read: the test, its cases and its steps (the
// world's changes), as the runner, the world loader and the reports use them.
// parse-test-file.ts reads and validates the YAML into these.
import type { Protocol } from '../model/types.ts';

export const POLICY_TEST_API_VERSION = 'nftpol.dev/v1alpha1';
export const POLICY_TEST_KIND = 'PolicyTest';

export type Expectation = 'allow' | 'deny';

export interface PolicyTestCase {
  /** Index in its `cases` list (the test's, or its step's). */
  readonly index: number;
  /** Index in `steps` of the step whose state this case checks; absent for the starting state. */
  readonly step?: number;
  /** Field path of the case: "cases[2]" or "steps[0].cases[2]". */
  readonly field: string;
  readonly name?: string;
  /** One endpoint or several; `fromList` says whether the YAML wrote a list (for field paths). */
  readonly from: readonly string[];
  readonly fromList: boolean;
  readonly to: readonly string[];
  readonly toList: boolean;
  /** A port number, or a container port name resolved on the destination. */
  readonly port: number | string;
  readonly protocol: Protocol;
  readonly expect: Expectation;
}

export interface PolicyTest {
  /** The test file's path as shown to the user (relative to the working directory when given so). */
  readonly file: string;
  /** Absolute path of the test file: `resources` are relative to its folder. */
  readonly path: string;
  /** 0-based YAML document index in the file. */
  readonly document: number;
  readonly name: string;
  /** Paths and globs as written, relative to the test file. */
  readonly resources: readonly string[];
  /** Inline Kubernetes objects, as decoded; normalized when the test world is loaded. */
  readonly objects: readonly unknown[];
  /** Cases checked on the starting state (may be empty when the test has steps). */
  readonly cases: readonly PolicyTestCase[];
  /** Changes to the world, applied in order and cumulatively, each with cases checked after it. */
  readonly steps: readonly PolicyTestStep[];
  /** The 1-based line of a field (e.g. "cases[2].from[1]"), or of its nearest written parent. */
  readonly lineOf: (field: string) => number | undefined;
}

/** An object a step deletes, as kubectl names it: kind, namespace (default "default") and name. */
export interface ObjectRef {
  readonly kind: string;
  /** Absent for cluster-scoped kinds (Namespace, Node, the cluster-wide policies). */
  readonly namespace?: string;
  readonly name: string;
}

export interface PolicyTestStep {
  /** Index in `steps`. */
  readonly index: number;
  readonly name?: string;
  /** Objects created, or replacing the one with the same kind, namespace and name. */
  readonly apply: readonly unknown[];
  readonly delete: readonly ObjectRef[];
  readonly cases: readonly PolicyTestCase[];
}

/** Kinds without a namespace: their identity is kind and name alone. */
export const CLUSTER_SCOPED_KINDS: ReadonlySet<string> = new Set([
  'Namespace', 'Node', 'ClusterNetworkPolicy', 'AdminNetworkPolicy', 'BaselineAdminNetworkPolicy',
]);

/** How reports name a step: its name, or "steps[i]". */
export function stepLabel(step: PolicyTestStep): string {
  return step.name ?? `steps[${step.index}]`;
}
