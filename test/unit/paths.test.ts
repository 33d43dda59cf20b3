import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InputError } from '../../src/core/errors';
import { LIMITS } from '../../src/core/policy/limits';
import { validateSessionPath } from '../../src/core/policy/paths';
import { validateCode, validateTimeout } from '../../src/core/policy/validate';

describe('validateSessionPath', () => {
  it('normalises relative paths', () => {
    assert.equal(validateSessionPath('a/./b//c.csv'), 'a/b/c.csv');
    assert.equal(validateSessionPath('./x'), 'x');
    assert.equal(validateSessionPath('-rf'), '-rf');
  });
  it('refuses absolute paths and suggests the relative one', () => {
    assert.throws(() => validateSessionPath('/etc/passwd'), (e: unknown) => e instanceof InputError && /Absolute path/.test(e.message));
    assert.throws(() => validateSessionPath('/mnt/data/x.csv'), (e: unknown) => e instanceof InputError && /'x\.csv'/.test(e.explanation));
    assert.throws(() => validateSessionPath('~/x'), InputError);
    assert.throws(() => validateSessionPath('C:\\x'), InputError);
  });
  it('refuses .. anywhere', () => {
    for (const p of ['..', '../x', 'a/../../b', 'a/..']) assert.throws(() => validateSessionPath(p), /'\.\.' may not be used/);
  });
  it('refuses NUL, non-strings and overlong paths', () => {
    assert.throws(() => validateSessionPath('a\0b'), /NUL/);
    assert.throws(() => validateSessionPath(42), /must be a string/);
    assert.throws(() => validateSessionPath('x'.repeat(LIMITS.maxPathChars + 1)), /limit/);
  });
  it('allows the root only when asked', () => {
    assert.equal(validateSessionPath(undefined, { allowRoot: true }), '.');
    assert.equal(validateSessionPath('.', { allowRoot: true }), '.');
    assert.throws(() => validateSessionPath('.'), /names no file/);
    assert.throws(() => validateSessionPath(''), /missing/);
  });
});

describe('limits', () => {
  it('timeouts: default, range and a message naming the range', () => {
    assert.equal(validateTimeout(undefined, LIMITS.pythonTimeout), 120);
    assert.equal(validateTimeout(900, LIMITS.pythonTimeout), 900);
    assert.throws(() => validateTimeout(901, LIMITS.pythonTimeout), /between 5 and 900/);
    assert.throws(() => validateTimeout(4, LIMITS.shellTimeout), /between 5 and 240/);
    assert.throws(() => validateTimeout(241, LIMITS.shellTimeout), InputError);
    assert.throws(() => validateTimeout('60', LIMITS.pdfTimeout), /must be a number/);
  });
  it('code length is capped at 20,000 characters', () => {
    assert.equal(validateCode('x'.repeat(20_000), 'pythonCode').length, 20_000);
    assert.throws(() => validateCode('x'.repeat(20_001), 'pythonCode'), /20,001 characters; the limit is 20,000/);
    assert.throws(() => validateCode('   ', 'pythonCode'), /required/);
  });
});
