// policy-explain matrix: the grid and its text, JSON, markdown, DOT and Mermaid forms.
import { describe, expect, it } from 'vitest';
import { setLabel, type ConnectivityMatrix } from '../../src/cli/format/matrix-output.ts';
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

  it('shows each pair\'s exact connection set without --port: a letter per set in text, the sets below', async () => {
    const r = await explainShop('matrix');
    expect(r.code).toBe(0);
    const lines = r.stdout.split('\n');
    expect(lines[0]).toBe('Connectivity on every port and protocol (exact connection sets)');
    expect(lines[1]).toBe('(rows: from, columns: to; ✓ all, ✗ none, . self; letters: the sets below)');
    const row = (id: string): string[] => (lines.find((l) => l.includes(` ${id} `)) ?? '').trim().split(/\s+/).slice(2);
    expect(row('monitoring/prometheus')).toEqual(['✓', '.', 'A', '✗', '✗', '✓']);
    expect(row('shop/api')).toEqual(['✓', '✓', '.', 'B', 'C', '✓']);
    expect(row('shop/web')).toEqual(['D', '✗', 'C', '✗', '.', '✗']);
    // Letters name the sets in the order they first appear, row by row.
    expect(lines).toContain('A  TCP 9090');
    expect(lines).toContain('B  TCP 5432');
    expect(lines).toContain('C  TCP 8080');
    expect(lines).toContain('D  TCP 53; UDP 53');
    expect(r.stdout).toContain('9 all, 6 partial, 15 none');
  });

  it('writes the sets in JSON, markdown, DOT and Mermaid', async () => {
    const doc = JSON.parse((await explainShop('matrix', '-o', 'json')).stdout) as ConnectivityMatrix;
    expect(doc.port).toBeNull();
    expect(doc.portDescription).toBe('every port and protocol (exact connection sets)');
    const api = IDS.indexOf('shop/api');
    const db = IDS.indexOf('shop/db');
    const web = IDS.indexOf('shop/web');
    expect(doc.connections?.[api]?.[db]).toBe('TCP 5432');
    expect(doc.connections?.[web]?.[0]).toBe('TCP 53; UDP 53');
    expect(doc.connections?.[db]?.[api]).toBe('none');
    expect(doc.connections?.[api]?.[api]).toBeNull();
    expect(doc.cells[api]?.[db]).toBe('allowed');
    expect(doc.cells[db]?.[api]).toBe('denied');
    expect(doc.summary).toEqual({ allowed: 15, denied: 15, notApplicable: 0, all: 9, partial: 6 });
    const md = (await explainShop('matrix', '-n', 'shop', '-o', 'markdown')).stdout.split('\n');
    expect(md).toContain('| shop/api | . | TCP 5432 | TCP 8080 |');
    expect(md).toContain('| shop/db | none | . | none |');
    expect(md).toContain('0 all, 3 partial, 3 none.');
    const dot = (await explainShop('matrix', '-n', 'shop', '-o', 'dot')).stdout;
    expect(dot).toContain('  "shop/api" -> "shop/db" [label="TCP 5432"];');
    const mermaid = (await explainShop('matrix', '-n', 'shop', '-o', 'mermaid')).stdout.split('\n');
    expect(mermaid).toContain('  p0 -->|"TCP 5432"| p1');
  });

  it('adds addresses given with --ip as rows and columns, and refuses a network or a non-address', async () => {
    const doc = JSON.parse((await explainShop('matrix', '-n', 'shop', '--ip', '203.0.113.9', '--ip', 'ip:203.0.113.9', '-o', 'json')).stdout) as ConnectivityMatrix;
    expect(doc.endpoints.map((e) => e.id)).toEqual(['shop/api', 'shop/db', 'shop/web', 'ip:203.0.113.9']);
    expect(doc.endpoints[3]).toEqual({ id: 'ip:203.0.113.9', namespace: null, name: '203.0.113.9', kind: 'Address', ip: '203.0.113.9' });
    expect(doc.connections?.[3]).toEqual(['none', 'none', 'TCP 8080', null]);
    expect(doc.connections?.[0]?.[3]).toBe('all');
    const dot = (await explainShop('matrix', '-n', 'shop', '--ip', '203.0.113.9', '-o', 'dot')).stdout;
    expect(dot).toContain('    label="addresses (--ip)";');
    expect(dot).toContain('  "ip:203.0.113.9" -> "shop/web" [label="TCP 8080"];');
    const onePort = await explainShop('matrix', '-n', 'shop', '--ip', '203.0.113.9', '--port', '8080');
    expect(onePort.stdout).toMatch(/^4 {2}ip:203\.0\.113\.9 {2}✗ {2}✗ {2}✓ {2}\.$/m);
    const network = await explainShop('matrix', '--ip', '10.0.0.0/8');
    expect(network.code).toBe(2);
    expect(network.stderr).toContain('--ip 10.0.0.0/8: give one address of that network');
    const bad = await explainShop('matrix', '--ip', 'nope');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--ip nope: "nope" is not a valid IP address');
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
    const protocolAlone = await explainShop('matrix', '--protocol', 'udp');
    expect(protocolAlone.code).toBe(2);
    expect(protocolAlone.stderr).toBe("error: --protocol udp needs --port too (or leave both out for each pair's set of allowed ports and protocols)\n");
  });
});

describe('set letters of the text grid', () => {
  it('go A to Z, then AA, AB, … as spreadsheet columns do, so any number of sets has its own', () => {
    expect([0, 1, 25, 26, 27, 51, 52, 701, 702].map(setLabel)).toEqual(['A', 'B', 'Z', 'AA', 'AB', 'AZ', 'BA', 'ZZ', 'AAA']);
    expect(new Set(Array.from({ length: 2000 }, (_, i) => setLabel(i))).size).toBe(2000);
  });
});
