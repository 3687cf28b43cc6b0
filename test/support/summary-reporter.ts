// Prints one plain closing line, "tests: N passed, N failed, N skipped", after
// vitest's own report, so CI logs (and tools that read closing lines) see the
// count without parsing vitest's formatting.
import type { Reporter, TestModule } from 'vitest/node';

export default class SummaryReporter implements Reporter {
  onTestRunEnd(modules: ReadonlyArray<TestModule>): void {
    let passed = 0;
    let failed = 0;
    let skipped = 0;
    for (const m of modules) {
      for (const t of m.children.allTests()) {
        const state = t.result().state;
        if (state === 'passed') passed++;
        else if (state === 'failed') failed++;
        else skipped++;
      }
      if (m.state() === 'failed' && m.children.size === 0) failed++;
    }
    process.stdout.write(`\ntests: ${passed} passed, ${failed} failed, ${skipped} skipped\n`);
    const seed = process.env.NFTPOL_FC_SEED;
    process.stdout.write(`fast-check seed: ${seed === undefined || seed === '' ? 'random per property' : seed} (${process.env.NFTPOL_FC_SEED_WHY ?? '?'}); FC_SEED=<n> replays it\n`);
  }
}
