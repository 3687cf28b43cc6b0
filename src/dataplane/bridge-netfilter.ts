// Pods on one flannel node talk across the cni0 bridge. Those packets reach
// nftables' forward hook only when br_netfilter is loaded and
// net.bridge.bridge-nf-call-iptables (and -ip6tables) is 1; otherwise
// same-node pod traffic bypasses every policy. The agent checks this at start,
// sets it when it may, and refuses to run when it cannot: silently enforcing
// nothing is worse than not starting.
import { execa } from 'execa';
import { readFile, writeFile } from 'node:fs/promises';

export const BRIDGE_SYSCTLS = ['net/bridge/bridge-nf-call-iptables', 'net/bridge/bridge-nf-call-ip6tables'] as const;

export interface SysctlAccess {
  read(key: string): Promise<string | undefined>;
  write(key: string, value: string): Promise<void>;
  loadModule(name: string): Promise<void>;
}

export const procSysctls: SysctlAccess = {
  read: async (key) => {
    try {
      return (await readFile(`/proc/sys/${key}`, 'utf8')).trim();
    } catch {
      return undefined;
    }
  },
  write: (key, value) => writeFile(`/proc/sys/${key}`, `${value}\n`),
  loadModule: async (name) => void (await execa('modprobe', [name])),
};

/** Sysctls of another network namespace (a node of the kernel lab), through `ip netns exec`. */
export function commandSysctls(prefix: readonly string[]): SysctlAccess {
  const [cmd, ...args] = prefix;
  const run = async (argv: readonly string[]): Promise<string | undefined> => {
    if (cmd === undefined) return undefined;
    const res = await execa(cmd, [...args, ...argv], { reject: false });
    return res.exitCode === 0 ? String(res.stdout).trim() : undefined;
  };
  return {
    read: (key) => run(['cat', `/proc/sys/${key}`]),
    write: async (key, value) => {
      if ((await run(['sysctl', '-q', '-w', `${key.replaceAll('/', '.')}=${value}`])) === undefined) throw new Error(`sysctl -w ${key} failed`);
    },
    loadModule: async (name) => void (await execa('modprobe', [name])),
  };
}

export class BridgeNetfilterError extends Error {}

/** Makes sure bridged pod traffic is filtered; returns what it changed. Throws BridgeNetfilterError when it cannot. */
export async function ensureBridgeNetfilter(sys: SysctlAccess = procSysctls, { mayChange = true } = {}): Promise<string[]> {
  const changed: string[] = [];
  if ((await sys.read(BRIDGE_SYSCTLS[0])) === undefined) {
    if (!mayChange) throw new BridgeNetfilterError('br_netfilter is not loaded: bridged pod traffic would bypass the policy (load it: modprobe br_netfilter)');
    try {
      await sys.loadModule('br_netfilter');
      changed.push('loaded br_netfilter');
    } catch (e) {
      throw new BridgeNetfilterError(`br_netfilter is not loaded and modprobe failed (${e instanceof Error ? e.message : String(e)}): bridged pod traffic would bypass the policy`);
    }
  }
  for (const key of BRIDGE_SYSCTLS) {
    const value = await sys.read(key);
    if (value === '1') continue;
    const name = key.replaceAll('/', '.');
    if (value === undefined) throw new BridgeNetfilterError(`${name} does not exist even with br_netfilter loaded`);
    if (!mayChange) throw new BridgeNetfilterError(`${name} is ${value}: bridged pod traffic would bypass the policy (set it to 1)`);
    try {
      await sys.write(key, '1');
    } catch (e) {
      throw new BridgeNetfilterError(`${name} is ${value} and cannot be set to 1 (${e instanceof Error ? e.message : String(e)})`);
    }
    if ((await sys.read(key)) !== '1') throw new BridgeNetfilterError(`${name} did not stay 1 after setting it`);
    changed.push(`set ${name}=1`);
  }
  return changed;
}
