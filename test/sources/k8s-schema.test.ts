// The committed schema module is what @kubernetes/client-node's models say
// today: a client-node upgrade that adds or changes fields fails here until
// the module is regenerated (see its header).
import { readFileSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { deriveSchema, renderSchemaModule } from './k8s-schema-derive.ts';

const MODULE = new URL('../../src/sources/k8s-schema.generated.ts', import.meta.url);

describe('k8s schema module', () => {
  it('matches @kubernetes/client-node', () => {
    const text = renderSchemaModule(deriveSchema());
    if (process.env.NFTPOL_WRITE_K8S_SCHEMA === '1') writeFileSync(MODULE, text);
    expect(readFileSync(MODULE, 'utf8')).toBe(text);
  });

  it('knows the fields nftpol reads, and none of the misspellings', () => {
    const schema = deriveSchema();
    expect(schema.V1NetworkPolicySpec).toEqual({ egress: '[]V1NetworkPolicyEgressRule', ingress: '[]V1NetworkPolicyIngressRule', podSelector: 'V1LabelSelector', policyTypes: '[]string' });
    expect(schema.V1NetworkPolicyIngressRule).toEqual({ from: '[]V1NetworkPolicyPeer', ports: '[]V1NetworkPolicyPort' });
    expect(schema.V1ContainerPort?.containerPort).toBe('integer');
    expect(schema.V1LabelSelector).toEqual({ matchExpressions: '[]V1LabelSelectorRequirement', matchLabels: 'map' });
  });
});
