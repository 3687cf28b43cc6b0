// The matrix as a graph: Graphviz DOT and Mermaid flowcharts. Nodes are pods
// and workloads grouped by namespace; an edge means "allowed".
import type { MatrixResult } from '../../explain/matrix.ts';
import { describeMatrixPort } from './matrix-output.ts';

function dotString(s: string): string {
  return `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

function byNamespace(m: MatrixResult): Map<string, number[]> {
  const groups = new Map<string, number[]>();
  m.endpoints.forEach((e, i) => {
    const list = groups.get(e.namespace);
    if (list) list.push(i);
    else groups.set(e.namespace, [i]);
  });
  return groups;
}

function allowedEdges(m: MatrixResult): [number, number][] {
  const edges: [number, number][] = [];
  m.cells.forEach((row, i) => row.forEach((c, j) => {
    if (c === 'allowed') edges.push([i, j]);
  }));
  return edges;
}

export function renderMatrixDot(m: MatrixResult): string {
  const lines = [
    'digraph connectivity {',
    `  label=${dotString(`Allowed connections on ${describeMatrixPort(m.port)}`)};`,
    '  labelloc=t;',
    '  rankdir=LR;',
    '  node [shape=box];',
  ];
  let n = 0;
  for (const [ns, members] of byNamespace(m)) {
    lines.push(`  subgraph ${dotString(`cluster_${n++}`)} {`, `    label=${dotString(ns)};`);
    for (const i of members) {
      const e = m.endpoints[i];
      if (e) lines.push(`    ${dotString(e.id)} [label=${dotString(e.name)}];`);
    }
    lines.push('  }');
  }
  for (const [i, j] of allowedEdges(m)) {
    lines.push(`  ${dotString(m.endpoints[i]?.id ?? '')} -> ${dotString(m.endpoints[j]?.id ?? '')};`);
  }
  lines.push('}');
  return `${lines.join('\n')}\n`;
}

function mermaidLabel(s: string): string {
  return `"${s.replace(/"/g, '#quot;')}"`;
}

export function renderMatrixMermaid(m: MatrixResult): string {
  const lines = ['flowchart LR', `  %% allowed connections on ${describeMatrixPort(m.port)}`];
  let n = 0;
  for (const [ns, members] of byNamespace(m)) {
    lines.push(`  subgraph ns${n++}[${mermaidLabel(ns)}]`);
    for (const i of members) {
      const e = m.endpoints[i];
      if (e) lines.push(`    p${i}[${mermaidLabel(e.id)}]`);
    }
    lines.push('  end');
  }
  for (const [i, j] of allowedEdges(m)) lines.push(`  p${i} --> p${j}`);
  return `${lines.join('\n')}\n`;
}
