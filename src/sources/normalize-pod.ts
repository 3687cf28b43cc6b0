// Pods, and the pod spec part that workload templates share. Container ports
// come from containers and initContainers (sidecars are init containers and
// serve ports); a port's protocol defaults to TCP. A pod with no phase is
// taken as Running: a pod written in a manifest is meant to run.
// Port names are unique within a container (the API server refuses a
// duplicate); the same name in two containers is allowed but warned about, as
// the API server does: a named port then stands for more than one port.
import { childField, indexField } from './field-path.ts';
import { parseIp } from '../model/addresses.ts';
import { readLabels } from './normalize-labels.ts';
import type { ObjectMeta } from './normalize-policy.ts';
import { portNameProblem, portNumberProblem, readProtocol } from './normalize-ports.ts';
import type { ProblemList } from '../model/problems.ts';
import { describe, isRecord, optArray, optBoolean, optRecord, optString, quote } from './raw.ts';
import type { ContainerPort, Labels, Pod, PodPhase } from '../model/types.ts';

const PHASES: readonly PodPhase[] = ['Pending', 'Running', 'Succeeded', 'Failed', 'Unknown'];

/** What a pod and a workload's pod template have in common. */
export interface PodTemplateFacts {
  readonly labels: Labels;
  readonly nodeName?: string;
  readonly hostNetwork: boolean;
  readonly ports: readonly ContainerPort[];
}

/** Reads labels (from `metaField`) and the pod spec (at `specField`) of a pod or template. */
export function readPodTemplate(template: unknown, metaField: string, specField: string, p: ProblemList): PodTemplateFacts {
  const rec = isRecord(template) ? template : {};
  const metadata = optRecord(rec.metadata, metaField, p) ?? {};
  const spec = optRecord(rec.spec, specField, p) ?? {};
  const nodeName = optString(spec.nodeName, childField(specField, 'nodeName'), p);
  const names = new Map<string, string>();
  return {
    labels: readLabels(metadata.labels, childField(metaField, 'labels'), p),
    ...(nodeName !== undefined && nodeName !== '' && { nodeName }),
    hostNetwork: optBoolean(spec.hostNetwork, childField(specField, 'hostNetwork'), p) ?? false,
    ports: [
      ...readContainerPorts(spec.containers, childField(specField, 'containers'), names, p),
      ...readContainerPorts(spec.initContainers, childField(specField, 'initContainers'), names, p),
    ],
  };
}

/** Port name -> the field of its first use in the pod. */
type PortNames = Map<string, string>;

function readContainerPorts(value: unknown, field: string, podNames: PortNames, p: ProblemList): ContainerPort[] {
  const out: ContainerPort[] = [];
  (optArray(value, field, p) ?? []).forEach((container, c) => {
    const cField = indexField(field, c);
    if (!isRecord(container)) {
      p.error(cField, `must be a mapping, got ${describe(container)}`);
      return;
    }
    const portsField = childField(cField, 'ports');
    const containerNames: PortNames = new Map();
    (optArray(container.ports, portsField, p) ?? []).forEach((raw, i) => {
      const port = readContainerPort(raw, indexField(portsField, i), p);
      if (port?.name !== undefined) checkUniqueName(port.name, childField(indexField(portsField, i), 'name'), containerNames, podNames, p);
      if (port) out.push(port);
    });
  });
  return out;
}

function checkUniqueName(name: string, field: string, containerNames: PortNames, podNames: PortNames, p: ProblemList): void {
  const inContainer = containerNames.get(name);
  const inPod = podNames.get(name);
  if (inContainer !== undefined) p.error(field, `Duplicate value: ${quote(name)} (first at ${inContainer})`);
  else if (inPod !== undefined) p.warn(field, `duplicate port name ${quote(name)} with ${inPod}: a policy port ${quote(name)} stands for both`);
  containerNames.set(name, containerNames.get(name) ?? field);
  podNames.set(name, podNames.get(name) ?? field);
}

/** One containerPort; dropped (with an error) when invalid, as the API would refuse the pod. */
function readContainerPort(raw: unknown, field: string, p: ProblemList): ContainerPort | undefined {
  if (!isRecord(raw)) {
    p.error(field, `must be a mapping with containerPort, got ${describe(raw)}`);
    return undefined;
  }
  const before = p.errorCount;
  const numberProblem = raw.containerPort == null ? 'containerPort is required' : portNumberProblem(raw.containerPort);
  if (numberProblem) p.error(childField(field, 'containerPort'), numberProblem);
  const proto = readProtocol(raw.protocol, childField(field, 'protocol'), p);
  const name = optString(raw.name, childField(field, 'name'), p);
  const nameProblem = name === undefined ? undefined : portNameProblem(name);
  if (nameProblem) p.error(childField(field, 'name'), nameProblem);
  if (p.errorCount > before || !proto) return undefined;
  return { ...(name !== undefined && { name }), port: raw.containerPort as number, protocol: proto.protocol };
}

/** status.podIPs, else status.podIP; canonical text, no duplicates. */
function readPodIps(status: Readonly<Record<string, unknown>>, p: ProblemList): string[] {
  const list = optArray(status.podIPs, 'status.podIPs', p);
  const entries: { value: unknown; field: string }[] = list && list.length > 0
    ? list.map((e, i) => ({ value: isRecord(e) ? e.ip : e, field: childField(indexField('status.podIPs', i), 'ip') }))
    : status.podIP != null ? [{ value: status.podIP, field: 'status.podIP' }] : [];
  const ips: string[] = [];
  for (const { value, field } of entries) {
    if (typeof value !== 'string') {
      p.error(field, `must be an IP address string, got ${describe(value)}`);
      continue;
    }
    const parsed = parseIp(value);
    if (!parsed.ok) p.error(field, parsed.message);
    else {
      for (const w of parsed.warnings) p.warn(field, w);
      if (!ips.includes(parsed.ip)) ips.push(parsed.ip);
    }
  }
  return ips;
}

function readPhase(value: unknown, p: ProblemList): PodPhase {
  const phase = optString(value, 'status.phase', p);
  if (phase === undefined) return 'Running';
  if ((PHASES as readonly string[]).includes(phase)) return phase as PodPhase;
  p.warn('status.phase', `unknown phase ${quote(phase)}; taken as Unknown`);
  return 'Unknown';
}

/**
 * metadata.creationTimestamp (RFC 3339, as the API server writes it), made
 * comparable as ISO 8601 UTC. It decides which of two pods claiming one
 * address holds it (ClusterState); an unreadable one is warned about and left
 * out, as manifests usually have none.
 */
function readCreatedAt(metadata: unknown, p: ProblemList): string | undefined {
  const value = isRecord(metadata) ? metadata.creationTimestamp : undefined;
  if (value == null) return undefined;
  const ms = typeof value === 'string' && /^\d{4}-\d{2}-\d{2}T/.test(value) ? Date.parse(value) : NaN;
  if (Number.isNaN(ms)) {
    p.warn('metadata.creationTimestamp', `${describe(value)} is not an RFC 3339 time (e.g. 2026-01-02T03:04:05Z); ignored`);
    return undefined;
  }
  return new Date(ms).toISOString();
}

export function normalizePod(raw: unknown, meta: ObjectMeta, p: ProblemList): Pod {
  const rec = isRecord(raw) ? raw : {};
  const facts = readPodTemplate(rec, 'metadata', 'spec', p);
  const status = optRecord(rec.status, 'status', p) ?? {};
  const createdAt = readCreatedAt(rec.metadata, p);
  return {
    namespace: meta.namespace,
    name: meta.name,
    kind: 'Pod',
    ...facts,
    ips: readPodIps(status, p),
    phase: readPhase(status.phase, p),
    ...(createdAt !== undefined && { createdAt }),
    source: meta.source,
  };
}
