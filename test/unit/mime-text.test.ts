import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { applyCarriageReturns, coalesceStreams, Output } from '../../src/core/notebook/nbformat';
import { bundleText, htmlToText } from '../../src/core/notebook/plaintext';
import { ExecutionCollector } from '../../src/core/kernel/protocol';

describe('rich outputs as text (model, terminal)', () => {
  it('prefers an informative text/plain (a DataFrame) over its HTML', () => {
    assert.equal(bundleText({ 'text/plain': '  a\n0 1', 'text/html': '<table><tr><td>1</td></tr></table>' }), '  a\n0 1');
  });

  it('replaces default reprs with the content: HTML as text, Markdown, LaTeX, JSON', () => {
    assert.equal(bundleText({ 'text/plain': '<IPython.core.display.HTML object>', 'text/html': '<p>Total: <b>3</b> &amp; more</p>' }), 'Total: 3 & more');
    assert.equal(bundleText({ 'text/plain': '<__main__.Report at 0x7f00aa>', 'text/html': '<i>r</i>' }), 'r');
    assert.equal(bundleText({ 'text/plain': '<IPython.core.display.Markdown object>', 'text/markdown': '# T' }), '# T');
    assert.equal(bundleText({ 'text/plain': '<IPython.core.display.Latex object>', 'text/latex': '$x$' }), '$x$');
    assert.equal(bundleText({ 'text/plain': 'x**2', 'text/latex': '$x^{2}$' }), 'x**2', 'sympy: its plain form reads well');
    assert.equal(bundleText({ 'text/plain': '<IPython.core.display.JSON object>', 'application/json': { a: [1] } }), '{\n  "a": [\n    1\n  ]\n}');
  });

  it('shows JavaScript as code, marked as never run', () => {
    const text = bundleText({ 'text/plain': '<IPython.core.display.Javascript object>', 'application/javascript': 'alert(1)' });
    assert.equal(text, '[JavaScript output, shown as code and never run]\nalert(1)');
  });

  it('says what a picture it cannot attach is', () => {
    assert.match(bundleText({ 'text/plain': '<Figure size 640x480 with 1 Axes>', 'image/svg+xml': '<svg/>' }), /^<Figure size 640x480 with 1 Axes>\n\[an SVG image/);
    assert.match(bundleText({ 'application/vnd.plotly.v1+json': {} }), /Plotly chart/);
    // No picture of a Plotly figure can be made in the sandbox (no kaleido): the model is not told of one.
    assert.doesNotMatch(bundleText({ 'text/plain': 'Figure({...})', 'application/vnd.plotly.v1+json': {} }), /PNG|image (is )?attached/i);
    assert.equal(bundleText({ 'application/x-unknown': 1 }), '[output of type application/x-unknown]');
  });

  it('turns HTML tables into rows of cells and drops scripts, styles and comments', () => {
    const html = '<style>td{color:red}</style><script>alert(1)</script><!-- c --><table><thead><tr><th></th><th>p1</th></tr></thead><tbody><tr><th>api</th><td>3&#46;0</td></tr></tbody></table>';
    assert.equal(htmlToText(html), '| p1\napi | 3.0');
    assert.equal(htmlToText('a<br>b<div>c</div>\n\n\n<p>d</p>'), 'a\nb\nc\n\nd');
    assert.equal(htmlToText('3 &times; 4 &le; 12&nbsp;&mdash; &#x2713; &unknown;'), '3 × 4 ≤ 12 — ✓ &unknown;');
  });
});

describe('carriage returns in streams', () => {
  it('keeps the last state of a line redrawn with \\r, and \\r\\n is a newline', () => {
    assert.equal(applyCarriageReturns('\r  0%|  |\r 50%|# |\r100%|##|\n'), '100%|##|\n');
    assert.equal(applyCarriageReturns('long line\rshort\n'), 'shortline\n', 'overwrites like a terminal');
    assert.equal(applyCarriageReturns('a\r\nb\r\n'), 'a\nb\n');
    assert.equal(applyCarriageReturns('abc\b\bX'), 'aXc');
    assert.equal(applyCarriageReturns('no control chars'), 'no control chars');
  });

  it('is applied when stream chunks are joined, across chunk boundaries', () => {
    const chunks: Output[] = [
      { output_type: 'stream', name: 'stderr', text: '\rstep 1' },
      { output_type: 'stream', name: 'stderr', text: '\rstep 2\r' },
      { output_type: 'stream', name: 'stderr', text: 'step 3\ndone\n' },
      { output_type: 'stream', name: 'stdout', text: 'kept\r\n' },
    ];
    assert.deepEqual(coalesceStreams(chunks), [
      { output_type: 'stream', name: 'stderr', text: 'step 3\ndone\n' },
      { output_type: 'stream', name: 'stdout', text: 'kept\n' },
    ]);
  });
});

describe('clear_output and display updates in an execution record', () => {
  const out = (text: string): Output => ({ output_type: 'display_data', data: { 'text/plain': text }, metadata: {} });
  it('clears at once, or at the next output with wait', () => {
    const c = new ExecutionCollector();
    c.accept({ type: 'output', id: 'e', output: out('a') });
    c.accept({ type: 'clear_output', id: 'e', wait: false });
    c.accept({ type: 'output', id: 'e', output: out('b') });
    c.accept({ type: 'clear_output', id: 'e', wait: true });
    assert.deepEqual(c.result.outputs, [out('b')], 'wait: kept until something new comes');
    c.accept({ type: 'output', id: 'e', output: out('c') });
    assert.deepEqual(c.result.outputs, [out('c')]);
  });
  it('replaces a display handle\'s outputs in place; an unknown handle changes nothing', () => {
    const c = new ExecutionCollector();
    c.accept({ type: 'output', id: 'e', output: out('first'), displayId: 'h' });
    c.accept({ type: 'output', id: 'e', output: out('between') });
    c.accept({ type: 'output', id: 'e', output: out('second'), displayId: 'h', update: true });
    c.accept({ type: 'output', id: 'e', output: out('elsewhere'), displayId: 'other', update: true });
    assert.deepEqual(c.result.outputs, [out('second'), out('between')]);
  });
});
