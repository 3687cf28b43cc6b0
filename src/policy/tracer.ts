// How the one evaluator says why, after Cilium's PolicyTrace on its search
// context: a no-op unless tracing. Matchers take an optional Tracer and
// return undefined on a match or a compact Miss (a shared constant); when a
// tracer is present they hand it the reason as `trace?.because(miss, text)`,
// and without one the optional call skips its arguments, so allows(), the
// compiler and lint never build a word of text.

/**
 * How far a peer or port check got before it failed, in the order the checks
 * run: the higher, the closer it came to matching. The closest rule miss
 * names the check that got furthest; a rule's peers are ranked among
 * themselves and its ports among themselves, never one against the other.
 */
export const Stage = {
  /** The port entry's protocol is not the flow's. */
  Protocol: 0,
  /** The address is outside ipBlock.cidr. */
  Cidr: 1,
  /** The namespace fails namespaceSelector (or the end is not a pod, for a namespace-only peer). */
  Namespace: 2,
  /**
   * The namespace passed and the pod did not: it fails podSelector, or a
   * podSelector-only peer's own namespace is not the pod's, or the end is not
   * a pod, for a peer with a podSelector.
   */
  Pod: 3,
  /** Inside ipBlock.cidr, but also inside an except: as close as a pod miss. */
  Except: 3,
  /** The protocol matched, the port (number, range or name) did not. */
  Port: 4,
} as const;
export type Stage = (typeof Stage)[keyof typeof Stage];

/** A failed peer or port check: how far it got, the sub-field that failed (e.g. "namespaceSelector"), and, when traced, why. */
export interface Miss {
  readonly stage: Stage;
  readonly field: string;
  readonly reason?: string;
}

export class Tracer {
  /** The miss with its reason. Call it as `trace?.because(miss, text) ?? miss`. */
  because(miss: Miss, reason: string): Miss {
    return { ...miss, reason };
  }
}
