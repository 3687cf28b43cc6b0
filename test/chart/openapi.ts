// Every rendered object checked against the Kubernetes OpenAPI schemas, through
// kubernetes-models (each kind's schema from the upstream OpenAPI document,
// compiled to a validator), and the ServiceMonitor against the Prometheus
// Operator's CRD schema (@kubernetes-models/prometheus-operator, same generator).
// These schemas, like the API server's, accept unknown fields: a misspelt field
// passes here, so the tests assert the fields that matter by name too.
import { DaemonSet } from 'kubernetes-models/apps/v1';
import { Job } from 'kubernetes-models/batch/v1';
import { ClusterRole, ClusterRoleBinding, Role, RoleBinding } from 'kubernetes-models/rbac.authorization.k8s.io/v1';
import { Service, ServiceAccount } from 'kubernetes-models/v1';
import { ServiceMonitor } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1';
import type { Rendered } from './helm.ts';

type Validating = new (data: never) => { validate(): void };

const MODELS: Readonly<Record<string, Validating>> = {
  'apps/v1 DaemonSet': DaemonSet as unknown as Validating,
  'batch/v1 Job': Job as unknown as Validating,
  'rbac.authorization.k8s.io/v1 ClusterRole': ClusterRole as unknown as Validating,
  'rbac.authorization.k8s.io/v1 ClusterRoleBinding': ClusterRoleBinding as unknown as Validating,
  'rbac.authorization.k8s.io/v1 Role': Role as unknown as Validating,
  'rbac.authorization.k8s.io/v1 RoleBinding': RoleBinding as unknown as Validating,
  'v1 Service': Service as unknown as Validating,
  'v1 ServiceAccount': ServiceAccount as unknown as Validating,
  'monitoring.coreos.com/v1 ServiceMonitor': ServiceMonitor as unknown as Validating,
};

/** The schema's complaint about this object, or undefined when it is valid. A kind the chart should not render is a complaint. */
export function schemaProblem(obj: Rendered): string | undefined {
  const Model = MODELS[`${obj.apiVersion} ${obj.kind}`];
  if (Model === undefined) return `${obj.apiVersion} ${obj.kind}: no schema known for it`;
  try {
    new Model(obj as never).validate();
    return undefined;
  } catch (err) {
    return `${obj.kind}/${obj.metadata.name}: ${(err as Error).message}`;
  }
}
