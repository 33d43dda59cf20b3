import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Core, executePythonCode } from '../../src/core';
import { checkCell, CorpusSequence, loadCorpus } from '../helpers/corpus';
import { core, threadKey, toolContext } from '../helpers/env';

/**
 * The notebook corpus (test/corpus/, format in test/helpers/corpus.ts): teaching-notebook cell
 * sequences with pandas, numpy, matplotlib, seaborn, scikit-learn and statsmodels, each run in
 * order in one thread through the Python tool. Every cell meant to succeed succeeds, every cell
 * meant to fail fails with its exception; the summary says per cause what did not.
 */
const corpus: CorpusSequence[] = loadCorpus(join(__dirname, '..', '..', '..', 'test', 'corpus'));
const CELL_TIMEOUT_SECONDS = 300;

describe('notebook corpus', () => {
  let c: Core;
  const threads: string[] = [];
  const failures = new Map<string, string[]>();
  let ran = 0;

  before(async () => {
    c = await core();
  });
  after(async () => {
    await Promise.all(threads.map((t) => c.manager.delete(t)));
    const lines = [...failures].map(([cause, where]) => `  ${where.length} × ${cause}\n      at ${where.slice(0, 5).join(', ')}`);
    process.stderr.write(`[corpus] ${ran} cells in ${corpus.length} sequences; ${ran - [...failures.values()].flat().length} as expected${lines.length ? '; failures by cause:\n' + lines.join('\n') : ''}\n`);
  });

  it('has at least 300 cells in sequences', () => {
    const cells = corpus.reduce((n, s) => n + s.cells.length, 0);
    assert.ok(cells >= 300, `the corpus has ${cells} cells`);
  });

  for (const sequence of corpus) {
    it(`runs ${sequence.name} (${sequence.cells.length} cells) in one thread`, async () => {
      const ctx = toolContext(c, threadKey(`corpus-${sequence.name.replace(/\W+/g, '-')}`));
      threads.push(ctx.threadKey);
      const failed: string[] = [];
      for (const cell of sequence.cells) {
        const o = await executePythonCode({ pythonCode: cell.code, timeoutSeconds: CELL_TIMEOUT_SECONDS }, ctx);
        ran++;
        const cause = checkCell(cell, o);
        if (cause === undefined) continue;
        const key = cause.replace(/0x[0-9a-f]+/g, '0x…');
        failures.set(key, [...(failures.get(key) ?? []), cell.where]);
        failed.push(`${cell.where}: ${cause}`);
      }
      assert.deepEqual(failed, [], `cells that did not do what they were meant to:\n${failed.join('\n')}`);
    });
  }
});
