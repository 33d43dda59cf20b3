/** A missing module or command in the real sandbox comes back with the package that provides it. */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Core, executePythonCode, hintText, runShellCommand, ToolContext } from '../../src/core';
import { core, threadKey, toolContext } from '../helpers/env';

describe('package hints (built-in image)', () => {
  let c: Core;
  let ctx: ToolContext;
  before(async () => {
    c = await core();
    ctx = toolContext(c, threadKey('hints'));
  });
  after(async () => c.manager.delete(ctx.threadKey));

  it('import cv2 names python3-opencv and opencv-python-headless', async () => {
    const o = await executePythonCode({ pythonCode: 'import cv2' }, ctx);
    assert.equal(o.status, 'error', o.text);
    assert.match(o.text, /No module named 'cv2'/);
    assert.deepEqual(o.hint, { kind: 'module', missing: 'cv2', apt: 'python3-opencv', pip: 'opencv-python-headless' });
    assert.ok(o.text.includes(hintText(o.hint!)), o.text);
    assert.match(o.text, /`\.code-interpreter\/apt\.txt`/);
  });

  it('ffmpeg -version in the shell names the Debian package ffmpeg', async () => {
    const o = await runShellCommand({ command: 'ffmpeg -version' }, ctx);
    assert.equal(o.status, 'error', o.text);
    assert.match(o.text, /Exit code: 127/);
    assert.match(o.text, /ffmpeg: command not found/);
    assert.deepEqual(o.hint, { kind: 'command', missing: 'ffmpeg', apt: 'ffmpeg' });
    assert.match(o.text, /The Debian package `ffmpeg` provides it/);
  });
});
