// The addresses of the agent's network namespace, as the conntrack sweep reads them.
import { describe, expect, it } from 'vitest';
import { localAddresses } from '../../src/dataplane/local-addresses.ts';

describe('localAddresses', () => {
  it('lists this namespace\'s addresses in canonical form, loopback included, each once', () => {
    const got = localAddresses();
    expect(got).toContain('127.0.0.1');
    expect(new Set(got).size).toBe(got.length);
    for (const ip of got) expect(ip).not.toMatch(/[A-F]|%/); // canonical: lower case, no zone
  });
});
