// The discovery loop's timing: failed checks retried with the watches'
// backoff (doubling, capped), answered ones every interval; stop() ends it.
import { describe, expect, it } from 'vitest';
import type { ClusterPolicyResource, Served } from '../../src/k8s/cluster-policy-api.ts';
import { DiscoveryLoop, intervalText } from '../../src/k8s/discovery-loop.ts';

const answer = (s: Served): Record<ClusterPolicyResource, Served> => ({ clusternetworkpolicies: s, adminnetworkpolicies: s, baselineadminnetworkpolicies: s });

describe('DiscoveryLoop', () => {
  it('retries a failed check with doubling delays up to maxRetryMs, then waits the interval once answered', async () => {
    let calls = 0;
    const retries: number[] = [];
    const answers: boolean[] = [];
    let answered = (): void => undefined;
    const done = new Promise<void>((r) => (answered = r));
    const loop = new DiscoveryLoop({
      discover: async () => (++calls <= 4 ? answer({ served: 'unknown', message: 'cannot tell: HTTP 500', reason: 'HTTP 500' }) : answer({ served: false })),
      onTrouble: (message, retryInMs) => {
        expect(message).toBe('cannot tell: HTTP 500');
        retries.push(retryInMs);
      },
      onAnswer: (a) => {
        answers.push(a.clusternetworkpolicies.served === false);
        if (a.clusternetworkpolicies.served === false) answered();
      },
      retryMs: 5, maxRetryMs: 20, intervalMs: 60_000,
    });
    await done;
    await new Promise((r) => setTimeout(r, 50));
    await loop.stop();
    expect(retries).toEqual([5, 10, 20, 20]);
    expect(answers).toEqual([false, false, false, false, true]);
    expect(calls).toBe(5);
  });

  it('says intervals as a log line does', () => {
    expect([intervalText(300_000), intervalText(60_000), intervalText(30_000), intervalText(30)]).toEqual(['5 minutes', '1 minute', '30 s', '30 ms']);
  });
});
