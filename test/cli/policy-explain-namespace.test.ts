// kubectl habits: -n/--namespace for names without one (flow, pod), as the
// only namespace shown (matrix, lint), and for manifests without
// metadata.namespace; kubectl's KIND/NAME forms; hints for names that find
// nothing.
import { describe, expect, it } from 'vitest';
import { explain, explainShop } from './helpers.ts';

describe('-n/--namespace', () => {
  it('is the namespace of names without one in a flow', async () => {
    const short = await explainShop('-n', 'shop', '--from', 'api', '--to', 'db', '--port', '5432');
    const long = await explainShop('--from', 'shop/api', '--to', 'shop/db', '--port', '5432');
    expect(short.code).toBe(0);
    expect(short.stdout).toBe(long.stdout);
    // After the command word too, and a namespace written out still wins.
    const after = await explainShop('flow', '--from', 'shop-staging/api', '--to', 'db', '--port', '5432', '--namespace', 'shop');
    expect(after.stdout).toMatch(/^DENIED {2}shop-staging\/api \(\S+\) -> shop\/db/);
    const json = JSON.parse((await explainShop('-n', 'shop', '--from', 'api', '--to', 'db', '--port', '5432', '-o', 'json')).stdout) as { query: unknown };
    expect(json.query).toEqual({ from: 'api', to: 'db', port: '5432', protocol: null, namespace: 'shop' });
  });

  it('is the namespace of the pod command\'s name', async () => {
    const r = await explainShop('pod', 'db', '-n', 'shop', '-o', 'json');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ pod: { namespace: 'shop', name: 'db', kind: 'StatefulSet' } });
  });

  it('takes kubectl\'s KIND/NAME forms in the namespace', async () => {
    const r = await explainShop('-n', 'shop', '--from', 'deploy/api', '--to', 'sts/db', '--port', 'postgres');
    expect(r.stdout).toMatch(/^ALLOWED {2}shop\/api \(\S+\) -> shop\/db/);
  });

  it('says where a name without namespace exists when it is not in the default one', async () => {
    const flow = await explainShop('--from', 'api', '--to', 'shop/db', '--port', '5432');
    expect(flow.code).toBe(2);
    expect(flow.stderr).toBe('error: api: no pod or workload default/api (api is in namespaces shop, shop-staging: write shop/api, or -n shop)\n');
    const pod = await explainShop('pod', 'db');
    expect(pod.stderr).toBe('error: db: no pod or workload default/db (db is in namespace shop: write shop/db, or -n shop)\n');
    const kind = await explainShop('-n', 'shop', 'pod', 'deploy/db');
    expect(kind.stderr).toBe('error: deploy/db: no Deployment shop/db (shop/db is a StatefulSet: write sts/shop/db)\n');
  });

  it('refuses forms that are not pods, with what to write', async () => {
    const r = await explainShop('--from', 'ns/shop/api', '--to', 'shop/db', '--port', '5432');
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('error: ns/shop/api: a Namespace is not an endpoint: name a pod in it (NAMESPACE/NAME, or -n NAMESPACE and NAME)\n');
  });

  it('refuses a name that is no namespace name', async () => {
    const r = await explainShop('-n', 'Shop!', 'lint');
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('error: -n "Shop!" is not a namespace name (lower-case letters, digits and "-", at most 63, starting and ending with a letter or digit)\n');
  });

  it('puts manifests without metadata.namespace in it, as kubectl apply -n does', async () => {
    const yaml = [
      'apiVersion: v1\nkind: Pod\nmetadata: {name: a, labels: {app: a}}\nspec: {containers: [{name: c}]}',
      'apiVersion: v1\nkind: Pod\nmetadata: {name: b, namespace: other}\nspec: {containers: [{name: c}]}',
      'apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: deny}\nspec: {podSelector: {}}',
    ].join('\n---\n');
    const r = await explain(['-f', '-', '-n', 'team', 'pod', 'a'], yaml);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Pod team\/a /);
    expect(r.stdout).toContain('isolated for ingress by team/deny');
    expect(r.stderr).toContain('metadata.namespace: no namespace given; assuming "team"');
    const other = await explain(['-f', '-', '-n', 'team', '--from', 'a', '--to', 'other/b', '--port', '80'], yaml);
    expect(other.stdout).toMatch(/^ALLOWED {2}team\/a \(\S+\) -> other\/b/);
  });

  it('shows lint findings of that namespace only', async () => {
    const all = await explainShop('lint', '-o', 'json');
    const shop = await explainShop('-n', 'monitoring', 'lint', '-o', 'json');
    const namespaces = (out: string): string[] => (JSON.parse(out) as { findings: { object: { namespace: string } }[] }).findings.map((f) => f.object.namespace);
    expect(new Set(namespaces(all.stdout)).size).toBeGreaterThan(1);
    expect(namespaces(shop.stdout)).toEqual(['monitoring']);
    const none = await explainShop('-n', 'nope', 'lint');
    expect(none.code).toBe(2);
    expect(none.stderr).toBe('error: --namespace nope: no namespace, pod, workload or policy of that namespace in the input\n');
  });
});
