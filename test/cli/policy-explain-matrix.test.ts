// policy-explain matrix: the grid and its text, JSON, markdown, DOT and Mermaid forms.
import { describe, expect, it } from 'vitest';
import type { ConnectivityMatrix } from '../../src/cli/format/matrix-output.ts';
import { explainShop } from './helpers.ts';

const IDS = ['kube-system/coredns', 'monitoring/prometheus', 'shop/api', 'shop/db', 'shop/web', 'shop-staging/api'];

describe('policy-explain matrix', () => {
  it('prints an aligned grid, rows from and columns to', async () => {
    const r = await explainShop('matrix', '--port', '8080/TCP');
    expect(r.code).toBe(0);
    const lines = r.stdout.split('\n');
    expect(lines[0]).toBe('Connectivity on TCP 8080');
    expect(lines[1]).toBe('(rows: from, columns: to; ✓ allowed, ✗ denied, . self)');
    expect(lines[3]).toMatch(/^ +1 {2}2 {2}3 {2}4 {2}5 {2}6$/);
    const row = (id: string): string[] => (lines.find((l) => l.includes(` ${id} `)) ?? '').trim().split(/\s+/).slice(2);
    // web may call the API on 8080 (web-egress + api-ingress); nothing reaches the db on 8080.
    expect(row('shop/web')).toEqual(['✗', '✗', '✓', '✗', '.', '✗']);
    expect(row('shop/db')).toEqual(['✗', '✗', '✗', '.', '✗', '✗']);
    expect(row('shop/api')).toEqual(['✓', '✓', '.', '✗', '✓', '✓']);
    expect(row('shop-staging/api')).toEqual(['✓', '✓', '✗', '✗', '✓', '.']);
    // Columns line up: every row of the grid ends at the same column.
    const grid = lines.slice(3, 10);
    expect(new Set(grid.map((l) => [...l].length)).size).toBe(1);
    expect(r.stdout).toContain('12 allowed, 18 denied');
  });

  it('uses each destination\'s declared ports without --port', async () => {
    const doc = JSON.parse((await explainShop('matrix', '-o', 'json')).stdout) as ConnectivityMatrix;
    expect(doc.port).toBeNull();
    const api = IDS.indexOf('shop/api');
    const db = IDS.indexOf('shop/db');
    expect(doc.cells[api]?.[db]).toBe('allowed'); // postgres 5432
    expect(doc.cells[IDS.indexOf('monitoring/prometheus')]?.[api]).toBe('allowed'); // metrics 9090
  });

  it('prints a ConnectivityMatrix in JSON', async () => {
    const doc = JSON.parse((await explainShop('matrix', '--port', '5432', '-o', 'json')).stdout) as ConnectivityMatrix;
    expect(doc).toMatchObject({ apiVersion: 'nftpol.dev/v1alpha1', kind: 'ConnectivityMatrix', namespace: null });
    expect(doc.port).toEqual({ protocol: 'TCP', port: 5432, name: null });
    expect(doc.portDescription).toBe('TCP 5432');
    expect(doc.endpoints.map((e) => e.id)).toEqual(IDS);
    expect(doc.endpoints[3]).toMatchObject({ id: 'shop/db', namespace: 'shop', name: 'db', kind: 'StatefulSet' });
    expect(doc.cells).toHaveLength(6);
    expect(doc.cells[2]?.[3]).toBe('allowed');
    expect(doc.cells[4]?.[3]).toBe('denied');
    expect(doc.cells.map((row, i) => row[i])).toEqual(Array(6).fill('self'));
    expect(doc.summary).toEqual({ allowed: 10, denied: 20, notApplicable: 0 });
  });

  it('resolves a named port on each destination, n/a where it has none', async () => {
    const doc = JSON.parse((await explainShop('matrix', '--port', 'metrics', '-o', 'json')).stdout) as ConnectivityMatrix;
    expect(doc.port).toEqual({ protocol: 'TCP', port: null, name: 'metrics' });
    expect(doc.cells[1]?.[2]).toBe('allowed'); // prometheus -> api metrics (9090)
    expect(doc.cells[1]?.[3]).toBe('denied'); // prometheus -> db metrics (9187)
    expect(doc.cells[1]?.[4]).toBe('n/a'); // web has no port named metrics
  });

  it('limits rows and columns to --namespace', async () => {
    const r = await explainShop('matrix', '--port', '8080', '--namespace', 'shop', '-o', 'markdown');
    const lines = r.stdout.split('\n');
    expect(lines[0]).toBe('### Connectivity in namespace shop on TCP 8080');
    expect(lines).toContain('| from \\ to | shop/api | shop/db | shop/web |');
    expect(lines).toContain('|---|---|---|---|');
    expect(lines).toContain('| shop/api | . | ✗ | ✓ |');
    expect(lines).toContain('| shop/web | ✓ | ✗ | . |');
  });

  it('prints a DOT digraph of allowed edges, one cluster per namespace', async () => {
    const r = await explainShop('matrix', '--port', '8080', '-n', 'shop', '-o', 'dot');
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines[0]).toBe('digraph connectivity {');
    expect(lines.at(-1)).toBe('}');
    expect(r.stdout).toContain('label="Allowed connections on TCP 8080";');
    expect(r.stdout).toContain('subgraph "cluster_0" {');
    expect(r.stdout).toContain('    label="shop";');
    expect(r.stdout).toContain('"shop/api" [label="api"];');
    expect(lines.filter((l) => l.includes('->'))).toEqual(['  "shop/api" -> "shop/web";', '  "shop/web" -> "shop/api";']);
    // Braces balance.
    expect((r.stdout.match(/{/g) ?? []).length).toBe((r.stdout.match(/}/g) ?? []).length);
  });

  it('prints a Mermaid flowchart', async () => {
    const r = await explainShop('matrix', '--port', '8080', '-o', 'mermaid');
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines[0]).toBe('flowchart LR');
    expect(lines).toContain('  subgraph ns2["shop"]');
    expect(lines).toContain('    p2["shop/api"]');
    expect(lines.filter((l) => l.trim() === 'end')).toHaveLength(4);
    expect(lines).toContain('  p4 --> p2');
    expect(lines.filter((l) => l.includes('-->'))).toHaveLength(12);
    for (const l of lines.filter((x) => x.includes('-->'))) expect(l).toMatch(/^ {2}p\d+ --> p\d+$/);
  });

  it('exits 2 for a bad port or an unknown namespace', async () => {
    const bad = await explainShop('matrix', '--port', '70000');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toBe('error: port 70000 is out of range 1-65535\n');
    const ns = await explainShop('matrix', '--namespace', 'nope');
    expect(ns.code).toBe(2);
    expect(ns.stderr).toContain('--namespace nope: no pod or workload in that namespace');
  });
});
