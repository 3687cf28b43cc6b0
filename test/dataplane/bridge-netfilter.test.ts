import { describe, expect, it } from 'vitest';
import { BridgeNetfilterError, ensureBridgeNetfilter, type SysctlAccess } from '../../src/dataplane/bridge-netfilter.ts';

function fakeSysctls(initial: Record<string, string>, opts: { moduleLoads?: boolean; writable?: boolean } = {}) {
  const values = new Map(Object.entries(initial));
  const sys: SysctlAccess = {
    read: async (k) => values.get(k),
    write: async (k, v) => {
      if (opts.writable === false) throw new Error('read-only file system');
      values.set(k, v);
    },
    loadModule: async () => {
      if (!opts.moduleLoads) throw new Error('modprobe: FATAL: Module br_netfilter not found');
      values.set('net/bridge/bridge-nf-call-iptables', '0');
      values.set('net/bridge/bridge-nf-call-ip6tables', '0');
    },
  };
  return { sys, values };
}

const ON = { 'net/bridge/bridge-nf-call-iptables': '1', 'net/bridge/bridge-nf-call-ip6tables': '1' };

describe('ensureBridgeNetfilter', () => {
  it('changes nothing when both sysctls are 1', async () => {
    expect(await ensureBridgeNetfilter(fakeSysctls(ON).sys)).toEqual([]);
  });

  it('sets a sysctl that is 0', async () => {
    const { sys, values } = fakeSysctls({ ...ON, 'net/bridge/bridge-nf-call-ip6tables': '0' });
    expect(await ensureBridgeNetfilter(sys)).toEqual(['set net.bridge.bridge-nf-call-ip6tables=1']);
    expect(values.get('net/bridge/bridge-nf-call-ip6tables')).toBe('1');
  });

  it('loads br_netfilter when the sysctls are missing, then sets them', async () => {
    const { sys } = fakeSysctls({}, { moduleLoads: true });
    expect(await ensureBridgeNetfilter(sys)).toEqual([
      'loaded br_netfilter', 'set net.bridge.bridge-nf-call-iptables=1', 'set net.bridge.bridge-nf-call-ip6tables=1',
    ]);
  });

  it('refuses loudly when the module cannot load, the value cannot be set, or changes are not allowed', async () => {
    await expect(ensureBridgeNetfilter(fakeSysctls({}).sys)).rejects.toThrow(/modprobe failed.*bypass the policy/);
    await expect(ensureBridgeNetfilter(fakeSysctls({ ...ON, 'net/bridge/bridge-nf-call-iptables': '0' }, { writable: false }).sys))
      .rejects.toThrow(BridgeNetfilterError);
    await expect(ensureBridgeNetfilter(fakeSysctls({ ...ON, 'net/bridge/bridge-nf-call-iptables': '0' }).sys, { mayChange: false }))
      .rejects.toThrow(/is 0: bridged pod traffic would bypass/);
  });
});
