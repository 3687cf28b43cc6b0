// quietWhenClosed: process streams as commands see them. A reader that left
// (EPIPE) ends output quietly; a writer that waits for a slow reader is not
// left waiting for a stream that is gone.
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { quietWhenClosed } from '../../src/cli/io.ts';

/** A stream that holds writes until release(), like a pipe whose reader is slow. */
function slowPipe(): { stream: Writable; written: string[]; release: () => void } {
  const written: string[] = [];
  const held: (() => void)[] = [];
  const stream = new Writable({
    highWaterMark: 4,
    write(chunk: Buffer, _enc, done) {
      written.push(chunk.toString());
      held.push(done);
    },
  });
  return { stream, written, release: () => held.splice(0).forEach((done) => done()) };
}

const epipe = (): NodeJS.ErrnoException => Object.assign(new Error('write EPIPE'), { code: 'EPIPE' });

describe('quietWhenClosed', () => {
  it('passes writes and drain on while the reader is there', async () => {
    const { stream, written, release } = slowPipe();
    const out = quietWhenClosed(stream);
    expect(out.write('more than four bytes')).toBe(false);
    const drained = new Promise<void>((resolve) => out.once?.('drain', resolve));
    release();
    await drained;
    expect(written).toEqual(['more than four bytes']);
  });

  it('drops writes after EPIPE, without throwing, and wakes whoever waits for drain', async () => {
    const { stream, written } = slowPipe();
    const out = quietWhenClosed(stream);
    out.write('more than four bytes');
    const woken = new Promise<void>((resolve) => out.once?.('drain', resolve));
    stream.destroy(epipe());
    await woken;
    expect(out.write('after')).toBe(false);
    await new Promise<void>((resolve) => out.once?.('drain', resolve)); // resolves at once
    expect(written).toEqual(['more than four bytes']);
  });
});
