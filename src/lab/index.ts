// The kernel lab: builds a canal-style world (flannel vxlan + per-node bridge) or a routed
// one (a veth and a /32 route per pod, no bridge) in network namespaces, runs commands in its nodes, probes real TCP/UDP flows. Used by the kernel tests
// and by `nftpol test --dataplane kernel`. See README.md.

export { buildWorld, type BuildOptions, type World, type WorldTimings } from './world.ts';
export type { WorldSpec, NodeSpec, PodSpec, OutsideHostSpec, Protocol, LabTopology } from './spec.ts';
export { InvalidWorldError, LAB_TOPOLOGIES, validateSpec } from './spec.ts';
export type { Flow, ProbeOptions, ProbeResult } from './probe.ts';
export { describeFlow, DEFAULT_PROBE_CONCURRENCY, DEFAULT_PROBE_RETRIES, DEFAULT_PROBE_TIMEOUT_MS } from './probe.ts';
export type { ProbeOutcome, Verdict } from './servers.ts';
export { flowsBetween, type FlowFilter } from './flows.ts';
export type { EndpointPlan, EndpointKind, NodePlan, WorldPlan } from './topology.ts';
export { planWorld, VXLAN_PORT, VXLAN_VNI } from './topology.ts';
export { cleanupStale, cleanupOrphans } from './cleanup.ts';
export { listNetns } from './netns.ts';
export { kernelPrerequisites } from './prerequisites.ts';
export type { CommandResult, RunOptions } from './commands.ts';
export { LINK_GATEWAY, labRanges } from './addresses.ts';
