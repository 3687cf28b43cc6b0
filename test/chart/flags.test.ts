// Every argument the chart passes exists in the program it runs: the agent's
// arguments against the options `nftpol agent` registers with commander (the
// command itself, not a copy of its list), the cleanup hook's against
// `nftpol cleanup`'s; then the agent's own flag check accepts the values.
import { describe, expect, it } from 'vitest';
import { resolveAgentConfig, type AgentFlags } from '../../src/agent/config.ts';
import { findObject, renderChart, VARIANTS, type Rendered } from './helm.ts';
import { containers, longFlags, subcommand, type Container } from './nftpol-commands.ts';

/** Every container of the chart that runs nftpol, with its subcommand. Each names its command: none leans on the image's entrypoint. */
function nftpolInvocations(objects: readonly Rendered[]): { where: string; args: string[] }[] {
  for (const o of objects) for (const c of containers(o)) expect(c.command, `${o.kind}/${o.metadata.name} container ${c.name}`).toBeDefined();
  return objects.flatMap((o) => containers(o)
    .filter((c) => c.command?.[0] === 'nftpol')
    .map((c) => ({ where: `${o.kind}/${o.metadata.name} container ${c.name}`, args: c.args ?? [] })));
}

const flagOf = (arg: string): string => arg.split('=')[0] as string;

describe('the chart passes only flags nftpol has', () => {
  for (const [name, values] of Object.entries(VARIANTS)) {
    it(name, async () => {
      const objects = await renderChart(values);
      const runs = nftpolInvocations(objects);
      expect(runs.map((r) => r.args[0])).toEqual(values['cleanup.enabled'] === false ? ['agent'] : ['agent', 'cleanup']);
      for (const { where, args } of runs) {
        const [sub, ...rest] = args;
        expect(['agent', 'cleanup'], where).toContain(sub);
        const { command, parse } = subcommand(sub as 'agent' | 'cleanup');
        const known = longFlags(command);
        for (const arg of rest) {
          expect(arg, `${where}: ${arg} is not a flag`).toMatch(/^--/);
          expect(known.has(flagOf(arg)), `${where}: ${flagOf(arg)} is not a flag of nftpol ${sub} (it has ${[...known].join(' ')})`).toBe(true);
        }
        // commander itself agrees: the whole argument list parses (an unknown option or a missing value throws).
        const flags = await parse(args);
        if (sub !== 'agent') continue;
        // And the agent's own check accepts the values, in a pod (the kubelet sets these).
        const resolved = await resolveAgentConfig(flags as AgentFlags, { NODE_NAME: 'node-1', KUBERNETES_SERVICE_HOST: '10.96.0.1', KUBERNETES_SERVICE_PORT: '443' }, '/');
        const problems = resolved.ok ? [] : resolved.problems;
        // The kubeconfig Secret exists only in the cluster; its path is the one problem here.
        expect(problems.filter((p) => !p.startsWith('--kubeconfig /etc/nftpol/kubeconfig/kubeconfig:'))).toEqual([]);
      }
    });
  }

  it('the check can fail: a flag the agent does not have is caught', async () => {
    const objects = structuredClone(await renderChart());
    const c = containers(findObject(objects, 'DaemonSet'))[0] as Container;
    c.args = [...(c.args ?? []), '--metrics-port=9808'];
    const { command, parse } = subcommand('agent');
    expect(longFlags(command).has('--metrics-port')).toBe(false);
    await expect(parse(c.args)).rejects.toThrow(/unknown option '--metrics-port=9808'/);
  });

  it('reads the flags from the command: --listen, --table, --nft-backend, --no-bridge-netfilter-check are there', () => {
    const known = longFlags(subcommand('agent').command);
    for (const f of ['--source', '--listen', '--table', '--nft-backend', '--no-bridge-netfilter-check', '--keep-established', '--kubeconfig', '--context']) expect(known).toContain(f);
  });
});
