import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, describe, it } from 'node:test';
import { Core, executePythonCode, threadKeyOf } from '../../src/core';
import { createTestCore, core, toolContext } from '../helpers/env';

/**
 * A notebook's thread across a reload: the key comes from the notebook's URI (threads.ts
 * notebookThreadKey), so a window that reloads — a new process, a new Core — finds the same container,
 * its files and, while the container lives, its variables; another notebook does not.
 */
describe('notebook thread binding', () => {
  const uri = `file:///tmp/ws-${randomUUID()}/analysis.ipynb`;
  const key = threadKeyOf('notebook', uri);
  const other = threadKeyOf('notebook', uri.replace('analysis', 'other'));
  const cores: Core[] = [];
  after(async () => {
    const c = await core();
    await c.manager.delete(key);
    await c.manager.delete(other);
    for (const x of cores) await x.manager[Symbol.asyncDispose]();
  });

  it('the same notebook URI finds the same session, files and variables after a reload; another URI does not', async () => {
    const before = createTestCore({ idleStopMinutes: 0, poolSize: 0 });
    cores.push(before);
    const set = await executePythonCode({ pythonCode: 'answer = 41\nopen("kept.txt", "w").write("from before the reload")' }, toolContext(before, key));
    assert.equal(set.status, 'ok', set.text);
    const container = (await before.manager.session(key).inspect()).Id;
    // The window reloads: this process lets go of the session (the container stays, as on deactivate).
    await before.manager[Symbol.asyncDispose]();

    const afterReload = createTestCore({ idleStopMinutes: 0, poolSize: 0 });
    cores.push(afterReload);
    const got = await executePythonCode({ pythonCode: 'print(answer + 1, open("kept.txt").read())' }, toolContext(afterReload, key));
    assert.equal(got.status, 'ok', got.text);
    assert.match(got.text, /42 from before the reload/);
    assert.equal((await afterReload.manager.session(key).inspect()).Id, container, 'the same container, as Docker reports it');

    const elsewhere = await executePythonCode({ pythonCode: 'import os\nprint("answer" in globals(), os.path.exists("kept.txt"))' }, toolContext(afterReload, other));
    assert.equal(elsewhere.status, 'ok', elsewhere.text);
    assert.match(elsewhere.text, /False False/);
    assert.notEqual((await afterReload.manager.session(other).inspect()).Id, container);
  });
});
