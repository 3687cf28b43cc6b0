// The child of libnftables.test.ts: libnftables acts in the network namespace
// of the process that calls it, so the test runs this under `ip netns exec`.
// It opens one backend (argv: nft|libnftables, and optionally a library path)
// and answers requests, one JSON line each way, on one long-lived runner:
//   {"op":"apply"|"check","script":...} or {"op":"read","args":[...]} or {"op":"metrics"}
//   -> {"ok":true,"out":...} or {"ok":false,"error":{nft,message,stderr,noSuchTable}}
// Its first line says which backend it got: {"backend":...,"fallback":...}.
import { createInterface } from 'node:readline';
import { AgentMetrics } from '../../src/agent/metrics.ts';
import { openNftBackend, type NftBackend } from '../../src/dataplane/nft-backend.ts';
import { isNoSuchTable, NftError } from '../../src/dataplane/nft-runner.ts';

const [backend, library] = process.argv.slice(2) as [NftBackend, string | undefined];
const opened = openNftBackend(backend, library === undefined ? {} : { library });
const { runner } = opened;
const metrics = new AgentMetrics({ drops: { runner, table: 'nftpol', cacheMs: 0 } });
const say = (v: unknown): void => void process.stdout.write(`${JSON.stringify(v)}\n`);
say({ backend: opened.backend, fallback: opened.fallback ?? null });

type Request = { op: 'apply' | 'check'; script: string } | { op: 'read'; args: string[] } | { op: 'metrics' };

for await (const line of createInterface({ input: process.stdin })) {
  const req = JSON.parse(line) as Request;
  try {
    const out = req.op === 'apply' ? await runner.apply(req.script)
      : req.op === 'check' ? await runner.check(req.script)
        : req.op === 'read' ? await runner.read(req.args)
          : await metrics.text();
    say({ ok: true, out: out ?? null });
  } catch (err) {
    const e = err as Error;
    say({ ok: false, error: { nft: err instanceof NftError, message: e.message, stderr: err instanceof NftError ? err.stderr : null, noSuchTable: isNoSuchTable(err) } });
  }
}
