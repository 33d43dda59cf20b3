// Issue 12, "Hostile output against our own UI", in the real browser: the corpus of
// test/helpers/hostile.ts runs through @interpreter (the scripted model calls the Python tool with
// it, then with 10,000 outputs in one cell), and the output panel, the chat response and the
// sessions view are checked while every frame is watched: no injected script may run (console
// marker, alert, window.__hostileRan), nothing may be requested from anywhere but code-server
// itself, CSP violations may only be of the kinds listed in EXPECTED_CSP, and the hostile file names
// must be shown as text (the literal name in the DOM, and no element made from it).
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { AssertionError, BrowserWatch, assert, log, sleep, threadHash, waitFor } from './lib.mjs';

/** test/helpers/hostile.ts as an ES module (esbuild strips its types; it imports nothing). */
export async function loadHostileCorpus(root) {
  const { transformSync } = await import('esbuild');
  const js = transformSync(readFileSync(join(root, 'test/helpers/hostile.ts'), 'utf8'), { loader: 'ts', format: 'esm' }).code;
  return import(`data:text/javascript;base64,${Buffer.from(js).toString('base64')}`);
}

const PYTHON_TOOL = 'codeInterpreter_executePythonCode';

/** The scripted model's scenario (fixtures/scripted-model reads it from scenarios.json). */
export function hostileScenario(h) {
  return {
    name: 'hostile',
    match: '\\bhostile output corpus\\b',
    steps: [
      { tool: PYTHON_TOOL, input: { pythonCode: h.hostileCode(), timeoutSeconds: 120 } },
      { tool: PYTHON_TOOL, input: { pythonCode: h.manyOutputsCode(), timeoutSeconds: 300 } },
    ],
    // A model that repeats what its tools said: the line naming the files it created (markdown the
    // chat renders — it must not become a command link either).
    answer: { prefix: 'E2E_ANSWER hostile', echo: '^Files created or changed' },
  };
}

/**
 * CSP violations this scenario may cause, and why each is expected; everything else fails. `where`
 * is the script that met the markup (Chromium's console report) or the frame (the event).
 *
 * Chromium checks a page's CSP when the HTML parser meets an on* or style attribute or a <base>,
 * even in an inert document that runs nothing (DOMParser, <template>): so the panel's sanitiser
 * — which parses each HTML output inertly before rebuilding it from an allow-list — is reported for
 * each one, and so is the workbench when it parses the tool result. Nothing of it is applied.
 */
const PANEL = /\/dist\/webview\.js$|\/webview\/browser\/pre\/index\.html$/;
const WORKBENCH = /\/workbench\.js$|^https?:\/\/127\.0\.0\.1:\d+\/(\?.*)?$/;
const EXPECTED_CSP = [
  {
    directive: /^script-src(-attr)?$/,
    blocked: /^(inline event handler|inline)$/,
    where: PANEL,
    why: "on* attributes of HTML outputs, met by the panel's sanitiser's inert parse (the rebuilt output has none)",
  },
  { directive: /^style-src(-attr|-elem)?$/, blocked: /^(inline style|inline)$/, where: PANEL, why: 'style attributes and <style> of HTML outputs, in the same parse (dropped)' },
  { directive: /^base-uri$/, blocked: /^https:\/\/hostile\.invalid\/?$/, where: PANEL, why: '<base href> of an HTML output, in the same parse (dropped)' },
  {
    directive: /^script-src(-attr)?$/,
    blocked: /^(inline event handler|inline)$/,
    where: WORKBENCH,
    max: 12,
    why: "the workbench's own parse of the tool result when the response completes (3 reports, as many as the onerror attributes in the result text: the stdout line and the traceback's source and error lines; the same 3 when the model's answer repeats no file name) — blocked by the workbench CSP, and no element of it is in the chat (checked above)",
  },
  // The workbench's own: its gallery query to the closed port run.mjs configures (EXPECTED_REQUESTS).
  { directive: /^connect-src$/, blocked: /^http:\/\/127\.0\.0\.1:9\/gallery\//, where: WORKBENCH, why: 'the workbench asking the (absent) extension gallery' },
];

/** Requests that are not code-server's own but are expected, with the reason. */
const EXPECTED_REQUESTS = [
  // The workbench asks the extension gallery, which run.mjs points at a closed port (no marketplace).
  { pattern: /^http:\/\/127\.0\.0\.1:9\/(gallery|item)(\/|$)/, why: 'the extension gallery run.mjs configures (nothing listens)' },
  // The panel's own stylesheets and script, which VS Code's webview service worker serves from the
  // extension's folder (localResourceRoots: dist/ and media/) — never the network.
  {
    pattern: /^https:\/\/[a-z0-9+-]+\.vscode-resource\.vscode-cdn\.net\/.*\/extensions\/code-interpreter\.code-interpreter-vscode-[^/]+\/(dist|media)\/[\w./-]+(\?[\w=&-]*)?$/,
    why: "the panel's own dist/ and media/ files, served by the webview's service worker",
  },
];

/** Names of elements that no output may turn into a live element of the panel. */
const FORBIDDEN_TAGS = ['script', 'iframe', 'frame', 'object', 'embed', 'form', 'input', 'button', 'textarea', 'select', 'meta', 'base', 'link', 'style', 'video', 'audio', 'source', 'svg', 'math', 'template', 'noscript', 'marquee'];

export async function checkHostileOutput({ wb, control, hostile: h, askInNewChat, auditEntries, transcript, approvals, serverUrl, workspace }) {
  const page = wb.page;
  const origin = new URL(serverUrl).origin;
  const names = h.HOSTILE_NAMES.map((n) => n.name);
  const topNames = [...new Set(names.map((n) => n.split('/')[0]))];
  const started = Date.now();

  // The panel first, so its frame is watched before any hostile output reaches it.
  await wb.runCommand('Code Interpreter: Open Output Panel');
  const panelFrame = async () => {
    for (const f of page.frames()) {
      if (await f.evaluate(() => !!document.getElementById('cells')).catch(() => false)) return f;
    }
    return false;
  };
  let panel = await waitFor('the output panel webview', panelFrame, { timeoutMs: 30_000, intervalMs: 500 });
  const watch = new BrowserWatch(page).start();
  await watch.arm();

  try {
    // ---- the run: two Python calls through @interpreter (each confirmed with the code shown)
    await askInNewChat('@interpreter run the hostile output corpus');
    // The run takes ~35 s here under runc and ~80–125 s under gVisor, where the 10,000 outputs take
    // ~20 s in the sandbox (1 s under runc) and the workbench's catching up with them longer. 240 s
    // is the bound: a panel that laid itself out once per output froze the workbench for many minutes.
    await wb.waitForResponse(/E2E_ANSWER hostile/, { timeoutMs: 240_000, onApprove: (t) => approvals.push(t) });
    const ran = Date.now();
    log(`hostile corpus ran through @interpreter in ${((ran - started) / 1000).toFixed(1)} s`);
    const entry = auditEntries().filter((a) => a.tool === 'executePythonCode' && /hostile-output corpus/.test(a.code || '')).pop();
    assert(entry, 'the audit log has no entry for the hostile corpus cell');
    const thread = entry.thread;
    const hash = threadHash(thread);
    // What the model was handed: the text, and image parts only for real pictures (the "PNG" that is
    // markdown would be shown broken in the chat, and a model's API may refuse the request over it).
    const handed = transcript().filter((t) => t.scenario === 'hostile' && t.results && t.results.length).pop();
    assert(handed, 'the scripted model got no tool result for the corpus');
    const parts = handed.results[0].images;
    assert(parts.every((i) => i.png), `the model was handed an image part that is no PNG: ${JSON.stringify(parts)}`);
    assert(/\[1 image output was not valid image data and is not attached\]/.test(handed.results[0].text), 'the tool result does not say that an image was left out');

    // ---- the chat: the participant's markdown made nothing of the output
    await sleep(1000);
    const response = wb.responses().last();
    // The tool steps fold into "Completed N steps" once the answer is in: unfold them (the files' links are there).
    const steps = response.getByText(/^Completed \d+ steps?/).first();
    if (await steps.isVisible().catch(() => false)) {
      await steps.click().catch(() => {});
      await sleep(1000);
    }
    // The chat list scrolls itself (no DOM scrolling): wheel it until the file links are in view.
    const firstAnchor = response.locator('.chat-inline-anchor-widget').first();
    const list = await response.boundingBox();
    for (let i = 0; i < 20 && list; i++) {
      const box = await firstAnchor.boundingBox().catch(() => null);
      if (!box || (box.y > 120 && box.y < 500)) break;
      await page.mouse.move(list.x + list.width / 2, Math.max(list.y, 200) + 100);
      await page.mouse.wheel(0, box.y <= 120 ? -150 : 150);
      await sleep(150);
    }
    await sleep(300);
    await wb.screenshot('15-chat-hostile');
    const chat = await response.evaluate(
      (root, { labelSource, names }) => {
        const label = new RegExp(labelSource);
        const inCode = (e) => !!e.closest('pre, code, .monaco-editor, .interactive-result-code-block');
        const links = [...root.querySelectorAll('a, [data-href], [role="link"]')].map((a) => ({
          href: a.getAttribute('href') || '',
          dataHref: a.getAttribute('data-href') || '',
          text: (a.textContent || '').trim().slice(0, 200),
          anchor: !!a.closest('.chat-inline-anchor-widget') || a.classList.contains('chat-inline-anchor-widget'),
        }));
        // Markup made from corpus text outside code: a bold, a link, an image or a heading.
        const marked = [...root.querySelectorAll('strong, b, em, i:not(.codicon), a, img, h1, h2, h3, h4')]
          .filter((e) => !inCode(e) && label.test(`${e.textContent || ''} ${e.getAttribute('alt') || ''}`))
          .map((e) => `<${e.tagName.toLowerCase()}> ${(e.textContent || e.getAttribute('alt') || '').slice(0, 80)}`);
        const images = [...root.querySelectorAll('img')].map((i) => i.src || i.getAttribute('src') || '').map((src) => (src.startsWith('data:') ? src.slice(0, 40) : src));
        const handlers = [...root.querySelectorAll('*')].flatMap((e) => [...e.attributes].filter((a) => /^on/i.test(a.name)).map((a) => `${e.tagName.toLowerCase()}[${a.name}]`));
        const live = [...root.querySelectorAll('script, iframe, object, embed, form, base, meta')].map((e) => e.tagName.toLowerCase());
        const anchors = [...root.querySelectorAll('.chat-inline-anchor-widget')].map((a) => ({ text: a.textContent || '', href: a.getAttribute('href') || '', data: a.getAttribute('data-href') || '' }));
        // Markup made from a file name in what the participant wrote (the model's answer, which
        // repeats the names as markdown of its own, is the chat's to render): an emphasis, a link…
        const fromNames = [...root.querySelectorAll('em, strong, b, i:not(.codicon), del, s, a, img, h1, h2, h3, h4')]
          .filter((e) => !e.closest('.chat-inline-anchor-widget, pre, code') && !(e.closest('.rendered-markdown')?.textContent || '').includes('E2E_ANSWER'))
          .map((e) => (e.textContent || e.getAttribute('alt') || '').trim())
          .filter((t) => t.length >= 2 && names.some((n) => n.includes(t)));
        return { links, marked, images, handlers, live, anchors, fromNames, text: root.innerText };
      },
      { labelSource: h.LABEL.source, names },
    );
    writeFileSync(join(wb.artifacts, 'hostile-chat.json'), JSON.stringify({ ...chat, text: chat.text.slice(0, 20_000) }, null, 1));
    log(`chat: ${chat.links.length} links (${chat.links.filter((l) => l.anchor).length} file anchors), ${chat.images.length} images`);
    const ours = (href) => href.startsWith('command:codeInterpreter.openOutputPanel');
    const badLinks = chat.links.filter((l) => {
      const target = `${l.href} ${l.dataHref}`;
      if (/(^|\s)javascript:/i.test(target)) return true;
      if (/(^|\s)command:/i.test(target) && !ours(l.href || l.dataHref)) return true;
      // A link whose text is a corpus label and is not our file anchor: output text made a link.
      return h.LABEL.test(l.text) && !l.anchor;
    });
    assert(badLinks.length === 0, `the chat response has links made from the corpus: ${JSON.stringify(badLinks).slice(0, 1500)}`);
    assert(chat.marked.length === 0, `the chat response turned output text into markup: ${chat.marked.join(' | ').slice(0, 1500)}`);
    assert(chat.fromNames.length === 0, `the participant's file links turned file names into markup: ${JSON.stringify(chat.fromNames).slice(0, 1500)}`);
    // Pictures are data: URLs (a chart) or the workbench's own (the participant's icon), never the corpus's.
    // (An <img> without src is what the chat makes of a markdown image it refuses: it loads nothing.)
    const foreignImages = chat.images.filter((src) => !(src === '' || src.startsWith('data:image/') || (src.startsWith(`${origin}/`) && !/\/(x|relative\.png)$/.test(src))));
    assert(foreignImages.length === 0, `the chat response has an image from the corpus or elsewhere: ${foreignImages.join(' | ')}`);
    assert(chat.handlers.length === 0 && chat.live.length === 0, `the chat response has handlers or live elements: ${[...chat.handlers, ...chat.live].join(', ')}`);
    // Each file the cell made is a link showing its name as text (the chat labels a link with its
    // URI's base name); a name that is not UTF-8 cannot be a URI and is written as code, its byte as U+FFFD.
    const anchorTexts = chat.anchors.map((a) => a.text);
    const wellFormed = (n) => !/[\ud800-\udfff]/.test(n);
    const missingAnchors = names.filter((n) => (wellFormed(n) ? !anchorTexts.includes(n.split('/').pop()) : !chat.text.includes(n.replace(/[\ud800-\udfff]/g, '\ufffd'))));
    assert(missingAnchors.length === 0, `the chat response does not show ${JSON.stringify(missingAnchors)} as a file link's text (file links: ${JSON.stringify(anchorTexts).slice(0, 1500)})`);

    // ---- the output panel: everything shown, nothing live
    panel = (await panelFrame()) || panel;
    // plotly.js (5 MB) is loaded when the first figure is shown: the hostile one is drawn when it has.
    await waitFor('the hostile Plotly figure to be drawn', () => panel.evaluate(() => !!document.querySelector('.output-plotly .js-plotly-plot svg.main-svg')), { timeoutMs: 90_000, intervalMs: 1000 });
    await waitFor(`the panel to show the last of the ${h.MANY_OUTPUTS} outputs`, () => panel.evaluate((last) => document.body.innerText.includes(last), `H-many-${h.MANY_OUTPUTS - 1}`), { timeoutMs: 120_000, intervalMs: 1000 });
    const shown = Date.now();
    log(`the panel showed all ${h.MANY_OUTPUTS} outputs ${((shown - ran) / 1000).toFixed(1)} s after the answer`);
    const panelSeen = await panel.evaluate(
      ({ forbidden, visible, ansiVisible, stdout, names, benign }) => {
        const cells = [...document.querySelectorAll('section.cell')];
        const cell = cells.find((c) => (c.querySelector('.cell-code')?.textContent || '').includes('hostile-output corpus'));
        const manyCell = cells.find((c) => (c.querySelector('.cell-code')?.textContent || '').includes('H-many-'));
        if (!cell || !manyCell) return { missing: `cells: corpus ${!!cell}, many ${!!manyCell}` };
        const out = cell.querySelector('.cell-outputs');
        const text = out.textContent || '';
        // plotly.js's drawing of the Plotly output (an <svg> it builds, styled through the CSSOM) is
        // checked on its own below; everything else is made by the panel from output content.
        const all = [...document.querySelectorAll('#cells *')].filter((e) => !e.closest('.js-plotly-plot'));
        const live = all.filter((e) => forbidden.includes(e.tagName.toLowerCase())).map((e) => e.tagName.toLowerCase());
        const plot = out.querySelector('.output-plotly .js-plotly-plot');
        const plotEls = plot ? [...plot.querySelectorAll('*')] : [];
        const plotly = plot
          ? {
              drawn: !!plot.querySelector('svg.main-svg .scatterlayer .point'),
              title: (plot.querySelector('.gtitle')?.textContent || '').trim(),
              text: plot.textContent || '',
              // What plotly would make of the figure's markup: links, pictures, foreign content, handlers.
              live: plotEls.filter((e) => ['a', 'image', 'img', 'foreignobject', 'script', 'iframe', 'object', 'embed', 'style', 'link', 'use'].includes(e.tagName.toLowerCase())).map((e) => e.tagName.toLowerCase()),
              attrs: plotEls.flatMap((e) =>
                [...e.attributes]
                  .filter((a) => /^on/i.test(a.name) || ['href', 'xlink:href', 'src', 'srcdoc', 'target', 'action', 'formaction'].includes(a.name) || /url\(\s*['"]?(?!#)/i.test(a.value))
                  .map((a) => `${e.tagName.toLowerCase()}[${a.name}=${a.value.slice(0, 60)}]`),
              ),
            }
          : null;
        const attrs = all.flatMap((e) =>
          [...e.attributes]
            .filter((a) => /^on/i.test(a.name) || ['href', 'style', 'srcdoc', 'srcset', 'action', 'formaction', 'poster', 'background', 'xlink:href'].includes(a.name) || (a.name === 'src' && !a.value.startsWith('data:image/')))
            .map((a) => `${e.tagName.toLowerCase()}[${a.name}=${a.value.slice(0, 60)}]`),
        );
        const fileLinks = [...cell.querySelectorAll('.cell-files .file-link')];
        const shape = (e) => [...e.querySelectorAll('*')].map((x) => x.tagName.toLowerCase()).join(',');
        const benignLink = fileLinks.find((a) => a.dataset.path === benign);
        const nameRows = names.map((n) => {
          const a = fileLinks.find((x) => x.dataset.path === n);
          return { name: n, found: !!a, text: a ? a.childNodes[1]?.textContent === ` ${n}` : false, shape: a ? shape(a) : '', benign: benignLink ? shape(benignLink) : '(no benign link)' };
        });
        const svg = [...out.querySelectorAll('img')].find((i) => (i.getAttribute('src') || '').startsWith('data:image/svg+xml'));
        const longPre = [...out.querySelectorAll('pre')].find((p) => (p.textContent || '').includes('H-long-line-start'));
        const gap = /\[\.\.\. ([\d,]+) bytes not shown \.\.\.\]/.exec(text);
        const mdLinks = [...out.querySelectorAll('.output-markdown a')].map((a) => ({ text: a.textContent, data: a.getAttribute('data-href') || '', role: a.getAttribute('role') || '', cls: a.className }));
        return {
          live,
          attrs,
          visibleMissing: visible.filter((v) => !text.includes(v)),
          ansiMissing: ansiVisible.filter((v) => !text.includes(v)),
          escapesLeft: /[\x1b\x9b]|\]8;;|hostile\.invalid\/osc8|HOSTILE-RAN-title/.test(text),
          stdoutAsText: text.includes(stdout),
          heading: !!out.querySelector('.output-markdown h2'),
          mdLinks,
          errorAsText: (cell.querySelector('.error-title')?.textContent || '').includes("<img src=x onerror=alert('HOSTILE-RAN-error')>"),
          svgPicture: svg ? { complete: svg.complete, width: svg.naturalWidth } : null,
          // The kernel forwards a stream's head and tail with a marker between (the whole line is in the saved .outputs file).
          longLine: longPre
            ? {
                headChars: longPre.textContent.length,
                omitted: gap ? Number(gap[1].replace(/,/g, '')) : 0,
                tailChars: ([...out.querySelectorAll('pre')].find((p) => (p.textContent || '').includes('x H-long-line-end'))?.textContent || '').length,
              }
            : null,
          nameRows,
          manyOutputs: manyCell.querySelectorAll('.cell-outputs > .output-rich').length,
          manyBold: manyCell.querySelectorAll('.cell-outputs .output-html b').length,
          plotly,
          // In the outputs (the cell's code, shown above them, has the figure's JSON).
          configLink: text.includes('H-plotly-config-link'),
          ran: window.__hostileRan ?? null,
          title: document.title,
        };
      },
      { forbidden: FORBIDDEN_TAGS, visible: h.RICH_ITEMS.filter((i) => i.visible).map((i) => i.visible), ansiVisible: h.ANSI_VISIBLE, stdout: h.STDOUT_LINE, names, benign: h.BENIGN_NAME },
    );
    writeFileSync(join(wb.artifacts, 'hostile-panel.json'), JSON.stringify(panelSeen, null, 1));
    log(`panel: ${JSON.stringify({ ...panelSeen, nameRows: undefined, attrs: panelSeen.attrs?.slice(0, 10) }).slice(0, 2000)}`);
    assert(!panelSeen.missing, `the panel does not show the hostile cells (${panelSeen.missing})`);
    assert(panelSeen.ran === null, `an injected script ran in the panel: window.__hostileRan = ${JSON.stringify(panelSeen.ran)}`);
    assert(panelSeen.live.length === 0, `the panel made live elements from outputs: ${[...new Set(panelSeen.live)].join(', ')}`);
    assert(panelSeen.attrs.length === 0, `the panel kept dangerous attributes from outputs: ${[...new Set(panelSeen.attrs)].slice(0, 20).join(' | ')}`);
    assert(panelSeen.visibleMissing.length === 0, `the panel does not show the text of ${panelSeen.visibleMissing.join(', ')}`);
    assert(panelSeen.ansiMissing.length === 0 && !panelSeen.escapesLeft, `ANSI output is not shown as clean text (missing: ${panelSeen.ansiMissing.join(', ')}; escapes or OSC targets left: ${panelSeen.escapesLeft})`);
    assert(panelSeen.stdoutAsText, 'the stdout line with markup is not shown literally');
    assert(panelSeen.heading, 'the markdown output is not rendered (no heading)');
    assert(panelSeen.errorAsText, 'the error whose message is HTML is not shown as text');
    assert(panelSeen.svgPicture && panelSeen.svgPicture.complete && panelSeen.svgPicture.width === 240, `the SVG output is not shown as a picture: ${JSON.stringify(panelSeen.svgPicture)}`);
    const long = panelSeen.longLine;
    assert(long && long.headChars > 10_000 && long.tailChars > 10_000 && long.headChars + long.omitted + long.tailChars > h.LONG_LINE_BYTES, `the 1 MiB line is not shown as its head, a "bytes not shown" marker and its tail: ${JSON.stringify(long)}`);
    assert(panelSeen.manyOutputs === h.MANY_OUTPUTS && panelSeen.manyBold === h.MANY_OUTPUTS, `the many-outputs cell shows ${panelSeen.manyOutputs} outputs (${panelSeen.manyBold} sanitised), not ${h.MANY_OUTPUTS}`);
    assert(panelSeen.title !== `${h.MARKER}-title` && !(await page.title()).includes(h.MARKER), 'an OSC escape set a window title');
    const badNames = panelSeen.nameRows.filter((r) => !r.found || !r.text || r.shape !== r.benign);
    assert(badNames.length === 0, `hostile file names in the panel are not plain text like ${h.BENIGN_NAME}: ${JSON.stringify(badNames).slice(0, 1500)}`);
    // A markdown link is the panel's own: no href for VS Code's webview host to follow.
    // The Plotly figure: drawn, its links' text kept and the links gone, nothing loaded, our config.
    const plotly = panelSeen.plotly;
    assert(plotly && plotly.drawn, `the hostile Plotly figure is not drawn in the panel: ${JSON.stringify(plotly)}`);
    assert(/H-plotly-title H-plotly-jslink H-plotly-httplink/.test(plotly.title), `the Plotly title does not show its links' text as text: ${plotly.title}`);
    // (plotly draws a tag it does not know, like the <img onerror> point text, as text or not at all.)
    assert(['H-plotly-point', 'H-plotly-point-js', 'H-plotly-name', 'H-plotly-annotation'].every((t) => plotly.text.includes(t)), `the Plotly figure's link texts are not shown as text: ${plotly.text.slice(0, 500)}`);
    assert(plotly.live.length === 0 && plotly.attrs.length === 0, `plotly made links, pictures or handlers of the figure: ${[...plotly.live, ...plotly.attrs].slice(0, 20).join(' | ')}`);
    assert(!panelSeen.configLink, "the figure's own config was used (its link text is shown)");
    const httpLink = panelSeen.mdLinks.find((l) => l.text === 'H-md-httplink');
    assert(httpLink && httpLink.data === `${h.REMOTE}/md-link` && httpLink.cls.includes('link-inert'), `the markdown http link is not an inert link: ${JSON.stringify(panelSeen.mdLinks)}`);

    await panel.evaluate(() => document.querySelector('section.cell .output-markdown')?.scrollIntoView({ block: 'start' }));
    await sleep(500);
    await wb.screenshot('16-panel-hostile');
    await panel.evaluate(() => document.querySelector('section.cell .cell-files')?.scrollIntoView({ block: 'end' }));
    await sleep(500);
    await wb.screenshot('16b-panel-hostile-names');
    // Clicking the output's links does nothing: no "open external website" dialog, no new page.
    for (const text of ['H-md-httplink', 'H-md-cmdlink']) {
      const link = panel.locator('.output-markdown a', { hasText: text }).first();
      if ((await link.count()) === 0) continue;
      await link.click({ timeout: 5_000 });
      await sleep(1500);
      const opened = [...watch.popups, ...watch.requests.filter((r) => /hostile\.invalid/.test(r.url)).map((r) => r.url)];
      assert(opened.length === 0, `clicking the output's link "${text}" in the panel opened ${[...new Set(opened)].join(', ')}`);
      const dialog = await page.locator('.monaco-dialog-box').first().isVisible().catch(() => false);
      if (dialog) {
        const what = await page.locator('.monaco-dialog-box').first().innerText().catch(() => '');
        await wb.screenshot('fail-hostile-link-dialog');
        await page.keyboard.press('Escape');
        throw new AssertionError(`clicking the output's link "${text}" in the panel opened a dialog: ${what.replace(/\s+/g, ' ').slice(0, 300)}`);
      }
    }
    // The hostile file link opens exactly that file (the panel → host message → sandbox-session: URI).
    const target = names[0];
    await panel.locator('.cell-files .file-link', { hasText: target }).first().click({ timeout: 5_000 });
    const opened = await waitFor(`${target} to open in an editor`, async () => {
      const e = await control.send({ op: 'editors' });
      return e.active && e.active.uri.startsWith(`sandbox-session://${hash}/`) ? e : false;
    }, { timeoutMs: 20_000, intervalMs: 1000 });
    assert(opened.active.text === `content of ${target}\n`, `the panel's link opened ${opened.active.uri} with ${JSON.stringify(opened.active.text.slice(0, 200))}`);
    await control.command('workbench.action.closeActiveEditor');

    // ---- the sessions view: the names as text, rows like a benign one
    await control.command('workbench.view.extension.codeInterpreter');
    await control.command('codeInterpreter.refreshFiles').catch(() => {});
    const tree = page.locator('.part.sidebar').first();
    // Labels as the tree shows them: a non-UTF-8 byte as U+FFFD (the extension's), a newline as ⏎ (the workbench's).
    const treeLabels = topNames.map((n) => n.replace(/[\ud800-\udfff]/g, '\ufffd'));
    // The tree renders only the rows in view: rows seen are kept across rounds, and the view is
    // scrolled down while names are missing (the session expanded first).
    const seen = new Map();
    const live = new Set();
    const handlers = new Set();
    let lastRows;
    let benignShape = null;
    const rowsSeen = await waitFor('the hostile names in the sessions view', async () => {
      const r = (lastRows = await tree.evaluate(
        (root, { names, benign }) => {
          const rows = [...root.querySelectorAll('.monaco-list-row')];
          const label = (row) => (row.querySelector('.label-name')?.textContent ?? '').replace(/\u23ce/g, '\n');
          const shape = (row) => [...row.querySelectorAll('.monaco-icon-label, .monaco-icon-label *')].map((x) => x.tagName.toLowerCase() + (x.classList.contains('codicon') ? '.codicon' : '')).join(',');
          const benignRow = rows.find((row) => label(row) === benign);
          // The list holding the hostile session's rows (the view to scroll).
          const ours = rows.find((row) => names.includes(label(row)) || row.textContent.includes('hostile output corpus'));
          const box = ours?.closest('.monaco-list')?.getBoundingClientRect();
          return {
            list: box ? { x: box.x, y: box.y, width: box.width, height: box.height } : null,
            benign: benignRow ? shape(benignRow) : null,
            rows: names.map((n) => {
              const row = rows.find((x) => label(x) === n);
              return { name: n, found: !!row, shape: row ? shape(row) : '', dir: row ? row.getAttribute('aria-expanded') !== null : false };
            }),
            live: [...root.querySelectorAll('img, script, iframe, a[href^="command:"], a[href^="javascript:"]')].map((e) => e.tagName.toLowerCase()),
            handlers: [...root.querySelectorAll('*')].flatMap((e) => [...e.attributes].filter((a) => /^on/i.test(a.name)).map((a) => `${e.tagName.toLowerCase()}[${a.name}]`)),
          };
        },
        { names: treeLabels, benign: h.BENIGN_NAME },
      ));
      for (const row of r.rows) if (row.found) seen.set(row.name, row);
      r.live.forEach((x) => live.add(x));
      r.handlers.forEach((x) => handlers.add(x));
      benignShape = r.benign ?? benignShape;
      if (benignShape && seen.size === treeLabels.length) {
        return { benign: benignShape, rows: treeLabels.map((n) => seen.get(n)), live: [...live], handlers: [...handlers] };
      }
      // Expand the hostile session (it is the active one; one level per round), else scroll down.
      const collapsed = tree.locator('.monaco-list-row[aria-expanded="false"]', { hasText: 'hostile output corpus' });
      if ((await collapsed.count()) > 0) await collapsed.first().click().catch(() => {});
      else {
        const list = r.list;
        if (list) {
          await page.mouse.move(list.x + list.width / 2, list.y + list.height / 2);
          await page.mouse.wheel(0, list.height / 2);
        }
      }
      return false;
    }, { timeoutMs: 30_000, intervalMs: 1000 }).catch((e) => {
      const missing = treeLabels.filter((n) => !seen.has(n));
      throw new AssertionError(`${e.message}; never seen: ${JSON.stringify(missing)}; the tree showed last: ${JSON.stringify(lastRows).slice(0, 1500)}`);
    });
    log(`sessions view: ${JSON.stringify(rowsSeen).slice(0, 1500)}`);
    // Widen the side bar for the picture (drag its sash), so the long names show.
    const bar = await page.locator('.part.sidebar').first().boundingBox();
    if (bar) {
      await page.mouse.move(bar.x + bar.width + 1, bar.y + bar.height / 2);
      await page.mouse.down();
      await page.mouse.move(bar.x + bar.width + 260, bar.y + bar.height / 2, { steps: 8 });
      await page.mouse.up();
    }
    await sleep(500);
    await wb.screenshot('17-sessions-hostile-names');
    // Rows like the benign file's: same elements (no icon, link or markup made from the name). A name
    // that is not UTF-8 has no URI: its row has the file codicon and no Open/Save/Delete actions.
    const benignRows = rowsSeen.rows.filter((r) => !r.dir && !r.name.includes('\ufffd'));
    const oddRows = benignRows.filter((r) => r.shape !== rowsSeen.benign);
    assert(oddRows.length === 0, `hostile names in the sessions view are not rendered like ${h.BENIGN_NAME} (${rowsSeen.benign}): ${JSON.stringify(oddRows).slice(0, 1500)}`);
    assert(rowsSeen.live.length === 0 && rowsSeen.handlers.length === 0, `the sessions view has live elements: ${[...rowsSeen.live, ...rowsSeen.handlers].join(', ')}`);

    // ---- a notification naming a hostile file (Save As): text, not a command link
    const saved = names[1];
    assert(/\]\(command:/.test(saved), 'the corpus has no file name shaped like a command link');
    await control.send({ op: 'command', command: 'codeInterpreter.saveFileAs', args: [{ kind: 'file', threadKey: thread, hash, entry: { path: saved, type: 'file', size: 0, mtime: '' } }] }, { wait: false, opensQuickInput: true });
    const input = page.locator('.quick-input-widget .quick-input-box input');
    await waitFor('the save dialog with the file name', async () => (await input.isVisible().catch(() => false)) && (await input.inputValue()).endsWith(saved), { timeoutMs: 20_000, intervalMs: 300 });
    await page.keyboard.press('Enter');
    const toast = page.locator('.notification-toast', { hasText: 'Saved' }).first();
    await toast.waitFor({ state: 'visible', timeout: 20_000 }).catch(() => {
      throw new AssertionError('no "Saved …" notification after saving the hostile file');
    });
    await sleep(500);
    await wb.screenshot('18-notification-hostile-name');
    const note = await toast.evaluate((t) => ({
      text: (t.querySelector('.notification-list-item-message')?.textContent || t.textContent || '').replace(/\u200b/g, ''),
      links: [...t.querySelectorAll('.notification-list-item-message a, .notification-list-item-message [role="link"]')].map((a) => `${a.textContent} → ${a.getAttribute('href') || a.getAttribute('data-href') || ''}`),
      icons: t.querySelectorAll('.notification-list-item-message .codicon').length,
    }));
    log(`notification: ${JSON.stringify(note)}`);
    assert(note.links.length === 0, `the "Saved" notification made a link of the file name: ${note.links.join(' | ')}`);
    assert(note.text.includes(saved), `the "Saved" notification does not show the name as text: ${note.text}`);
    await page.keyboard.press('Escape').catch(() => {});
    await control.command('notifications.clearAll').catch(() => {});
    const savedFile = join(workspace, saved);
    assert(readFileSync(savedFile, 'utf8') === `content of ${saved}\n`, `the saved file ${savedFile} does not hold the sandbox file's content`);

    // ---- every frame, the whole time: no marker, no dialog, no foreign request, only expected CSP reports
    await sleep(1000);
    const markers = watch.console.filter((m) => new RegExp(`^${h.MARKER}-[\\w-]+$`).test(m.text.trim()));
    assert(markers.length === 0, `injected scripts ran (console markers): ${markers.map((m) => `${m.text} in ${m.url}`).join(' | ')}`);
    assert(watch.dialogs.length === 0, `JavaScript dialogs appeared: ${JSON.stringify(watch.dialogs)}`);
    assert(watch.popups.length === 0, `new pages opened: ${watch.popups.join(', ')}`);
    const ranAnywhere = await watch.globals('__hostileRan');
    assert(ranAnywhere.length === 0, `an injected script ran in a frame: ${JSON.stringify(ranAnywhere)}`);
    const foreign = watch.requests.filter((r) => {
      if (/^(data|blob):/.test(r.url)) return false;
      if (/hostile\.invalid|HOSTILE-RAN/i.test(r.url)) return true;
      let u;
      try {
        u = new URL(r.url);
      } catch {
        return true;
      }
      if (u.origin === origin) return /\/(x|relative(\.png)?)$/.test(u.pathname); // a corpus-relative reference resolved here
      return !EXPECTED_REQUESTS.some((e) => e.pattern.test(r.url));
    });
    log(`requests while watched: ${watch.requests.length}; not to ${origin}: ${[...new Set(watch.requests.filter((r) => !r.url.startsWith(origin)).map((r) => r.url))].join(' | ') || 'none'}`);
    assert(foreign.length === 0, `requests to anything but code-server: ${[...new Set(foreign.map((r) => `${r.type} ${r.url} (from ${r.frame})`))].slice(0, 20).join(' | ')}`);
    const reports = [
      ...watch.console.map((m) => ({ ...h.parseCspConsole(m.text), where: m.url, from: 'console', time: m.time })).filter((r) => r.directive),
      ...(await watch.cspEvents()).map((e) => ({ directive: e.directive, blocked: e.blocked, where: e.where, from: 'event' })),
    ];
    const groups = new Map();
    for (const r of reports) {
      const key = `${r.from}: ${r.directive} blocked ${r.blocked} in ${r.where.replace(/\?.*$/, '')}`;
      const g = groups.get(key) ?? { n: 0, first: r.time, last: r.time };
      g.n++;
      if (r.time) g.last = r.time;
      groups.set(key, g);
    }
    const at = (t) => (t ? new Date(t).toISOString().slice(11, 19) : '?');
    for (const [key, g] of groups) log(`CSP report ${g.n} × ${key} (${at(g.first)}–${at(g.last)})`);
    const expected = (r) => EXPECTED_CSP.some((e) => e.directive.test(r.directive) && e.blocked.test(r.blocked) && e.where.test(r.where.replace(/\?.*$/, '')));
    const unexpected = reports.filter((r) => !expected(r));
    for (const e of EXPECTED_CSP.filter((x) => x.max !== undefined)) {
      const n = reports.filter((r) => r.from === 'console' && e.directive.test(r.directive) && e.blocked.test(r.blocked) && e.where.test(r.where.replace(/\?.*$/, ''))).length;
      assert(n <= e.max, `${n} CSP reports of a kind expected at most ${e.max} times: ${e.why}`);
    }
    // Each expected kind is reported at least once here (the corpus has them): the list is not stale.
    const kinds = EXPECTED_CSP.slice(0, 3).filter((e) => !reports.some((r) => e.directive.test(r.directive) && e.blocked.test(r.blocked) && e.where.test(r.where.replace(/\?.*$/, ''))));
    log(`CSP: ${reports.length} reports, ${unexpected.length} unexpected; expected kinds of the panel not seen: ${kinds.map((k) => k.directive.source).join(', ') || 'none'}`);
    assert(kinds.length === 0, `the panel's sanitiser was never reported meeting ${kinds.map((k) => k.why).join('; ')}: did the corpus reach it?`);
    assert(unexpected.length === 0, `unexpected CSP violations: ${unexpected.map((r) => `${r.directive} ${r.blocked} (${r.from}, ${r.where})`).join(' | ')}`);
    assert(watch.errors.filter((e) => e.includes(h.MARKER)).length === 0, `page errors from the corpus: ${watch.errors.join(' | ')}`);
    log(`hostile scenario: ${((Date.now() - started) / 1000).toFixed(1)} s (run ${((ran - started) / 1000).toFixed(1)} s, panel ${((shown - ran) / 1000).toFixed(1)} s, checks ${((Date.now() - shown) / 1000).toFixed(1)} s)`);
  } finally {
    watch.stop();
  }
}
