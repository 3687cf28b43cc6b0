// Client configs for the fake API server (fake-api-server.ts): a KubeConfig
// object for in-process clients, and the same as a file for commands given
// --kubeconfig.
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';

/**
 * A KubeConfig whose current context is the fake server, with token "t"
 * unless given; for an HTTPS server, `ca` is the certificate to trust (PEM).
 */
export function fakeKubeConfig(server: { readonly url: string }, opts: { readonly token?: string; readonly ca?: string } = {}): KubeConfig {
  const kc = new KubeConfig();
  const token = opts.token ?? 't';
  // client-node refuses plain http unless TLS verification is off, as for any local test cluster.
  const trust = server.url.startsWith('https:')
    ? { skipTLSVerify: false, ...(opts.ca !== undefined && { caData: Buffer.from(opts.ca).toString('base64') }) }
    : { skipTLSVerify: true };
  kc.loadFromOptions({
    clusters: [{ name: 'fake', server: server.url, ...trust }],
    users: [{ name: 'u', token }],
    contexts: [{ name: 'fake', cluster: 'fake', user: 'u' }],
    currentContext: 'fake',
  });
  return kc;
}

/** The same as a kubeconfig file, for commands given --kubeconfig, in `dir` (default: a new temporary folder); returns its path. */
export async function writeFakeKubeconfig(server: { readonly url: string }, dir?: string): Promise<string> {
  const file = path.join(dir ?? await mkdtemp(path.join(tmpdir(), 'nftpol-fake-api-')), 'config');
  await writeFile(file, [
    'apiVersion: v1', 'kind: Config', 'current-context: fake',
    `clusters: [{name: fake, cluster: {server: "${server.url}", insecure-skip-tls-verify: true}}]`,
    'users: [{name: u, user: {token: t}}]',
    'contexts: [{name: fake, context: {cluster: fake, user: u}}]',
  ].join('\n'));
  return file;
}
