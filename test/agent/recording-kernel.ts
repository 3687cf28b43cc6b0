// A kernel for agent tests that records every IR it is given (an unchanged
// one is not applied again, as the Syncer skips it) and lets a test wait for
// one that matches: an apply, never a fixed sleep.
import type { Applier, ApplyOutcome } from '../../src/agent/applier.ts';
import type { NodeIR } from '../../src/compile/ir.ts';

export class RecordingKernel implements Applier {
  readonly applied: NodeIR[] = [];
  private waiters: { match: (ir: NodeIR) => boolean; resolve: (ir: NodeIR) => void }[] = [];
  private last: string | undefined;

  async apply(ir: NodeIR, { force }: { readonly force: boolean }): Promise<ApplyOutcome> {
    const text = JSON.stringify(ir);
    if (!force && text === this.last) return { ok: true, applied: false, attempts: 0 };
    this.last = text;
    this.applied.push(ir);
    for (const w of [...this.waiters]) {
      if (w.match(ir)) {
        this.waiters = this.waiters.filter((x) => x !== w);
        w.resolve(ir);
      }
    }
    return { ok: true, applied: true, attempts: 1, script: { kind: this.applied.length === 1 ? 'replace' : 'delta', bytes: text.length } };
  }

  async inSync(): Promise<boolean> {
    return true;
  }

  /** The first IR applied from `from` on that matches (waits for it, up to 10 s). */
  next(match: (ir: NodeIR) => boolean, from = this.applied.length): Promise<NodeIR> {
    const found = this.applied.slice(from).find(match);
    if (found !== undefined) return Promise.resolve(found);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no matching apply within 10 s; ${this.applied.length} applied`)), 10_000);
      this.waiters.push({ match, resolve: (ir) => { clearTimeout(timer); resolve(ir); } });
    });
  }
}
