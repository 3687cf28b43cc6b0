import { describe, expect, it } from 'vitest';
import { formatProblem, formatSourceRef } from '../../src/model/problems.ts';

describe('formatProblem', () => {
  it('names file, document, object and field', () => {
    expect(formatProblem({
      severity: 'error', file: 'policies/db.yaml', document: 2, kind: 'NetworkPolicy', name: 'db-allow', namespace: 'shop',
      field: 'spec.ingress[0].from[1].ipBlock.except[0]', message: '10.1.0.0/16 is not inside cidr 192.168.0.0/16',
    })).toBe('policies/db.yaml doc 2: NetworkPolicy shop/db-allow: spec.ingress[0].from[1].ipBlock.except[0]: 10.1.0.0/16 is not inside cidr 192.168.0.0/16');
  });

  it('adds the line when known, and leaves out what is unknown', () => {
    expect(formatProblem({ severity: 'warning', file: 'a.yaml', document: 0, line: 7, kind: 'Node', name: 'n1', message: 'm' })).toBe('a.yaml:7 doc 0: Node n1: m');
    expect(formatProblem({ severity: 'error', file: 'missing.yaml', message: 'no such file or folder' })).toBe('missing.yaml: no such file or folder');
    expect(formatProblem({ severity: 'error', file: 'cluster', document: 4, kind: 'Pod', name: 'p', namespace: 'a', message: 'm' })).toBe('cluster: Pod a/p: m');
  });

  it('formats source refs', () => {
    expect(formatSourceRef({ file: 'x.yaml', document: 3 })).toBe('x.yaml doc 3');
    expect(formatSourceRef({ file: 'cluster', document: 3 })).toBe('cluster');
  });
});
