// Uninstall, last step (the post-delete hook Job): waits until the cleanup
// DaemonSet has a ready pod on every node it is scheduled to, i.e. every node
// removed its table, then exits 0; Helm then deletes the hook objects. Exits 1
// when TIMEOUT_SECONDS pass first, naming how many nodes are not done.
// Plain Node (the nftpol image has no kubectl): one GET of the DaemonSet a second.
import { readFile } from 'node:fs/promises';

const { NAMESPACE: ns, DAEMONSET: name, TIMEOUT_SECONDS: timeout = '300', API_URL, KUBERNETES_SERVICE_HOST: host, KUBERNETES_SERVICE_PORT: port } = process.env;
const sa = '/var/run/secrets/kubernetes.io/serviceaccount';
const base = API_URL ?? `https://${host?.includes(':') ? `[${host}]` : host}:${port}`;
const token = await readFile(`${sa}/token`, 'utf8').catch(() => undefined);
const deadline = Date.now() + Number(timeout) * 1000;
const url = `${base}/apis/apps/v1/namespaces/${ns}/daemonsets/${name}`;
let last = 'no answer yet';
for (;;) {
  try {
    const res = await fetch(url, { headers: token ? { authorization: `Bearer ${token.trim()}` } : {} });
    if (!res.ok) throw new Error(`GET ${url}: ${res.status} ${(await res.text()).slice(0, 200)}`);
    const ds = await res.json();
    const s = ds.status ?? {};
    const desired = s.desiredNumberScheduled ?? 0;
    const ready = s.numberReady ?? 0;
    const updated = s.updatedNumberScheduled ?? 0;
    last = `${ready} of ${desired} nodes removed the table`;
    // Status of the current spec only (observedGeneration), every scheduled pod ready.
    if ((s.observedGeneration ?? 0) >= (ds.metadata?.generation ?? 1) && ready === desired && updated === desired) {
      console.log(`nftpol cleanup: ${last}`);
      process.exit(0);
    }
  } catch (err) {
    last = String(err instanceof Error ? err.message : err);
  }
  if (Date.now() > deadline) {
    console.error(`nftpol cleanup: not done after ${timeout}s: ${last}`);
    process.exit(1);
  }
  await new Promise((r) => setTimeout(r, 1000));
}
