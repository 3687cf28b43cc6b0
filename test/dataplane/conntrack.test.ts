// execConntrack against a fake `conntrack` (a shell script that records its
// arguments and stdin and prints a real listing): what it runs, through a
// prefix, and what it makes of the answers. The real command is exercised by
// test/kernel/conntrack.test.ts.
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConntrackError, execConntrack } from '../../src/dataplane/conntrack.ts';
import { parseConntrackListing, type ConntrackEntry } from '../../src/dataplane/conntrack-listing.ts';

const FIXTURE = path.join(import.meta.dirname, 'fixtures', 'conntrack-list.txt');

describe('execConntrack', () => {
  let dir: string;
  let fake: string;
  const calls = async (): Promise<string[]> => (await readFile(path.join(dir, 'calls'), 'utf8').catch(() => '')).trim().split('\n').filter((l) => l !== '');

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'nftpol-conntrack-'));
    fake = path.join(dir, 'conntrack');
    // -L -f ipv4|ipv6: the fixture's lines of that family, plus one garbage line;
    // -R FILE: copies the batch and "deletes" the v4 TCP entries;
    // FAIL set: refuses as conntrack does without the module.
    await writeFile(fake, `#!/bin/sh
echo "$*" >> ${dir}/calls
if [ -n "$FAIL" ]; then echo "conntrack v1.4.7 (conntrack-tools): Operation failed: Protocol not supported" >&2; exit 1; fi
case "$1 $3" in
  "-L ipv4") grep -v 'fd00' ${FIXTURE}; echo 'garbage line';;
  "-L ipv6") grep 'fd00' ${FIXTURE};;
  "-R ") cat "$2" > ${dir}/batch; grep '^tcp ' ${FIXTURE} | grep -v fd00;;
esac
`);
    await chmod(fake, 0o755);
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('lists both families, each with its own dump, and counts lines that are not entries', async () => {
    const table = execConntrack({ binary: fake, prefix: ['env', 'X=1'] });
    const got = await table.list();
    expect(got.entries).toHaveLength(10);
    expect(got.skipped).toBe(1);
    expect(got.skippedSamples).toEqual(['garbage line']);
    expect(await calls()).toEqual(expect.arrayContaining(['-L -f ipv4', '-L -f ipv6']));
  });

  it('deletes in one -R batch, one line per judged flow, and counts what the kernel deleted', async () => {
    const entries = parseConntrackListing(await readFile(FIXTURE, 'utf8')).entries.filter((e) => e.protocol === 'TCP' && e.family === 4);
    const got = await execConntrack({ binary: fake }).delete({ flows: [...entries, ...entries] });
    expect(got).toEqual({ commands: 3, deleted: 3 });
    expect((await readFile(path.join(dir, 'batch'), 'utf8')).split('\n')).toEqual([
      '-D -f ipv4 -p 6 -s 10.0.0.1 -d 10.96.0.10 --dport 80 -r 10.244.1.5 --reply-port-src 8080',
      '-D -f ipv4 -p 6 -s 127.0.0.1 -d 127.0.0.1 --dport 7000 -r 127.0.0.1 --reply-port-src 7000',
      '-D -f ipv4 -p 6 -s 10.0.0.1 -d 10.96.0.10 --dport 80 -r 10.244.1.6 --reply-port-src 8080',
      '',
    ]);
  });

  it('runs a long sweep in batches of 50 lines, one process each', async () => {
    const one = parseConntrackListing(await readFile(FIXTURE, 'utf8')).entries.find((e) => e.protocol === 'TCP') as ConntrackEntry;
    // 120 flows: one client's connections to 120 ports.
    const entries = Array.from({ length: 120 }, (_, i) => ({ ...one, original: { ...one.original, dport: 1000 + i }, reply: { ...one.reply, sport: 1000 + i } }));
    const before = (await calls()).length;
    const got = await execConntrack({ binary: fake }).delete({ flows: entries });
    expect(got.commands).toBe(120);
    expect((await calls()).slice(before).map((c) => c.split(' ')[0])).toEqual(['-R', '-R', '-R']);
  });

  it('runs nothing for nothing to delete', async () => {
    const before = (await calls()).length;
    expect(await execConntrack({ binary: fake }).delete({ flows: [], addresses: [] })).toEqual({ commands: 0, deleted: 0 });
    expect((await calls()).length).toBe(before);
  });

  it('reports a refusal with conntrack\'s own words', async () => {
    // `env FAIL=1 <fake> -L -f ipv4`: the prefix is the command, the binary its argument.
    const failing = execConntrack({ binary: fake, prefix: ['env', 'FAIL=1'] });
    await expect(failing.list()).rejects.toThrow(ConntrackError);
    await expect(failing.list()).rejects.toThrow(/conntrack -L -f ipv4 failed \(exit 1\): .*Protocol not supported/);
  });
});
