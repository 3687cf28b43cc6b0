// The live side of the demo without a kernel: how probe answers become matrix cells (as
// the engine's cell: allowed when any declared port answers), which cells disagree, how
// the step's arrival in the kernel is read from an agent's /status, and how a
// disagreement is shown.
import { describe, expect, it } from 'vitest';
import { renderStepText } from '../../src/cli/format/demo-output.ts';
import { arrivalFrom } from '../../src/demo/kernel-timing.ts';
import { demoWorldSpec, disagreements, probeMatrix } from '../../src/demo/live-matrix.ts';
import type { StepResult } from '../../src/demo/run-demo.ts';
import { loadScenario } from '../../src/demo/scenario.ts';
import type { Flow, ProbeResult, World } from '../../src/lab/index.ts';

const steps = await loadScenario();
const start = steps[0] as (typeof steps)[number];

/** A world whose probes answer as `allow` says, recording what was asked. */
function fakeWorld(allow: (f: Flow) => boolean, asked: Flow[] = []): World {
  const probeAll = (flows: readonly Flow[]): Promise<ProbeResult[]> => {
    asked.push(...flows);
    return Promise.resolve(flows.map((f) => ({ ...f, target: f.to, attempts: 1, verdict: allow(f) ? 'allow' : 'deny', reason: allow(f) ? 'answered' : 'timeout', ms: 1 }) as ProbeResult));
  };
  return { probeAll } as unknown as World;
}

describe('demo live matrix', () => {
  it('the lab world: both nodes with their pod CIDRs, every pod on its node at its address, serving its declared ports', () => {
    const spec = demoWorldSpec(start.objects, start.expected);
    expect(spec.nodes).toEqual([{ name: 'node-1', podCIDRs: ['10.244.1.0/24'] }, { name: 'node-2', podCIDRs: ['10.244.2.0/24'] }]);
    expect(spec.pods.find((p) => p.id === 'shop/db')).toEqual({ id: 'shop/db', node: 'node-2', ips: ['10.244.2.11'], tcpPorts: [5432], udpPorts: [] });
    expect(spec.pods).toHaveLength(5);
  });

  it('probes every ordered pair once on the destination\'s port, and cells follow the answers', async () => {
    const asked: Flow[] = [];
    const live = await probeMatrix(fakeWorld((f) => f.to !== '10.244.2.11', asked), start.objects, start.expected);
    expect(live.probes).toBe(20);
    expect(asked).toContainEqual({ from: 'shop/api', to: '10.244.2.11', protocol: 'TCP', port: 5432 });
    const db = start.expected.endpoints.findIndex((e) => e.id === 'shop/db');
    live.cells.forEach((row, i) => row.forEach((c, j) => expect(c).toBe(i === j ? 'self' : j === db ? 'denied' : 'allowed')));
    expect(disagreements(start.expected, live.cells).map(([, to]) => to)).toEqual(['shop/db', 'shop/db', 'shop/db', 'shop/db']);
    expect(disagreements(start.expected, start.expected.cells)).toEqual([]);
  });

  it('a disagreement is said in the text, cell by cell', async () => {
    const live = await probeMatrix(fakeWorld((f) => !(f.from === 'dev/debug' && f.port === 9090)), start.objects, start.expected);
    const result: StepResult = { step: start, revision: 'r', live, kernel: [], disagree: disagreements(start.expected, live.cells) };
    const text = renderStepText(result, 'demo/scenario');
    expect(text).toContain('! differs at 2');
    expect(text).toContain('live differs from expected in 1 cell: dev/debug -> monitoring/prometheus');
    expect(renderStepText({ ...result, live: { ...live, cells: start.expected.cells }, disagree: [] }, 'demo/scenario')).toContain('live = expected: 20 allowed, 0 denied');
  });
});

describe('a step\'s arrival in the kernel, from /status', () => {
  const written = Date.parse('2026-12-02T03:00:00.000Z');
  const seen = written + 90;
  const status = (kernel: unknown): string => JSON.stringify({ node: 'node-1', kernel });

  it('a table written for the revision: its kind, size and the time from the write to the apply', () => {
    const body = status({ revision: 'abc', lastApply: { kind: 'delta', bytes: 407, revision: 'abc', at: '2026-12-02T03:00:00.042Z' } });
    expect(arrivalFrom(body, 'node-1', 'abc', written, seen)).toEqual({ node: 'node-1', how: 'delta', bytes: 407, ms: 42, seenMs: 90 });
  });

  it('a revision that left the table as it was: unchanged, timed by the sync that confirmed it', () => {
    const body = status({
      revision: 'def',
      lastApply: { kind: 'delta', bytes: 407, revision: 'abc', at: '2026-12-02T02:59:59.000Z' },
      lastSync: { result: 'unchanged', revision: 'def', at: '2026-12-02T03:00:00.030Z' },
    });
    expect(arrivalFrom(body, 'node-1', 'def', written, seen)).toEqual({ node: 'node-1', how: 'unchanged', bytes: null, ms: 30, seenMs: 90 });
  });

  it('says nothing for another revision, another kind, a bad time or what is not JSON', () => {
    const at = '2026-12-02T03:00:00.042Z';
    expect(arrivalFrom(status({ lastApply: { kind: 'delta', bytes: 1, revision: 'old', at } }), 'n', 'abc', written, seen)).toBeUndefined();
    expect(arrivalFrom(status({ lastApply: { kind: 'flush', bytes: 1, revision: 'abc', at } }), 'n', 'abc', written, seen)).toBeUndefined();
    expect(arrivalFrom(status({ lastApply: { kind: 'delta', bytes: 1, revision: 'abc', at: 'yesterday' } }), 'n', 'abc', written, seen)).toBeUndefined();
    expect(arrivalFrom('<html>', 'n', 'abc', written, seen)).toBeUndefined();
    expect(arrivalFrom('[]', 'n', 'abc', written, seen)).toBeUndefined();
  });
});
