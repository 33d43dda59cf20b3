import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { errorMessage, explainDockerError, InfrastructureError, InputError } from '../../src/core/errors';

describe('errors keep what caused them', () => {
  it('an InputError carries a cause like the other errors, and its explanation stays the message and the fix', () => {
    const cause = Object.assign(new Error('ENOENT: no such file'), { code: 'ENOENT' });
    const err = new InputError("'x.csv' was not found.", 'Give the path of an existing file.', { cause });
    assert.equal(err.cause, cause);
    assert.equal(err.kind, 'input');
    assert.equal(errorMessage(err), "'x.csv' was not found. Give the path of an existing file.");
    assert.equal(new InputError('no cause').cause, undefined);
    assert.equal(new InfrastructureError('down', 'start it', { cause }).cause, cause);
  });

  it('a Docker failure keeps the engine\'s error as its cause', () => {
    const cause = Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
    assert.equal(explainDockerError(cause, 'contacting the Docker engine').cause, cause);
    const other = Object.assign(new Error('boom'), { statusCode: 500 });
    assert.equal(explainDockerError(other, 'copying').cause, other);
  });
});
