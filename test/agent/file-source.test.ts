import { mkdir, mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { systemClock } from '../../src/agent/clock.ts';
import { FileSource } from '../../src/agent/file-source.ts';
import { FakeClock } from './fake-clock.ts';

const EXAMPLE = path.resolve(import.meta.dirname, '../../policies-examples/db-only-from-api/manifests');
const DENY_WEB = 'apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: deny-web, namespace: shop}\nspec:\n  podSelector: {matchLabels: {app: web}}\n  policyTypes: [Ingress]\n';

let dir: string;
let source: FileSource | undefined;

beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'nftpol-agent-files-'));
  for (const f of ['namespaces.yaml', 'policies.yaml', 'workloads.yaml']) await writeFile(path.join(dir, f), await readFile(path.join(EXAMPLE, f)));
});
afterEach(async () => {
  await source?.stop();
  source = undefined;
  await rm(dir, { recursive: true, force: true });
});

function newSource(clock = new FakeClock(), rescanIntervalMs = 0): FileSource {
  source = new FileSource({ dir, rescanIntervalMs, clock });
  return source;
}

describe('FileSource reads', () => {
  it('reads the folder into a snapshot named by a digest of the contents; the same bytes give the same revision', async () => {
    const s = newSource();
    expect(s.synced).toBe(false);
    const first = await s.read();
    expect(first.kind).toBe('state');
    if (first.kind !== 'state') return;
    expect(first.snapshot.revision).toMatch(/^[0-9a-f]{16}$/);
    expect(first.snapshot.objects.policies.map((p) => p.name)).toEqual(['db-allow-api']);
    expect(s.synced).toBe(true);
    expect(s.revision).toBe(first.snapshot.revision);
    const again = await newSource().read();
    expect(again.kind === 'state' && again.snapshot.revision).toBe(first.snapshot.revision);
  });

  it('a new file changes the revision and the objects', async () => {
    const s = newSource();
    const before = await s.read();
    await writeFile(path.join(dir, 'deny-web.yaml'), DENY_WEB);
    const after = await s.read();
    expect(after.kind).toBe('state');
    if (after.kind !== 'state' || before.kind !== 'state') return;
    expect(after.snapshot.revision).not.toBe(before.snapshot.revision);
    expect(after.snapshot.objects.policies.map((p) => p.name).sort()).toEqual(['db-allow-api', 'deny-web']);
  });

  it('a half-written file refuses the whole read and keeps the last good state', async () => {
    const s = newSource();
    const good = await s.read();
    if (good.kind !== 'state') throw new Error('first read refused');
    await writeFile(path.join(dir, 'deny-web.yaml'), DENY_WEB.slice(0, DENY_WEB.indexOf('{app: ') + 6));
    const r = await s.read();
    expect(r.kind).toBe('rejected');
    if (r.kind !== 'rejected') return;
    expect(r.revision).not.toBe(good.snapshot.revision);
    expect(r.snapshot).toBe(good.snapshot);
    expect(r.problems.filter((p) => p.severity === 'error').map((p) => p.file)).toEqual([path.join(dir, 'deny-web.yaml')]);
    expect(s.revision).toBe(good.snapshot.revision);
  });

  it('reading an unchanged folder again gives the same snapshot, or the same refusal', async () => {
    const s = newSource();
    const a = await s.read();
    const b = await s.read();
    expect(a.kind === 'state' && b.kind === 'state' && a.snapshot === b.snapshot).toBe(true);
    await writeFile(path.join(dir, 'half.yaml'), DENY_WEB.slice(0, 60));
    const r1 = await s.read();
    const r2 = await s.read();
    expect(r1.kind === 'rejected' && r2.kind === 'rejected' && r1.revision === r2.revision && r1.problems === r2.problems).toBe(true);
    await writeFile(path.join(dir, 'half.yaml'), DENY_WEB.slice(0, 61));
    const r3 = await s.read();
    expect(r3.kind === 'rejected' && r1.kind === 'rejected' && r3.revision !== r1.revision).toBe(true);
  });

  it('an invalid object refuses the read (no failing closed of a file being edited), with file, line and field', async () => {
    const s = newSource();
    await s.read();
    await writeFile(path.join(dir, 'bad.yaml'), DENY_WEB.replace('policyTypes: [Ingress]', 'ingress: [{from: [{ipBlock: {cidr: 10.0.0.0/33}}]}]'));
    const r = await s.read();
    expect(r.kind).toBe('rejected');
    if (r.kind !== 'rejected') return;
    const errors = r.problems.filter((p) => p.severity === 'error');
    expect(errors).toEqual([expect.objectContaining({ file: path.join(dir, 'bad.yaml'), line: 6, name: 'deny-web', field: 'spec.ingress[0].from[0].ipBlock.cidr' })]);
  });

  it('an empty file is taken for one being written; deleting it is how objects are removed', async () => {
    const s = newSource();
    await s.read();
    await writeFile(path.join(dir, 'policies.yaml'), '');
    const r = await s.read();
    expect(r.kind).toBe('rejected');
    if (r.kind !== 'rejected') return;
    expect(r.problems[0]?.message).toMatch(/the file is empty \(being written\?\)/);
    await rm(path.join(dir, 'policies.yaml'));
    const removed = await s.read();
    expect(removed.kind === 'state' && removed.snapshot.objects.policies).toEqual([]);
  });

  it('a folder without objects is refused even at the first read: nothing to sync', async () => {
    await rm(dir, { recursive: true });
    dir = await mkdtemp(path.join(os.tmpdir(), 'nftpol-agent-files-'));
    const s = newSource();
    const r = await s.read();
    expect(r).toMatchObject({ kind: 'rejected', snapshot: undefined });
    expect(s.synced).toBe(false);
  });
});

describe('FileSource watches', () => {
  it('calls onChange at start, on a write in a subfolder, and on a rename into place', async () => {
    const s = new FileSource({ dir, rescanIntervalMs: 0, clock: systemClock });
    source = s;
    await mkdir(path.join(dir, 'team-a'));
    let changes = 0;
    let waiting: (() => void) | undefined;
    const nextChange = (): Promise<void> => new Promise((r) => (waiting = r));
    await s.start(() => {
      changes++;
      waiting?.();
    });
    expect(changes).toBe(1);
    const c1 = nextChange();
    await writeFile(path.join(dir, 'team-a', 'deny-web.yaml'), DENY_WEB);
    await c1;
    const c2 = nextChange();
    await writeFile(path.join(dir, '.tmp-write'), DENY_WEB.replace('deny-web', 'deny-web-2'));
    await rename(path.join(dir, '.tmp-write'), path.join(dir, 'deny-web-2.yaml'));
    await c2;
    const r = await s.read();
    expect(r.kind === 'state' && r.snapshot.objects.policies.map((p) => p.name).sort()).toEqual(['db-allow-api', 'deny-web', 'deny-web-2']);
  });

  it('hears every atomic save of the same file, and a folder made after the start', async () => {
    const s = new FileSource({ dir, rescanIntervalMs: 0, clock: systemClock });
    source = s;
    let waiting: (() => void) | undefined;
    const nextChange = (): Promise<void> => new Promise((r) => (waiting = r));
    await s.start(() => waiting?.());
    // Written beside the folder, then renamed into it (as an editor or a ConfigMap update does).
    const save = async (file: string, text: string): Promise<void> => {
      await writeFile(`${dir}.tmp-save`, text);
      await rename(`${dir}.tmp-save`, file);
    };
    // Three saves over one name (a recursive watch hears only the first), each followed by the read the agent does.
    for (const port of [5433, 5434, 5435, 5436]) {
      const heard = nextChange();
      await save(path.join(dir, 'policies.yaml'), (await readFile(path.join(EXAMPLE, 'policies.yaml'), 'utf8')).replace(/port: \d+/, `port: ${port}`));
      await heard;
      const r = await s.read();
      expect(r.kind === 'state' && r.snapshot.objects.policies[0]?.ingress[0]?.ports[0]?.port).toBe(port);
    }
    // A folder made now is watched from the next read on.
    const made = nextChange();
    await mkdir(path.join(dir, 'later'));
    await made;
    await s.read();
    const inside = nextChange();
    await writeFile(path.join(dir, 'later', 'deny-web.yaml'), DENY_WEB);
    await inside;
  });

  it('rescans on its period, in case a watch event was missed', async () => {
    const clock = new FakeClock();
    const s = newSource(clock, 30_000);
    let changes = 0;
    await s.start(() => void changes++);
    const atStart = changes;
    await clock.advance(30_000);
    expect(changes).toBe(atStart + 1);
    await clock.advance(60_000);
    expect(changes).toBe(atStart + 3);
    await s.stop();
    await clock.advance(60_000);
    expect(changes).toBe(atStart + 3);
  });
});
