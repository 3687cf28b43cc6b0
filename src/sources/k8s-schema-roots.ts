// The schema type of each kind nftpol reads, by "group/kind" (the core group
// is ""), as @kubernetes/client-node names the models of the served versions:
// apps/v1, batch/v1, networking.k8s.io/v1 and v1.
export const ROOT_TYPES: Readonly<Record<string, string>> = {
  '/Namespace': 'V1Namespace',
  '/Node': 'V1Node',
  '/Pod': 'V1Pod',
  'apps/Deployment': 'V1Deployment',
  'apps/StatefulSet': 'V1StatefulSet',
  'apps/DaemonSet': 'V1DaemonSet',
  'apps/ReplicaSet': 'V1ReplicaSet',
  'batch/Job': 'V1Job',
  'batch/CronJob': 'V1CronJob',
  'networking.k8s.io/NetworkPolicy': 'V1NetworkPolicy',
};
