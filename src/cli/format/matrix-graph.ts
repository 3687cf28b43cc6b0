// The matrix as a graph: Graphviz DOT and Mermaid flowcharts. Nodes are pods
// and workloads grouped by namespace (addresses asked for on their own); an
// edge means "allowed", labelled with its connection set unless that is all.
import type { MatrixResult } from '../../explain/matrix.ts';
import { describeMatrixQuestion } from './matrix-output.ts';

/** The group of addresses given with --ip: they belong to no namespace. */
const OUTSIDE = 'addresses (--ip)';

function dotString(s: string): string {
  return `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

function byNamespace(m: MatrixResult): Map<string, number[]> {
  const groups = new Map<string, number[]>();
  m.endpoints.forEach((e, i) => {
    const group = e.namespace ?? OUTSIDE;
    const list = groups.get(group);
    if (list) list.push(i);
    else groups.set(group, [i]);
  });
  return groups;
}

/** [from, to, label]: the label is the connection set, unless the matrix has none or it is all. */
function allowedEdges(m: MatrixResult): [number, number, string | undefined][] {
  const edges: [number, number, string | undefined][] = [];
  m.cells.forEach((row, i) => row.forEach((c, j) => {
    const set = m.connections?.[i]?.[j];
    if (c === 'allowed') edges.push([i, j, set === undefined || set === null || set.isAll() ? undefined : set.format()]);
  }));
  return edges;
}

export function renderMatrixDot(m: MatrixResult): string {
  const lines = [
    'digraph connectivity {',
    `  label=${dotString(`Allowed connections on ${describeMatrixQuestion(m)}`)};`,
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
  for (const [i, j, label] of allowedEdges(m)) {
    const attrs = label === undefined ? '' : ` [label=${dotString(label)}]`;
    lines.push(`  ${dotString(m.endpoints[i]?.id ?? '')} -> ${dotString(m.endpoints[j]?.id ?? '')}${attrs};`);
  }
  lines.push('}');
  return `${lines.join('\n')}\n`;
}

function mermaidLabel(s: string): string {
  return `"${s.replace(/"/g, '#quot;')}"`;
}

export function renderMatrixMermaid(m: MatrixResult): string {
  const lines = ['flowchart LR', `  %% allowed connections on ${describeMatrixQuestion(m)}`];
  let n = 0;
  for (const [ns, members] of byNamespace(m)) {
    lines.push(`  subgraph ns${n++}[${mermaidLabel(ns)}]`);
    for (const i of members) {
      const e = m.endpoints[i];
      if (e) lines.push(`    p${i}[${mermaidLabel(e.id)}]`);
    }
    lines.push('  end');
  }
  for (const [i, j, label] of allowedEdges(m)) lines.push(label === undefined ? `  p${i} --> p${j}` : `  p${i} -->|${mermaidLabel(label)}| p${j}`);
  return `${lines.join('\n')}\n`;
}
