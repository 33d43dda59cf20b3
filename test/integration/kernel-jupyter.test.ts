import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Core, executePythonCode, mimeText, Output, ToolContext, ToolOutcome } from '../../src/core';
import { core, threadKey, toolContext } from '../helpers/env';

type Rich = Extract<Output, { data: unknown }>;
const rich = (o: ToolOutcome): Rich[] => o.outputs.filter((x): x is Rich => x.output_type === 'display_data' || x.output_type === 'execute_result');
const streams = (o: ToolOutcome, name: 'stdout' | 'stderr') => o.outputs.filter((x) => x.output_type === 'stream' && x.name === name).map((x) => (x as { text: string }).text).join('');
const PNG = [0x89, 0x50, 0x4e, 0x47];

/**
 * What runs in Jupyter runs here: ipykernel's behaviour, cell by cell as a notebook runs it, through
 * the Python tool (what chat, MCP and the CLI all call). Each block is a small notebook in one thread.
 */
describe('kernel: Jupyter behaviour', () => {
  let c: Core;
  const threads: string[] = [];
  before(async () => {
    c = await core();
  });
  after(async () => Promise.all(threads.map((t) => c.manager.delete(t))));

  /** A fresh notebook (thread): returns a function that runs one cell. */
  function notebook(name: string): (code: string) => Promise<ToolOutcome> {
    const ctx: ToolContext = toolContext(c, threadKey(name));
    threads.push(ctx.threadKey);
    return (pythonCode) => executePythonCode({ pythonCode, timeoutSeconds: 120 }, ctx);
  }

  it('a cell that begins with %matplotlib inline and draws shows one PNG and no error; plt works in later cells', async () => {
    const cell = notebook('mpl-inline');
    const first = await cell('%matplotlib inline\nimport matplotlib.pyplot as plt\nplt.plot([1, 3, 2])\nplt.title("incidents")');
    assert.equal(first.status, 'ok', first.text);
    assert.equal(first.outputs.filter((x) => x.output_type === 'error').length, 0);
    assert.equal(first.images.length, 1);
    assert.deepEqual([...Buffer.from(first.images[0].data, 'base64').subarray(0, 4)], PNG);
    const second = await cell('plt.bar(["a", "b"], [1, 2])');
    assert.equal(second.status, 'ok', second.text);
    assert.equal(second.images.length, 1, 'plt still defined and inline in the next cell');
    const bare = await cell('%matplotlib');
    assert.match(streams(bare, 'stdout'), /Using matplotlib backend: inline/);
    const gui = await cell('%matplotlib qt\nplt.plot([1, 2])');
    assert.equal(gui.status, 'ok', gui.text);
    assert.match(streams(gui, 'stderr'), /no display .* shown inline/);
    assert.equal(gui.images.length, 1);
  });

  it('shows each figure once: plt.show(), display(fig), fig as the last expression, figures left open, empty figures', async () => {
    const cell = notebook('mpl-once');
    const shown = await cell('import matplotlib.pyplot as plt\nplt.plot([1, 2])\nplt.show()\nplt.figure()\nplt.plot([2, 1])');
    assert.equal(shown.images.length, 2, 'one from plt.show(), one left open');
    const last = await cell('fig, ax = plt.subplots()\nax.plot([3, 1, 2])\nfig');
    assert.equal(last.images.length, 1, `fig as the last expression is shown once (Jupyter shows it twice): ${last.text}`);
    assert.equal(rich(last)[0].output_type, 'execute_result');
    const displayed = await cell('from IPython.display import display\nfig2, ax2 = plt.subplots()\nax2.plot([1, 1])\ndisplay(fig2)');
    assert.equal(displayed.images.length, 1);
    const grid = await cell('fig, axes = plt.subplots(2, 2)\nfor a in axes.flat: a.plot([1, 2])\nplt.figure(); plt.hist([1, 2, 2, 3])');
    assert.equal(grid.images.length, 2, 'two figures left open: two images');
    const empty = await cell('plt.figure()\nNone');
    assert.equal(empty.images.length, 0, 'an empty figure shows nothing');
    const closed = await cell('import matplotlib.pyplot as plt\nlen(plt.get_fignums())');
    assert.match(closed.text, /Out\[\d+\]: 0/, 'figures are closed after they are shown');
  });

  it('%config InlineBackend.figure_format: svg, retina, back to png', async () => {
    const cell = notebook('mpl-formats');
    const svg = await cell("%config InlineBackend.figure_format = 'svg'\nimport matplotlib.pyplot as plt\nplt.plot([1, 2])");
    assert.equal(svg.status, 'ok', svg.text);
    const svgOut = rich(svg).find((r) => r.data['image/svg+xml'] !== undefined);
    assert.ok(svgOut, 'an image/svg+xml output');
    assert.match(mimeText(svgOut.data['image/svg+xml']), /<svg[\s\S]*<\/svg>/);
    assert.equal(svg.images.length, 0);
    assert.match(svg.text, /SVG image, shown to the user/);
    const retina = await cell("%config InlineBackend.figure_format = 'retina'\nplt.figure(figsize=(4, 3)); plt.plot([1, 2])");
    assert.equal(retina.images.length, 1);
    const png = Buffer.from(retina.images[0].data, 'base64');
    const width = png.readUInt32BE(16);
    const figure = rich(retina).find((r) => r.data['image/png'] !== undefined);
    const meta = (figure?.metadata['image/png'] ?? {}) as { width?: number };
    assert.ok(meta.width !== undefined && width >= 1.9 * meta.width, `retina: a ${width}px PNG shown at ${meta.width}px`);
    const back = await cell("%config InlineBackend.figure_format = 'png'\nplt.plot([1, 2])");
    assert.equal(back.images.length, 1);
    assert.equal(rich(back).some((r) => r.data['image/svg+xml'] !== undefined), false);
  });

  it('display() and IPython.display objects: the full bundle for people, readable text for the model, JavaScript never run', async () => {
    const cell = notebook('display');
    const o = await cell(`from IPython.display import display, HTML, Markdown, Latex, JSON, SVG, Javascript, Image
import matplotlib.pyplot as plt
plt.figure(figsize=(1, 1)); plt.plot([1]); plt.savefig("dot.png"); plt.close("all")
display(HTML("<table><tr><th>service</th><th>p1</th></tr><tr><td>api</td><td>3</td></tr></table>"))
display(Markdown("## Findings\\n*api* leads"))
display(Latex(r"$\\sigma^2 = 4$"))
display(JSON({"service": "api", "p1": 3}))
display(SVG('<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><rect width="10" height="10"/></svg>'))
display(Javascript("document.title = 'pwned'"))
display(Image(filename="dot.png"))`);
    assert.equal(o.status, 'ok', o.text);
    const mimes = rich(o).map((r) => Object.keys(r.data).filter((k) => k !== 'text/plain').join('+'));
    assert.deepEqual(mimes, ['text/html', 'text/markdown', 'text/latex', 'application/json', 'image/svg+xml', 'application/javascript', 'image/png']);
    assert.match(o.text, /service \| p1\napi \| 3/, 'HTML as text for the model');
    assert.match(o.text, /## Findings/);
    assert.match(o.text, /\\sigma\^2 = 4/);
    assert.match(o.text, /"p1": 3/);
    assert.match(o.text, /JavaScript output, shown as code and never run\]\ndocument\.title = 'pwned'/);
    assert.doesNotMatch(o.text, /IPython\.core\.display\.\w+ object/, 'no default reprs in the model text');
    assert.equal(o.images.length, 1, 'the PNG Image is attached');
  });

  it('rich reprs: _repr_html_, _repr_markdown_, _repr_latex_, _repr_svg_, _repr_png_, _repr_json_, _repr_mimebundle_, pandas Styler', async () => {
    const cell = notebook('reprs');
    await cell(`import base64, io
import matplotlib.pyplot as plt
buf = io.BytesIO(); plt.figure(figsize=(1, 1)); plt.savefig(buf, format="png"); plt.close("all")
PNG_BYTES = buf.getvalue()
class Html:
    def _repr_html_(self): return "<b>html repr</b>"
class Md:
    def _repr_markdown_(self): return "**markdown repr**"
class Tex:
    def _repr_latex_(self): return r"$\\alpha$"
class Svg:
    def _repr_svg_(self): return '<svg xmlns="http://www.w3.org/2000/svg"/>'
class Png:
    def _repr_png_(self): return PNG_BYTES
class Js:
    def _repr_json_(self): return {"k": [1, 2]}
class Bundle:
    def _repr_mimebundle_(self, include=None, exclude=None):
        return {"text/plain": "bundle plain", "text/html": "<i>bundle html</i>"}`);
    const expect: Array<[string, string, RegExp]> = [
      ['Html()', 'text/html', /html repr/], ['Md()', 'text/markdown', /\*\*markdown repr\*\*/], ['Tex()', 'text/latex', /\\alpha/],
      ['Svg()', 'image/svg+xml', /SVG image/], ['Png()', 'image/png', /image 1/], ['Js()', 'application/json', /"k"/], ['Bundle()', 'text/html', /bundle plain/],
    ];
    for (const [expr, mime, text] of expect) {
      const o = await cell(expr);
      assert.equal(o.status, 'ok', o.text);
      const result = rich(o).find((r) => r.output_type === 'execute_result');
      assert.ok(result?.data[mime] !== undefined, `${expr} gives ${mime}: ${JSON.stringify(result?.data).slice(0, 200)}`);
      assert.match(o.text, text, `${expr}: ${o.text}`);
    }
    const styler = await cell('import pandas as pd\ndf = pd.DataFrame({"service": ["api", "web"], "p1": [3, 1]})\ndf.style.highlight_max(subset=["p1"]).format({"p1": "{:.1f}"})');
    assert.equal(styler.status, 'ok', styler.text);
    assert.match(mimeText(rich(styler)[0].data['text/html']), /<table/);
    assert.match(styler.text, /service \| p1/);
    assert.match(styler.text, /api \| 3\.0/);
  });

  it('magics: %timeit, %%time, %%writefile, %run, %who, %load_ext, ?/?? help', async () => {
    const cell = notebook('magics');
    const timeit = await cell('%timeit -n 20 -r 2 sum(range(1000))');
    assert.match(streams(timeit, 'stdout'), /per loop \(mean ± std\. dev\. of 2 runs, 20 loops each\)/);
    const time = await cell('%%time\ntotal = sum(range(100000))');
    assert.match(streams(time, 'stdout'), /Wall time:/);
    const written = await cell('%%writefile report_helper.py\ndef double(v):\n    return 2 * v\nprint("ran as a script:", double(21))');
    assert.match(written.text, /Writing report_helper\.py/);
    assert.deepEqual(written.files.map((f) => f.path), ['report_helper.py']);
    const run = await cell('%run report_helper.py');
    assert.match(streams(run, 'stdout'), /ran as a script: 42/);
    const after = await cell('double(5)');
    assert.match(after.text, /Out\[\d+\]: 10/, '%run puts its names in the namespace');
    const who = await cell('%who');
    assert.match(streams(who, 'stdout'), /double\s.*total/);
    const ext = await cell('%load_ext autoreload\n%autoreload 2\nprint("loaded")');
    assert.equal(ext.status, 'ok', ext.text);
    const help = await cell('len?');
    assert.match(streams(help, 'stdout'), /Return the number of items in a container/);
    const source = await cell('double??');
    assert.match(streams(source, 'stdout'), /return 2 \* v/);
  });

  it('progress output with \\r (tqdm) is collapsed as Jupyter shows it', async () => {
    const cell = notebook('progress');
    const bar = await cell('from tqdm import tqdm\nimport time\nfor i in tqdm(range(30)):\n    time.sleep(0.01)');
    assert.equal(bar.status, 'ok', bar.text);
    const err = streams(bar, 'stderr');
    assert.match(err, /100%.*30\/30/);
    assert.doesNotMatch(err, /\r/);
    assert.doesNotMatch(err, / 0%\|/, 'earlier states of the bar are overwritten');
    const manual = await cell('for i in range(101):\n    print(f"\\rdone {i}%", end="")\nprint()\nprint("next line")');
    assert.equal(streams(manual, 'stdout'), 'done 100%\nnext line\n');
    assert.equal(manual.text, 'done 100%\nnext line');
  });

  it('clear_output(), display handles, modules next to the notebook, stdout/stderr in write order', async () => {
    const cell = notebook('clear-update');
    const cleared = await cell('from IPython.display import clear_output, display\nfor epoch in range(5):\n    clear_output(wait=True)\n    print(f"epoch {epoch}")');
    assert.equal(streams(cleared, 'stdout'), 'epoch 4\n', 'clear_output(wait=True) leaves the last state');
    const now = await cell('print("gone")\nclear_output()\ndisplay("kept")');
    assert.deepEqual(now.outputs.map((o) => o.output_type), ['display_data']);
    const handle = await cell('h = display("step 1 of 2", display_id=True)\nprint("between")\nh.update("step 2 of 2")');
    assert.deepEqual(rich(handle).map((r) => mimeText(r.data['text/plain'])), ["'step 2 of 2'"], 'update() replaces the handle\'s output in place');
    assert.equal(handle.outputs[0].output_type, 'display_data');
    const module = await cell('%%writefile incident_tools.py\ndef severity(p): return "P" + str(p)');
    assert.equal(module.status, 'ok', module.text);
    const imported = await cell('import incident_tools\nincident_tools.severity(1)');
    assert.match(imported.text, /Out\[\d+\]: 'P1'/, `a module in /mnt/data is importable, as next to a notebook: ${imported.text}`);
    for (let i = 0; i < 3; i++) {
      const ordered = await cell('import sys\nfor i in range(3):\n    sys.stderr.write(f"\\rwork {i}"); sys.stderr.flush()\nsys.stderr.write("\\n")\nprint("total", 3)\nprint("warn", file=sys.stderr)');
      assert.deepEqual(ordered.outputs.map((o) => o.output_type === 'stream' ? `${o.name}:${o.text}` : o.output_type), ['stderr:work 2\n', 'stdout:total 3\n', 'stderr:warn\n']);
    }
  });

  it('input(), ipywidgets, !cmd, %%bash, %sx and %pip end in a clear error that says what to do', async () => {
    const cell = notebook('refusals');
    const input = await cell('name = input("Service? ")');
    assert.equal(input.status, 'error');
    assert.match(input.text, /StdinNotImplementedError: input\(\) waits for someone to type an answer.*Set the value in the code instead/s);
    const widgets = await cell('import ipywidgets as w\nw.IntSlider()');
    assert.equal(widgets.status, 'error');
    assert.match(widgets.text, /ipywidgets needs a live notebook frontend/);
    for (const code of ['!ls -la', 'files = !ls', '%%bash\necho hi', '%sx ls', '%ls']) {
      const o = await cell(code);
      assert.equal(o.status, 'error', `${code}: ${o.text}`);
      assert.match(o.text, /UsageError: .*cannot start processes.*runShellCommand tool/, `${code}: ${o.text}`);
    }
    const pip = await cell('%pip install duckdb');
    assert.equal(pip.status, 'error');
    assert.match(pip.text, /UsageError: %pip install duckdb: Packages cannot be installed.*no network/);
    const alive = await cell('print("kernel alive")');
    assert.match(alive.text, /kernel alive/);
  });
});
