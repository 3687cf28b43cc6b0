// nftpol_pod_dropped_{packets,bytes}_total: read through the runner when
// scraped, at most once per cache period, and a pod that leaves the table
// leaves the metric.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { AgentMetrics } from '../../src/agent/metrics.ts';
import { NftError, type NftRunner } from '../../src/dataplane/nft-runner.ts';

const LISTING = readFileSync(path.join(import.meta.dirname, 'fixtures/drop-counters/table.json'), 'utf8');
const WITHOUT_DB = JSON.stringify({ nftables: (JSON.parse(LISTING) as { nftables: unknown[] }).nftables.filter((i) => !JSON.stringify(i).includes('pod-in/shop/db-0')) });

function listingRunner(): NftRunner & { reads: string[][]; answer: () => string } {
  const r = {
    reads: [] as string[][],
    answer: (): string => LISTING,
    apply: async () => undefined,
    check: async () => undefined,
    read: async (args: readonly string[]) => {
      r.reads.push([...args]);
      return r.answer();
    },
  };
  return r;
}

const dropLines = (text: string): string[] => text.split('\n').filter((l) => l.startsWith('nftpol_pod_dropped_'));

describe('per-pod drop metrics', () => {
  it('reports each pod\'s kernel counters by direction, reading the table once per cache period', async () => {
    let now = 1000;
    const runner = listingRunner();
    const metrics = new AgentMetrics({ drops: { runner, table: 'nftpol', cacheMs: 5000, now: () => now } });
    expect(dropLines(await metrics.text())).toEqual([
      'nftpol_pod_dropped_packets_total{namespace="shop",pod="db-0",direction="ingress"} 3',
      'nftpol_pod_dropped_packets_total{namespace="shop",pod="web-7d9f8c6b5-x2x4q",direction="egress"} 12',
      'nftpol_pod_dropped_bytes_total{namespace="shop",pod="db-0",direction="ingress"} 180',
      'nftpol_pod_dropped_bytes_total{namespace="shop",pod="web-7d9f8c6b5-x2x4q",direction="egress"} 960',
    ]);
    expect(runner.reads).toEqual([['-j', '-t', 'list', 'table', 'inet', 'nftpol']]);
    now += 4999;
    await metrics.text();
    expect(runner.reads).toHaveLength(1);

    now += 1;
    runner.answer = () => WITHOUT_DB;
    const after = dropLines(await metrics.text());
    expect(runner.reads).toHaveLength(2);
    expect(after.filter((l) => l.includes('db-0'))).toEqual([]);
    expect(after.filter((l) => l.includes('web-7d9f8c6b5-x2x4q'))).toHaveLength(2);
  });

  it('no table (before the first sync) or an unreadable listing: no series, and the next read recovers', async () => {
    let now = 0;
    const runner = listingRunner();
    runner.answer = () => {
      throw new NftError('nft list table failed', 'Error: No such file or directory');
    };
    const metrics = new AgentMetrics({ drops: { runner, table: 'nftpol', cacheMs: 10, now: () => now } });
    expect(dropLines(await metrics.text())).toEqual([]);
    now = 10;
    runner.answer = () => 'not json';
    expect(dropLines(await metrics.text())).toEqual([]);
    now = 20;
    runner.answer = () => LISTING;
    expect(dropLines(await metrics.text())).toHaveLength(4);
  });

  it('without a source (a test agent, an injected applier) there are no drop metrics', async () => {
    expect((await new AgentMetrics().text())).not.toContain('nftpol_pod_dropped');
  });
});
