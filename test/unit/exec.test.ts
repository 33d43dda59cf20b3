import assert from 'node:assert/strict';
import { PassThrough, Readable, Writable } from 'node:stream';
import { describe, it } from 'node:test';
import type Dockerode from 'dockerode';
import { runThrowaway } from '../../src/core/sandbox/exec';

/** A Dockerode with just what runThrowaway uses: a container whose attached stream the test drives. */
function fakeApi(stream: PassThrough, onStart: () => void) {
  const removed: string[] = [];
  const api = {
    createContainer: async () => ({
      attach: async () => stream,
      start: async () => onStart(),
      wait: async () => ({ StatusCode: 0 }),
      remove: async () => void removed.push('container'),
    }),
    // Docker's framing is not the point here: everything the stream carries is stdout.
    modem: { demuxStream: (s: Readable, out: Writable) => s.on('data', (d: Buffer) => out.write(d)) },
  };
  return { api: api as unknown as Dockerode, removed };
}

/** The promise's outcome, or 'pending' when it has not settled within ms. */
function within<T>(p: Promise<T>, ms: number): Promise<{ value: T } | { error: unknown } | 'pending'> {
  return Promise.race([p.then((value) => ({ value }), (error: unknown) => ({ error })), new Promise<'pending'>((r) => setTimeout(() => r('pending'), ms).unref())]);
}

describe('a command in a throwaway container', () => {
  it('collects the output when the stream ends', async () => {
    const stream = new PassThrough();
    const { api, removed } = fakeApi(stream, () => setImmediate(() => stream.end('hello')));
    const r = await runThrowaway(api, 'img', ['echo'], {}, {});
    assert.equal(r.stdout.toString(), 'hello');
    assert.deepEqual(removed, ['container']);
  });

  it('settles, with the stream\'s error, when the stream errors without ending; the container is still removed', async () => {
    const stream = new PassThrough();
    const { api, removed } = fakeApi(stream, () =>
      setImmediate(() => {
        stream.write('partial');
        stream.destroy(new Error('socket hang up'));
      }),
    );
    const got = await within(runThrowaway(api, 'img', ['echo'], {}, {}), 2000);
    assert.notEqual(got, 'pending', 'the call never settled');
    assert.ok(typeof got === 'object' && 'error' in got, 'an interrupted stream is an error, not a short output');
    assert.match((got.error as Error).message, /socket hang up/);
    assert.deepEqual(removed, ['container']);
  });
});
