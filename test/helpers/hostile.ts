/**
 * The hostile-output corpus (issue 12, "Hostile output against our own UI"): what sandboxed code can
 * print, display or name, aimed at our own surfaces — the output panel (webview), the chat
 * (@interpreter's markdown), the sessions view and the MCP server. Shared by the e2e suite
 * (test/e2e/run.mjs loads this file through esbuild) and test/integration/mcp-hostile.test.ts, so
 * this module imports nothing and holds only data and pure functions.
 *
 * Every script in it, if it ever ran, would leave a marker: `console.log('HOSTILE-RAN-<id>')`, an
 * `alert('HOSTILE-RAN-<id>')`, a fetch of `http://127.0.0.1:9/HOSTILE-RAN-<id>` and
 * `window.__hostileRan`. Every remote reference points at `hostile.invalid` (a name that never
 * resolves) — a request for it, even one a CSP then blocks, is a finding.
 */

/** What an injected script leaves behind (console, alert, URL path). */
export const MARKER = 'HOSTILE-RAN';
/** The remote host of every URL in the corpus (RFC 2606: never resolves). */
export const REMOTE_HOST = 'hostile.invalid';
export const REMOTE = `https://${REMOTE_HOST}`;
/** Where an injected script would send its fetch (nothing listens on the discard port). */
export const MARKER_ORIGIN = 'http://127.0.0.1:9';

/** The JavaScript an injected script or handler runs: single quotes only, no spaces, no slashes but the URL's. */
export function payload(id: string): string {
  return `console.log('${MARKER}-${id}');alert('${MARKER}-${id}');fetch('${MARKER_ORIGIN}/${MARKER}-${id}');window.__hostileRan=(window.__hostileRan||[]).concat('${id}')`;
}
/** The same without slashes (for file names, which cannot hold one). */
function nameScript(id: string): string {
  return `alert('${MARKER}-${id}')`;
}

export interface RichItem {
  id: string;
  mime: string;
  body: string;
  /** text/plain beside it: what a model reads, and a label the panel shows for none of these. */
  label: string;
  /** Text that must be visible in the panel when the output is rendered (as text, never markup). */
  visible?: string;
}

const P = payload;

/** HTML outputs: each a raw `text/html` bundle (no IPython processing), with a visible label. */
export const HTML_ITEMS: RichItem[] = [
  { id: 'html-script', body: `<p>H-html-script</p><script>${P('html-script')}</script><script src="${REMOTE}/script.js"></script>` },
  {
    id: 'html-handlers',
    body: `<div onclick="${P('html-onclick')}" onmouseover="${P('html-onmouseover')}" onfocus="${P('html-onfocus')}" tabindex="0" autofocus>H-html-handlers</div><body onload="${P('html-body-onload')}"><input autofocus onfocus="${P('html-input-onfocus')}"><details open ontoggle="${P('html-ontoggle')}"><summary>H-html-details</summary>x</details><table class="dataframe"><tr><td onmouseover="${P('html-td')}">H-html-table</td></tr></table>`,
  },
  { id: 'html-img', body: `<img src="x" onerror="${P('html-img-onerror')}"><img src="${REMOTE}/img.png" alt="H-html-img-remote"><img srcset="${REMOTE}/srcset.png 2x">H-html-img` },
  {
    id: 'html-svg',
    body: `<svg onload="${P('html-svg-onload')}"><script>${P('html-svg-script')}</script><image href="${REMOTE}/svg-image.png"/><animate onbegin="${P('html-svg-onbegin')}" attributeName="x" dur="1s"/></svg>H-html-svg`,
  },
  {
    id: 'html-iframe',
    body: `<iframe srcdoc="<script>${P('html-srcdoc')}</script>"></iframe><iframe src="javascript:${P('html-iframe-js')}"></iframe><iframe src="${REMOTE}/frame"></iframe>H-html-iframe`,
  },
  { id: 'html-meta', body: `<meta http-equiv="refresh" content="0;url=${REMOTE}/refresh"><meta http-equiv="Content-Security-Policy" content="default-src *">H-html-meta` },
  {
    id: 'html-links',
    body: `H-html-links <a href="javascript:${P('html-jslink')}">H-html-jslink</a> <a href=" JaVaScRiPt:${P('html-jslink-case')}">H-html-jslink-case</a> <a href="java&#x09;script:${P('html-jslink-tab')}">H-html-jslink-tab</a> <a href="&#106;avascript:${P('html-jslink-entity')}">H-html-jslink-entity</a> <a href="${REMOTE}/link">H-html-httplink</a> <a href="command:workbench.action.terminal.new">H-html-cmdlink</a>`,
  },
  {
    id: 'html-css',
    body: `<div style="background:url(${REMOTE}/css-inline.png)">H-html-css</div><style>@import url(${REMOTE}/import.css);body{background:url(${REMOTE}/css-body.png)}</style><link rel="stylesheet" href="${REMOTE}/link.css"><link rel="prefetch" href="${REMOTE}/prefetch">`,
  },
  { id: 'html-base', body: `<base href="${REMOTE}/"><img src="relative.png"><a href="relative">H-html-base</a>` },
  {
    id: 'html-form',
    body: `<form action="${REMOTE}/form" method="post"><input name="q" value="x"><button>H-html-form</button><button formaction="javascript:${P('html-formaction')}">z</button></form>H-html-form`,
  },
  {
    id: 'html-embed',
    body: `<object data="${REMOTE}/object"></object><embed src="${REMOTE}/embed"><video poster="${REMOTE}/poster.png" src="${REMOTE}/v.mp4" autoplay></video><audio src="${REMOTE}/a.mp3" autoplay></audio>H-html-embed`,
  },
  {
    // Mutation XSS shapes: markup that reads differently once serialised and parsed again.
    id: 'html-mxss',
    body: `<noscript><p title="</noscript><img src=x onerror=${P('html-mxss-noscript')}>"></p></noscript><math><mtext><table><mglyph><style><img src=x onerror=${P('html-mxss-math')}></style></mglyph></table></mtext></math><template><script>${P('html-template')}</script></template>H-html-mxss`,
  },
].map((x) => ({ ...x, mime: 'text/html', label: `H-label-${x.id}`, visible: `H-${x.id}` }));

/** Markdown: links to javascript:/command:/http, raw HTML, remote and SVG images, autolinks. */
export const MARKDOWN_ITEM: RichItem = {
  id: 'markdown',
  mime: 'text/markdown',
  label: 'H-label-markdown',
  visible: 'H-md-heading',
  body: [
    '## H-md-heading',
    `[H-md-jslink](javascript:${P('md-jslink')})`,
    '[H-md-cmdlink](command:workbench.action.terminal.new)',
    `[H-md-httplink](${REMOTE}/md-link)`,
    `[H-md-ref][r]`,
    `<script>${P('md-script')}</script>`,
    `<img src=x onerror="${P('md-img-onerror')}">`,
    `![H-md-remote-image](${REMOTE}/md-image.png)`,
    `![H-md-svg-image](data:image/svg+xml;base64,PHN2ZyB4bWxucz0iaHR0cDovL3d3dy53My5vcmcvMjAwMC9zdmciIG9ubG9hZD0iYWxlcnQoMSkiLz4=)`,
    `<${REMOTE}/autolink>`,
    '',
    `[r]: javascript:${P('md-ref')}`,
  ].join('\n\n'),
};

/** An SVG image output with a script, an onload and remote references (shown as a picture only). */
export const SVG_ITEM: RichItem = {
  id: 'svg',
  mime: 'image/svg+xml',
  label: 'H-label-svg',
  body: `<svg xmlns="http://www.w3.org/2000/svg" width="240" height="40" onload="${P('svg-onload')}"><script>${P('svg-script')}</script><rect width="240" height="40" fill="#c33"/><text x="8" y="26" fill="#fff" font-size="16">H-svg picture</text><image href="${REMOTE}/svg-img.png" width="1" height="1"/><foreignObject width="1" height="1"><iframe xmlns="http://www.w3.org/1999/xhtml" src="javascript:${P('svg-foreign')}"/></foreignObject></svg>`,
};

/**
 * A "PNG" that is no base64 at all: markdown and HTML where the picture's data should be. A surface
 * that pastes image data into markdown (`![](data:image/png;base64,…)`) turns it into a bold text,
 * a command link and a remote image.
 */
export const BAD_PNG_ITEM: RichItem = {
  id: 'bad-png',
  mime: 'image/png',
  label: 'H-label-bad-png',
  body: `iVBORw0KGgo=)\n\n**H-png-bold** [H-png-link](command:workbench.action.terminal.new) ![H-png-img](${REMOTE}/png-inject.png) <img/src=x/onerror=${nameScript('png-onerror')}>`,
};

/**
 * A Plotly figure (the panel draws it with plotly.js) whose text is markup: links to javascript: and
 * a remote site in its title, a trace name, point texts and an annotation (plotly would make
 * <a href> of them), an <img onerror> in a point's text, a layout image and a map style from the
 * remote host, and a config of its own asking for links out. The panel keeps the text, drops the
 * links, loads nothing and uses its own config. `body` is the figure's JSON.
 */
export const PLOTLY_ITEM: RichItem = {
  id: 'plotly',
  mime: 'application/vnd.plotly.v1+json',
  label: 'H-label-plotly',
  visible: 'H-plotly-title',
  body: JSON.stringify({
    data: [
      {
        type: 'scatter',
        mode: 'markers+text',
        x: [1, 2, 3],
        y: [3, 1, 2],
        name: `<a href="javascript:${P('plotly-name')}">H-plotly-name</a>`,
        text: [`<img src=x onerror="${P('plotly-text')}">`, `<a href="${REMOTE}/plotly-point">H-plotly-point</a>`, `<a href=" JaVaScRiPt:${P('plotly-point-js')}">H-plotly-point-js</a>`],
        hovertemplate: `<a href="javascript:${P('plotly-hover')}">H-plotly-hover</a> %{x}<extra></extra>`,
        showlegend: true,
      },
    ],
    layout: {
      title: { text: `H-plotly-title <a href="javascript:${P('plotly-title')}">H-plotly-jslink</a> <a href="${REMOTE}/plotly-title">H-plotly-httplink</a>` },
      images: [{ source: `${REMOTE}/plotly-image.png`, xref: 'paper', yref: 'paper', x: 0, y: 1, sizex: 0.3, sizey: 0.3 }],
      annotations: [{ text: `<a href="${REMOTE}/plotly-annotation" target="_blank">H-plotly-annotation</a>`, x: 2, y: 1, showarrow: false }],
      map: { style: `${REMOTE}/plotly-map-style.json` },
      height: 320,
    },
    config: { showLink: true, linkText: 'H-plotly-config-link', plotlyServerURL: REMOTE, topojsonURL: `${REMOTE}/topojson/`, displaylogo: true },
  }),
};

export const RICH_ITEMS: RichItem[] = [...HTML_ITEMS, MARKDOWN_ITEM, SVG_ITEM, BAD_PNG_ITEM, PLOTLY_ITEM];

/** ANSI escapes: colours, OSC 8 hyperlinks (ST and BEL ends), cursor movement, screen clear, title set. */
export const ANSI_LINE = [
  '\x1b[31mH-ansi-red\x1b[0m',
  '\x1b[1;4;42mH-ansi-bold\x1b[0m',
  `\x1b]8;;${REMOTE}/osc8\x1b\\H-ansi-osc8\x1b]8;;\x1b\\`,
  `\x1b]8;;javascript:${P('ansi-osc8')}\x07H-ansi-osc8-bel\x1b]8;;\x07`,
  '\x1b[2A\x1b[10CH-ansi-cursor\x1b[2J\x1b[H\x1b[?25l',
  `\x1b]0;${MARKER}-title\x07\x1b]2;${MARKER}-title2\x1b\\H-ansi-title`,
  '\x1b[38;2;255;0;0mH-ansi-truecolor\x1b[0m',
  '\x1bcH-ansi-reset \x1b(0H-ansi-charset\x1b(B',
].join(' ');
/** What the panel shows for ANSI_LINE: the text, no escape left. */
export const ANSI_VISIBLE = ['H-ansi-red', 'H-ansi-bold', 'H-ansi-osc8', 'H-ansi-osc8-bel', 'H-ansi-cursor', 'H-ansi-title', 'H-ansi-truecolor', 'H-ansi-reset', 'H-ansi-charset'];

/** Printed as is: markup in a stream is text. */
export const STDOUT_LINE = `H-stdout <script>${P('stdout-script')}</script> <img src=x onerror="${P('stdout-img')}"> [H-stdout-link](command:workbench.action.terminal.new)`;
export const STDERR_LINE = `H-stderr <iframe srcdoc="<script>${P('stderr-srcdoc')}</script>"></iframe>`;

/** A single line of 1 MiB between two labels. */
export const LONG_LINE_BYTES = 1 << 20;

export interface HostileName {
  name: string;
  /** Content written into it (the file's own name, so a read shows which file was read). */
  content: string;
  /** Shown in the e2e's name checks (a newline or a non-UTF-8 byte cannot be compared as DOM text). */
  e2e: boolean;
}

/**
 * File names with HTML, markdown, codicon syntax, URI syntax and control characters in them. A
 * name's `\udcff` stands for the raw byte 0xff (Python's surrogateescape): not UTF-8.
 */
export const HOSTILE_NAMES: HostileName[] = [
  `<img src=x onerror=${nameScript('name-img')}>.txt`,
  '[click](command:workbench.action.terminal.new).csv',
  '`code`*bold*.md',
  `<svg onload=${nameScript('name-svg')}>.svg`,
  '$(alert) $(gear) codicon.txt',
  `javascript:${nameScript('name-js')}.txt`,
  '![img](x.png) & &amp; &lt;b&gt; "quoted" \'single\'.txt',
  '%2e%2e%2fetc%2fpasswd #frag ?query=1 100%.txt',
  '_[dir](command:workbench.action.terminal.new)_/inner <b>.txt',
].map((name) => ({ name, content: `content of ${name}\n`, e2e: true }))
  .concat([
    { name: 'new\nline <i>.txt', content: 'newline name\n', e2e: false },
    { name: 'bad-\udcff-byte.txt', content: 'non-UTF-8 name\n', e2e: false },
  ]);
/** A plain name created beside them: the tree and panel rows to compare the hostile ones with. */
export const BENIGN_NAME = 'H-benign.txt';

/** Python string literal of a JS string (JSON's escapes are Python's; lone surrogates included). */
function py(s: string): string {
  return JSON.stringify(s);
}

/**
 * The cell: every rich output as a raw display bundle, the streams, the long line, the files, and
 * last an error whose message is markup (a "missing module" whose name is HTML).
 */
export function hostileCode(): string {
  const items = RICH_ITEMS.map((i) => `[${py(i.mime)}, ${py(i.body)}, ${py(i.label)}]`).join(',\n    ');
  const files = [...HOSTILE_NAMES.map((n) => [n.name, n.content]), [BENIGN_NAME, 'benign\n']];
  return [
    '# The hostile-output corpus (test/helpers/hostile.ts): nothing here may run or load in a UI.',
    'import json, os, sys',
    'from IPython.display import display',
    `ITEMS = [\n    ${items},\n]`,
    'for mime, body, label in ITEMS:',
    '    display({mime: json.loads(body) if mime.endswith("+json") else body, "text/plain": label}, raw=True)',
    `print(${py(STDOUT_LINE)})`,
    `print(${py(ANSI_LINE)})`,
    `print(${py(STDERR_LINE)}, file=sys.stderr)`,
    `print("H-long-line-start " + "x" * ${LONG_LINE_BYTES} + " H-long-line-end")`,
    `FILES = [${files.map(([n, c]) => `[${py(n)}, ${py(c)}]`).join(', ')}]`,
    'for name, content in FILES:',
    '    if os.path.dirname(name): os.makedirs(os.fsencode(os.path.dirname(name)), exist_ok=True)',
    '    with open(os.fsencode(name), "w", encoding="utf-8") as f: f.write(content)',
    'print("H-files", len(FILES))',
    `raise ModuleNotFoundError("No module named '<img src=x onerror=${nameScript('error')}>'")`,
  ].join('\n');
}

/** How many outputs MANY_CODE displays. */
export const MANY_OUTPUTS = 10_000;

/** 10,000 outputs in one cell, each an HTML bundle with a handler the panel must drop. */
export function manyOutputsCode(): string {
  return [
    'from IPython.display import display',
    `for i in range(${MANY_OUTPUTS}):`,
    `    display({"text/html": f"<b>H-many-{i}</b><img src=x onerror=\\"${P('many')}\\">", "text/plain": f"H-many-{i}"}, raw=True)`,
  ].join('\n');
}

/** Corpus labels: text that, inside a link, a bold or an image of a chat response, means output turned into markup. */
export const LABEL = /\bH-(?:html|md|png|stdout|stderr|ansi|label|many|svg|plotly)-?[\w-]*/;

/**
 * What a CSP violation report names as its kind, e.g. "img-src https://hostile.invalid/x.png".
 * Both the `securitypolicyviolation` events and Chromium's console lines are read into it.
 */
export interface CspViolation {
  directive: string;
  blocked: string;
  where: string;
}

/** Chromium's console line for a CSP violation, as {directive, blocked}; undefined when it is not one. */
export function parseCspConsole(text: string): { directive: string; blocked: string } | undefined {
  if (!/Content Security Policy/.test(text)) return undefined;
  const blocked = /'([a-z][a-z0-9+.-]*:[^']*)'/i.exec(text)?.[1] ?? /inline (?:script|event handler|style)|eval/i.exec(text)?.[0] ?? 'unknown';
  const directive = /directive:?\s*["']([a-z-]+)/i.exec(text)?.[1] ?? 'unknown';
  return { directive, blocked };
}
