// Workloads stand for the pods they would create: one model Pod per
// workload, named after it, with the labels, ports, hostNetwork and nodeName
// of its pod template and no address yet (see assignPodAddresses).
// Deployment, StatefulSet, DaemonSet, ReplicaSet and Job keep the template at
// spec.template; CronJob one level down, at spec.jobTemplate.spec.template.
import type { ObjectMeta } from './normalize-policy.ts';
import { readPodTemplate } from './normalize-pod.ts';
import type { ProblemList } from '../model/problems.ts';
import { isRecord, optRecord } from './raw.ts';
import type { Pod, PodOwnerKind } from '../model/types.ts';

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
  return { namespace: meta.namespace, name: meta.name, kind, ...facts, ips: [], phase: 'Running', source: meta.source };
}
