// @kubernetes/client-node hands back typed model objects, not the API's JSON:
// fields that are reserved words are renamed (NetworkPolicyIngressRule.from
// arrives as `_from`) and timestamps are Date objects. Reading `from` off such
// an object finds nothing, and a rule without `from` allows every peer: a
// silent fail-open. So every listed object goes back to its wire form through
// the client's own serializer (reached through its public dumpYaml) before
// our normalizers see it.
import { dumpYaml } from '@kubernetes/client-node';
// Read back with js-yaml (the library client-node writes it with): five times
// faster than the yaml package, which counts at 100,000 pods.
import { load } from 'js-yaml';

export function toWireForm(item: object, apiVersion: string, kind: string): unknown {
  return load(dumpYaml({ ...item, apiVersion, kind }));
}
