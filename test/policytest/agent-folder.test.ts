// The agent dataplane's side of the files source, without the kernel: a test state as a
// folder of one file per object (a step's replace rewrites one file, a delete removes one),
// the revision the runner waits for being the one the agent's FileSource reads, and the
// /status reader refusing what is not the agent's status.
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { systemClock } from '../../src/agent/clock.ts';
import { FileSource } from '../../src/agent/file-source.ts';
import { folderChanges, moveFolder, revisionOf, worldFiles } from '../../src/policytest/agent-folder.ts';
import { readStatus } from '../../src/policytest/agent-wait.ts';
import { collectPolicyTests } from '../../src/policytest/collect-tests.ts';
import { TestWorldLoader } from '../../src/policytest/load-test-world.ts';

const TEST = `apiVersion: nftpol.dev/v1alpha1
kind: PolicyTest
metadata: {name: t}
objects:
  - {apiVersion: v1, kind: Namespace, metadata: {name: lab}}
  - apiVersion: v1
    kind: Pod
    metadata: {name: a, namespace: lab, labels: {app: a}}
    spec: {containers: [{name: c, image: x}]}
  - apiVersion: v1
    kind: Pod
    metadata: {name: b, labels: {app: b}}
    spec: {containers: [{name: c, image: x}]}
cases: [{from: lab/a, to: default/b, port: 80, expect: allow}]
steps:
  - name: b relabelled, a policy
    apply:
      - apiVersion: v1
        kind: Pod
        metadata: {name: b, labels: {app: c}}
        spec: {containers: [{name: c, image: x}]}
      - apiVersion: networking.k8s.io/v1
        kind: NetworkPolicy
        metadata: {name: deny, namespace: lab}
        spec: {podSelector: {}, policyTypes: [Ingress]}
    cases: [{from: lab/a, to: default/b, port: 80, expect: allow}]
  - delete: [{kind: Pod, name: b}]
    cases: [{from: lab/a, to: lab/a, port: 80, expect: allow}]
`;

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'nftpol-agent-folder-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function states(): Promise<Map<string, Uint8Array>[]> {
  await writeFile(path.join(dir, 'test.yaml'), TEST);
  const collected = await collectPolicyTests(['test.yaml'], dir);
  const test = collected.tests[0];
  if (!test) throw new Error('no test');
  const loader = new TestWorldLoader({ cwd: dir });
  return Promise.all([0, 1, 2].map(async (s) => worldFiles((await loader.worldFor(test, s)).world)));
}

describe('a test state as a folder of manifests', () => {
  it('is one file per object, named by kind, namespace and name, plus the lab\'s default Nodes when the world names none', async () => {
    const [start, afterReplace, afterDelete] = await states();
    expect([...(start as Map<string, Uint8Array>).keys()].sort()).toEqual(['Namespace_lab.json', 'Node_node-1.json', 'Node_node-2.json', 'Pod_default_b.json', 'Pod_lab_a.json']);
    expect(folderChanges(start as Map<string, Uint8Array>, afterReplace as Map<string, Uint8Array>)).toEqual({ write: ['Pod_default_b.json', 'NetworkPolicy_lab_deny.json'], remove: [] });
    expect(folderChanges(afterReplace as Map<string, Uint8Array>, afterDelete as Map<string, Uint8Array>)).toEqual({ write: [], remove: ['Pod_default_b.json'] });
    expect(JSON.parse(Buffer.from(afterReplace?.get('Pod_default_b.json') as Uint8Array).toString('utf8'))).toMatchObject({ metadata: { name: 'b', labels: { app: 'c' } } });
  });

  it('has, once written, the revision the agent\'s files source reads; no temporary file stays', async () => {
    const [start, afterReplace, afterDelete] = (await states()) as Map<string, Uint8Array>[];
    const folder = path.join(dir, 'node-1');
    const source = new FileSource({ dir: folder, rescanIntervalMs: 0, clock: systemClock });
    let held = new Map<string, Uint8Array>();
    const revisions = new Set<string>();
    for (const files of [start, afterReplace, afterDelete] as Map<string, Uint8Array>[]) {
      await moveFolder(folder, held, files);
      held = files;
      const read = await source.read();
      expect(read.kind).toBe('state');
      expect(read.snapshot?.revision).toBe(revisionOf(folder, files));
      revisions.add(revisionOf(folder, files));
      expect((await readdir(folder)).sort()).toEqual([...files.keys()].sort());
    }
    expect(revisions.size).toBe(3);
  });
});

describe('readStatus', () => {
  it('reads the revision in the kernel, a refused read and the last apply', () => {
    const body = JSON.stringify({
      node: 'node-1',
      source: { kind: 'files', revision: 'r1', rejected: { revision: 'r2', problems: ['a.yaml: bad', 7] } },
      kernel: { revision: 'r1', lastSync: { result: 'applied', revision: 'r1' }, lastApply: { kind: 'delta', bytes: 10, revision: 'r1' } },
    });
    expect(readStatus(body)).toEqual({
      kernelRevision: 'r1',
      sourceRevision: 'r1',
      rejected: { revision: 'r2', problems: ['a.yaml: bad'] },
      lastSync: { result: 'applied', revision: 'r1' },
      lastApply: { kind: 'delta', revision: 'r1' },
    });
    expect(readStatus(JSON.stringify({ source: {}, kernel: { revision: null } }))).toEqual({ kernelRevision: null, sourceRevision: null, rejected: null, lastSync: null, lastApply: null });
  });

  it('refuses what is not the agent\'s status', () => {
    for (const body of ['', 'ok', '[]', '{"kernel":{"revision":"r1"}}', '{"source":{},"kernel":{"revision":5}}', '{"source":{},"kernel":"r1"}']) {
      expect(readStatus(body)).toBeUndefined();
    }
  });
});
