// Issue 15, interactive charts: @interpreter runs plotly.express code whose fig.show() sends an
// `application/vnd.plotly.v1+json` bundle; the output panel draws it with plotly.js (the strict
// bundle, loaded on demand under the panel's nonce CSP). Checked: the figure is a live plotly
// chart (svg.main-svg), hovering a point adds a hover label (the DOM changes), no CSP violation or
// plotly failure is reported from the panel, and the model was told the truth (no picture of it).
import { BrowserWatch, assert, log, sleep, waitFor } from './lib.mjs';

const PYTHON_TOOL = 'codeInterpreter_executePythonCode';
export const PLOTLY_CODE = ['import plotly.express as px', 'fig = px.scatter(x=[1,2,3], y=[4,1,6])', 'fig.show()', 'print("E2E_PLOTLY_DONE")'].join('\n');

/** The scripted model's scenario (fixtures/scripted-model reads it from scenarios.json). */
export function plotlyScenario() {
  return {
    name: 'plotly',
    match: '\\bplotly figure\\b',
    steps: [{ tool: PYTHON_TOOL, input: { pythonCode: PLOTLY_CODE, timeoutSeconds: 120 } }],
    answer: { prefix: 'E2E_ANSWER plotly', echo: 'Plotly chart|E2E_PLOTLY_DONE' },
  };
}

/** The panel's frames (the webview's outer index.html and the page itself). */
const PANEL_FRAME = /vscode-cdn\.net|\/webview\/browser\/pre\/|\/dist\/webview\.js/;

export async function checkPlotly({ wb, askInNewChat, transcript, approvals }) {
  const page = wb.page;
  // The panel first, so its frame is watched before the figure reaches it.
  await wb.runCommand('Code Interpreter: Open Output Panel');
  const watch = new BrowserWatch(page).start();
  await watch.arm();
  try {
    await askInNewChat('@interpreter draw a plotly figure of three points');
    await wb.waitForResponse(/E2E_ANSWER plotly/, { timeoutMs: 180_000, onApprove: (t) => approvals.push(t) });

    // What the model got: the chart named in text, and no picture claimed or attached (no kaleido in the image).
    const handed = transcript().filter((t) => t.scenario === 'plotly' && t.results && t.results.length).pop();
    assert(handed, 'the scripted model got no tool result for the plotly code');
    const result = handed.results[0];
    assert(/E2E_PLOTLY_DONE/.test(result.text), `the plotly code did not finish: ${result.text.slice(0, 800)}`);
    assert(/interactive Plotly chart, shown to the user; not attached here/.test(result.text), `the tool result does not name the Plotly chart: ${result.text.slice(0, 800)}`);
    assert(result.images.length === 0, `the model was handed image parts for a Plotly figure: ${JSON.stringify(result.images)}`);

    await wb.runCommand('Code Interpreter: Open Output Panel');
    const frame = await waitFor('the output panel showing the plotly cell', async () => (await wb.framesWithText('E2E_PLOTLY_DONE'))[0] || false, { timeoutMs: 45_000, intervalMs: 1000 });
    await watch.arm();
    // plotly.js (5 MB) loads when the first figure is shown: on a busy 2-core machine, seconds.
    const started = Date.now();
    await waitFor('the Plotly figure drawn in the panel (.js-plotly-plot svg.main-svg)', () =>
      frame.evaluate(() => {
        const cell = [...document.querySelectorAll('section.cell')].reverse().find((c) => (c.textContent || '').includes('E2E_PLOTLY_DONE'));
        return !!cell?.querySelector('.output-plotly .js-plotly-plot svg.main-svg .scatterlayer .point');
      }), { timeoutMs: 90_000, intervalMs: 500 });
    log(`the panel drew the Plotly figure ${((Date.now() - started) / 1000).toFixed(1)} s after it showed the cell`);

    const plot = frame.locator('section.cell', { hasText: 'E2E_PLOTLY_DONE' }).last().locator('.js-plotly-plot').first();
    await plot.scrollIntoViewIfNeeded();
    await sleep(800);
    const hoverBefore = await plot.evaluate((p) => p.querySelector('.hoverlayer')?.innerHTML ?? null);
    // The middle point (x=2, y=1): a real mouse move over it, through the workbench and the webview's frames.
    const point = plot.locator('.scatterlayer .point').nth(1);
    await point.hover({ force: true, timeout: 10_000 });
    const hover = await waitFor('a hover label over the point', () =>
      plot.evaluate((p) => {
        const layer = p.querySelector('.hoverlayer');
        const text = layer?.querySelector('.hovertext')?.textContent || '';
        return text ? { text, html: layer.innerHTML.length } : false;
      }), { timeoutMs: 10_000, intervalMs: 250 });
    log(`hover label: ${JSON.stringify(hover)} (before: ${hoverBefore === null ? 'no hover layer' : `${hoverBefore.length} characters`})`);
    assert(!hoverBefore, `the hover layer was not empty before hovering: ${String(hoverBefore).slice(0, 200)}`);
    assert(/x=2/.test(hover.text) && /y=1/.test(hover.text), `the hover label does not show the point (x=2, y=1): ${hover.text}`);
    await sleep(300);
    await wb.screenshot('20-panel-plotly-hover');

    const seen = await plot.evaluate((p) => ({
      modebar: [...p.querySelectorAll('.modebar-btn')].map((b) => b.getAttribute('data-title')),
      links: [...p.querySelectorAll('a[href], [href^="http"], [href^="javascript"]')].map((a) => a.getAttribute('href')),
      logo: !!p.querySelector('.modebar-btn--logo, [data-title*="Plotly"]'),
      paper: getComputedStyle(p.querySelector('.main-svg rect.bg') || p).fill,
    }));
    log(`plot: ${JSON.stringify(seen)}`);
    assert(!seen.logo && !seen.modebar.some((t) => /chart studio|png/i.test(t || '')), `the mode bar has the logo, an edit or a download button: ${JSON.stringify(seen.modebar)}`);
    assert(seen.links.length === 0, `the figure has links: ${seen.links.join(' | ')}`);

    // No CSP violation and no plotly failure from the panel (its frames), the whole time.
    await sleep(500);
    const reports = [
      ...watch.console.filter((m) => /Content Security Policy/.test(m.text)).map((m) => ({ text: m.text.slice(0, 300), where: m.url, from: 'console' })),
      ...(await watch.cspEvents()).map((e) => ({ text: `${e.directive} ${e.blocked} ${e.sample}`, where: e.where, from: 'event' })),
    ];
    log(`CSP reports while the figure was drawn and hovered: ${reports.length ? JSON.stringify(reports).slice(0, 2000) : 'none'}`);
    // Any frame: only the workbench's own query to the absent extension gallery (run.mjs points it at a closed port) is expected.
    const unexpected = reports.filter((r) => !/127\.0\.0\.1:9\/gallery\//.test(r.text));
    const inPanel = unexpected.filter((r) => PANEL_FRAME.test(r.where) || /plotly/i.test(r.text));
    assert(inPanel.length === 0, `CSP violations in the panel: ${JSON.stringify(inPanel).slice(0, 2000)}`);
    assert(unexpected.length === 0, `CSP violations while the figure was shown: ${JSON.stringify(unexpected).slice(0, 2000)}`);
    const failed = watch.console.filter((m) => /Plotly figure could not be drawn/.test(m.text));
    assert(failed.length === 0, `the panel reports: ${failed.map((m) => m.text).join(' | ')}`);
    assert(watch.errors.length === 0 || !watch.errors.some((e) => /plotly/i.test(e)), `page errors: ${watch.errors.join(' | ')}`);
  } finally {
    watch.stop();
  }
}
