// Workloads stand for the pods they would create: one model Pod per
// workload, named after it, with the labels, ports, hostNetwork and nodeName
// of its pod template and no address yet (see assignPodAddresses).
// Deployment, StatefulSet, DaemonSet, ReplicaSet and Job keep the template at
// spec.template; CronJob one level down, at spec.jobTemplate.spec.template.
//
// The selector is checked as the API server checks it: apps/v1 workloads need
// a non-empty spec.selector, and a selector (required or, for Jobs, optional)
// must match the template's labels, else the workload would own no pods.
import type { ObjectMeta } from './normalize-policy.ts';
import { readPodTemplate } from './normalize-pod.ts';
import { normalizeSelector } from './normalize-selector.ts';
import { isEmptySelector, selectorMatches } from '../selectors/label-selector.ts';
import type { ProblemList } from '../model/problems.ts';
import { isRecord, optRecord } from './raw.ts';
import type { Labels, Pod, PodOwnerKind } from '../model/types.ts';

export type WorkloadKind = Exclude<PodOwnerKind, 'Pod'>;

const TEMPLATE_PATHS: Readonly<Record<WorkloadKind, readonly string[]>> = {
  Deployment: ['spec', 'template'],
  StatefulSet: ['spec', 'template'],
  DaemonSet: ['spec', 'template'],
  ReplicaSet: ['spec', 'template'],
  Job: ['spec', 'template'],
  CronJob: ['spec', 'jobTemplate', 'spec', 'template'],
};

export function isWorkloadKind(kind: string): kind is WorkloadKind {
  return Object.hasOwn(TEMPLATE_PATHS, kind);
}

/** The model Pod a workload stands for, or undefined when it has no pod template. */
export function normalizeWorkload(raw: unknown, kind: WorkloadKind, meta: ObjectMeta, p: ProblemList): Pod | undefined {
  let node: unknown = raw;
  let field = '';
  for (const key of TEMPLATE_PATHS[kind]) {
    field = field === '' ? key : `${field}.${key}`;
    const rec = isRecord(node) ? node : undefined;
    node = rec === undefined ? undefined : optRecord(rec[key], field, p);
    if (node === undefined) {
      p.error(field, `${kind} has no pod template (${TEMPLATE_PATHS[kind].join('.')} is required)`);
      return undefined;
    }
  }
  const facts = readPodTemplate(node, `${field}.metadata`, `${field}.spec`, p);
  checkSelector(raw, kind, field, facts.labels, p);
  return { namespace: meta.namespace, name: meta.name, kind, ...facts, ips: [], phase: 'Running', source: meta.source };
}

const SELECTOR_REQUIRED: ReadonlySet<WorkloadKind> = new Set(['Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet']);

/** spec.selector against the template labels, with the API server's wording. */
function checkSelector(raw: unknown, kind: WorkloadKind, templateField: string, labels: Labels, p: ProblemList): void {
  const specField = templateField.slice(0, -'.template'.length);
  let spec: unknown = raw;
  for (const key of specField.split('.')) spec = isRecord(spec) ? spec[key] : undefined;
  const selectorField = `${specField}.selector`;
  const value = isRecord(spec) ? spec.selector : undefined;
  if (value === undefined || value === null) {
    if (SELECTOR_REQUIRED.has(kind)) p.error(selectorField, 'Required value');
    return;
  }
  const before = p.errorCount;
  const selector = normalizeSelector(value, selectorField, p);
  if (selector === null || p.errorCount > before) return;
  if (SELECTOR_REQUIRED.has(kind) && isEmptySelector(selector)) {
    p.error(selectorField, `Invalid value: empty selector is invalid for ${kind.toLowerCase()}`);
  } else if (!selectorMatches(selector, labels)) {
    p.error(`${templateField}.metadata.labels`, `Invalid value: ${describeLabels(labels)}: \`selector\` does not match template \`labels\``);
  }
}

/** Template labels as the message shows them: JSON, cut short when hostile input makes it long. */
function describeLabels(labels: Labels): string {
  const text = JSON.stringify(labels);
  return text.length > 200 ? `${text.slice(0, 200)}...` : text;
}
