// The sweeper cuts what a change revokes, after the change is applied, one
// sweep at a time: flows the new state denies (unless --keep-established)
// and every entry of a local address whose owner changed (always).
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { EstablishedSweeper } from '../../src/agent/established-sweeper.ts';
import { AgentMetrics } from '../../src/agent/metrics.ts';
import type { ConntrackDeletionRequest } from '../../src/dataplane/conntrack-deletion.ts';
import { parseConntrackLine, type ConntrackEntry } from '../../src/dataplane/conntrack-listing.ts';
import type { ConntrackTable } from '../../src/dataplane/conntrack.ts';
import { denyAll, node, pod, World } from '../generators/cluster-builders.ts';

const A = pod('x/a', { app: 'a' }, { node: 'node-1', ips: ['10.244.1.2'] });
const B = pod('x/b', { app: 'b' }, { node: 'node-1', ips: ['10.244.1.3'] });
const C = pod('x/c', { app: 'c' }, { node: 'node-2', ips: ['10.244.2.2'] });

function entry(from: string, to: string, port: number): ConntrackEntry {
  const e = parseConntrackLine(`tcp 6 431999 ESTABLISHED src=${from} dst=${to} sport=40000 dport=${port} src=${to} dst=${from} sport=${port} dport=40000 [ASSURED] mark=0 use=1`);
  if (e === undefined) throw new Error('bad entry');
  return e;
}

/** A conntrack table holding c->b:80 and a->b:5432; deletions recorded. Listing can be held to see changes arrive mid-sweep. */
function fakeTable(): ConntrackTable & { deleted: ConntrackDeletionRequest[]; lists: number } {
  const entries = [entry('10.244.2.2', '10.244.1.3', 80), entry('10.244.1.2', '10.244.1.3', 5432)];
  const t = {
    deleted: [] as ConntrackDeletionRequest[],
    lists: 0,
    list: async () => {
      t.lists++;
      return { entries, skipped: 0, skippedSamples: [] };
    },
    delete: async (req: ConntrackDeletionRequest) => {
      t.deleted.push(req);
      return { commands: 1, deleted: 1 };
    },
  };
  return t;
}

function setUp(keepEstablished: boolean) {
  const w = new World({ pods: [A, B, C], nodes: [node('node-1', ['192.168.0.1'], ['10.244.1.0/24']), node('node-2', ['192.168.0.2'], ['10.244.2.0/24'])] });
  const table = fakeTable();
  const metrics = new AgentMetrics();
  const sweeper = new EstablishedSweeper({ node: 'node-1', table, keepEstablished, logger: pino({ level: 'silent' }), metrics, engine: () => w.engine });
  return { w, table, sweeper, metrics };
}

describe('EstablishedSweeper', () => {
  it('judges an entry from an address of the node\'s own namespace (cni0\'s gateway) as the node\'s: a change leaves the node\'s connection to its pod', async () => {
    const w = new World({ pods: [A, B], nodes: [node('node-1', ['192.168.0.1'], ['10.244.1.0/24'])] });
    const fromGateway = entry('10.244.1.1', '10.244.1.2', 8080);
    const deleted: ConntrackDeletionRequest[] = [];
    const table: ConntrackTable = { list: async () => ({ entries: [fromGateway], skipped: 0, skippedSamples: [] }), delete: async (r) => (deleted.push(r), { commands: 1, deleted: 1 }) };
    const sweep = async (nodeAddresses: readonly string[]): Promise<void> => {
      const sweeper = new EstablishedSweeper({ node: 'node-1', table, keepEstablished: false, logger: pino({ level: 'silent' }), metrics: new AgentMetrics(), engine: () => w.engine, nodeAddresses: () => nodeAddresses });
      sweeper.afterApply(true);
      await sweeper.idle();
    };
    await sweep(['127.0.0.1', '192.168.0.1', '10.244.1.1']);
    expect(deleted).toEqual([]);
    await sweep(['127.0.0.1', '192.168.0.1']); // as before: an unknown pod's address, revoked
    expect(deleted).toHaveLength(1);
  });

  it('after a change that denies x/b its ingress, deletes both flows to it; nothing when the table did not change', async () => {
    const { w, table, sweeper, metrics } = setUp(false);
    sweeper.beforeChange(w.state);
    sweeper.afterApply(false);
    await sweeper.idle();
    expect(table.lists).toBe(0);
    sweeper.beforeChange(w.state);
    w.state.apply({ kind: 'policy', key: 'x/deny', policy: denyAll('x/deny', ['Ingress']) });
    sweeper.afterApply(true);
    await sweeper.idle();
    expect(table.lists).toBe(1);
    expect(table.deleted).toHaveLength(1);
    const text = JSON.stringify(table.deleted[0]);
    expect(text).toContain('10.244.1.3');
    expect((await metrics.registry.getSingleMetricAsString('nftpol_conntrack_entries_revoked_total'))).toMatch(/cause="denied"} 2/);
  });

  it('--keep-established leaves denied flows, but still cuts a reused address', async () => {
    const { w, table, sweeper } = setUp(true);
    sweeper.beforeChange(w.state);
    w.state.apply({ kind: 'policy', key: 'x/deny', policy: denyAll('x/deny', ['Ingress']) });
    sweeper.afterApply(true);
    await sweeper.idle();
    expect(table.deleted).toHaveLength(0);
    // x/b gone, x/b2 (other labels, same node) given its address: the table may be the same, the owner is not.
    sweeper.beforeChange(w.state);
    w.state.apply({ kind: 'pod', key: 'x/b' });
    w.state.apply({ kind: 'pod', key: 'x/b2', pod: { ...B, name: 'b2', labels: { app: 'other' } } });
    sweeper.afterApply(false);
    await sweeper.idle();
    expect(table.deleted).toHaveLength(1);
    expect(table.deleted[0]?.addresses).toEqual(['10.244.1.3']);
  });

  it('changes during a sweep are swept after it, from the owners before the first of them', async () => {
    const { w, table, sweeper } = setUp(false);
    let release: () => void = () => undefined;
    const list = table.list;
    table.list = async () => {
      await new Promise<void>((r) => (release = r));
      return list();
    };
    sweeper.beforeChange(w.state);
    w.state.apply({ kind: 'policy', key: 'x/deny', policy: denyAll('x/deny', ['Ingress']) });
    sweeper.afterApply(true);
    // A second change while the first sweep lists: its address move must still be seen.
    sweeper.beforeChange(w.state);
    w.state.apply({ kind: 'pod', key: 'x/a' });
    w.state.apply({ kind: 'pod', key: 'x/a2', pod: { ...A, name: 'a2' } });
    sweeper.afterApply(false);
    await new Promise((r) => setTimeout(r, 0));
    release();
    await new Promise((r) => setTimeout(r, 0));
    release();
    await sweeper.idle();
    expect(table.lists).toBe(2);
    expect(table.deleted.flatMap((d) => d.addresses ?? [])).toContain('10.244.1.2');
  });
});
