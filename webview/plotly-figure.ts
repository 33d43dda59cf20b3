/**
 * A Plotly figure (`application/vnd.plotly.v1+json`) from the sandbox is untrusted data. Before
 * plotly.js sees it, it is rebuilt here: only `data` and `layout` are kept (never the figure's own
 * `config`, nor `frames`), and every string in it is cleaned:
 * - plotly draws a subset of HTML in text (titles, labels, hover text, annotations): a link
 *   (`<a href>`) keeps its text and loses the link, its formatting tags are removed (text kept),
 *   `<br>` and a hovertemplate's `<extra>` are kept bare. Other tags plotly shows as text (`<NA>`).
 * - what plotly would load or follow — `layout.images[].source`, a map's style or layer source, a
 *   choropleth's `geojson` URL, any `href`/`src`/`url`-named value — is dropped unless it is a
 *   `data:image/…` URI (a picture carried in the figure itself).
 * Pure (no DOM): unit-tested in test/unit/plotly-figure.test.ts.
 */

export interface CleanFigure {
  data: Record<string, unknown>[];
  layout: Record<string, unknown>;
}

/**
 * The tags plotly draws in text (plotly.js svg_text_utils; any other tag it shows as text). `<a>`
 * would be a link; `<b>`, `<i>`, `<sub>`… are drawn with style attributes, which the panel's CSP
 * refuses: all are removed, their text kept. `<br>` (a new line) and a hovertemplate's `<extra>`
 * (its side label, which plotly cuts out of the string) are kept, bare.
 */
const PLOTLY_TAGS = new Set(['a', 'b', 'i', 'em', 'sub', 'sup', 's', 'u', 'span']);
const KEPT_TAGS = new Set(['br', 'extra']);
const TAG = /<\s*(\/?)\s*([a-z][a-z0-9-]*)\b[^<>]*>/gi;

/** A string of the figure as plotly may draw it: links and formatting gone (text kept), `<br>`/`<extra>` bare. */
export function cleanText(s: string): string {
  // Until nothing changes: removing one tag may join the pieces of another (`<<a>a href=…>`).
  for (let i = 0; i < 32 && s.includes('<'); i++) {
    const next = s.replace(TAG, (whole: string, slash: string, name: string) => {
      const tag = name.toLowerCase();
      if (KEPT_TAGS.has(tag)) return tag === 'br' ? '<br>' : `<${slash}${tag}>`;
      return PLOTLY_TAGS.has(tag) ? '' : whole;
    });
    if (next === s) return s;
    s = next;
  }
  return s.includes('<') ? s.replace(/</g, '‹') : s;
}

/** A picture carried inside the figure (never SVG: an SVG image may reference more). */
const DATA_IMAGE = /^data:image\/(png|jpeg|gif|webp);base64,[A-Za-z0-9+/=\s]*$/i;

/** Keys whose string value plotly (or a browser) would load or follow. */
const URL_KEYS = new Set(['source', 'href', 'src', 'url', 'link', 'geojson', 'topojsonurl', 'topojson', 'mapboxaccesstoken', 'accesstoken']);

/** A string that names something elsewhere (a URL, a path on a server, a scheme). */
const URL_LIKE = /^\s*([a-z][a-z0-9+.-]*:|\/\/|\\\\)/i;

const MAX_DEPTH = 64;

function cleanValue(key: string, value: unknown, depth: number): unknown {
  if (depth > MAX_DEPTH) return undefined;
  const k = key.toLowerCase();
  if (typeof value === 'string') {
    if (URL_KEYS.has(k)) return DATA_IMAGE.test(value) ? value : undefined;
    // A map's style may be a style name ("open-street-map") or a URL to fetch: names only.
    if (k === 'style' && URL_LIKE.test(value)) return undefined;
    return cleanText(value);
  }
  if (Array.isArray(value)) {
    const out: unknown[] = [];
    for (const v of value) {
      // An array under a URL key (a raster layer's tile URLs): pictures inside the figure only.
      if (URL_KEYS.has(k) && typeof v === 'string' && !DATA_IMAGE.test(v)) continue;
      const c = cleanValue(k, v, depth + 1);
      out.push(c === undefined ? null : c);
    }
    return out;
  }
  if (value && typeof value === 'object') return cleanObject(value as Record<string, unknown>, depth + 1);
  if (typeof value === 'number' || typeof value === 'boolean' || value === null) return value;
  return undefined;
}

function cleanObject(obj: Record<string, unknown>, depth: number): Record<string, unknown> | undefined {
  if (depth > MAX_DEPTH) return undefined;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(obj)) {
    if (key === '__proto__' || key === 'constructor' || key === 'prototype') continue;
    const c = cleanValue(key, value, depth);
    if (c !== undefined) out[key] = c;
  }
  return out;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return !!v && typeof v === 'object' && !Array.isArray(v);
}

/** Layout images without a picture of their own are dropped whole (an image with no source is nothing). */
function dropSourcelessImages(layout: Record<string, unknown>): void {
  for (const holder of [layout, isRecord(layout.template) && isRecord(layout.template.layout) ? layout.template.layout : undefined]) {
    if (holder && Array.isArray(holder.images)) holder.images = holder.images.filter((i) => isRecord(i) && typeof i.source === 'string');
  }
}

/**
 * The figure as plotly.js may be given it, or undefined when it is no figure (then the panel shows
 * the bundle's text form). `figure` may be the JSON object or its string.
 */
export function cleanFigure(figure: unknown): CleanFigure | undefined {
  let fig = figure;
  if (typeof fig === 'string') {
    try {
      fig = JSON.parse(fig);
    } catch {
      return undefined;
    }
  }
  if (!isRecord(fig) || !Array.isArray(fig.data)) return undefined;
  const data = fig.data.filter(isRecord).map((t) => cleanObject(t, 1) ?? {});
  const layout = (isRecord(fig.layout) ? cleanObject(fig.layout, 1) : undefined) ?? {};
  dropSourcelessImages(layout);
  return { data, layout };
}

/** Our own plotly config (the figure's is ignored): no logo, no links out, no editing. */
export const PLOTLY_CONFIG = {
  displaylogo: false,
  showLink: false,
  showEditInChartStudio: false,
  showSendToCloud: false,
  sendData: false,
  linkText: '',
  editable: false,
  // Resizing follows the panel through a ResizeObserver (plotly.ts), not plotly's window listener.
  responsive: false,
  // Both would fetch from the network (the page's CSP refuses it anyway).
  topojsonURL: '',
  mapboxAccessToken: '',
  // Download as PNG makes an <a href> and clicks it: VS Code's webview host follows such clicks.
  modeBarButtonsToRemove: ['sendDataToCloud', 'editInChartStudio', 'toImage'],
} as const;

/**
 * VS Code's colours where the figure left them to its template: a transparent paper and mode bar,
 * the editor's font colour and family. What the figure sets itself is kept.
 */
export function themeLayout(layout: Record<string, unknown>, theme: { foreground?: string; fontFamily?: string }): Record<string, unknown> {
  const out: Record<string, unknown> = { ...layout };
  if (out.paper_bgcolor === undefined) out.paper_bgcolor = 'rgba(0,0,0,0)';
  const font: Record<string, unknown> = isRecord(out.font) ? { ...out.font } : {};
  if (font.color === undefined && theme.foreground) font.color = theme.foreground;
  if (font.family === undefined && theme.fontFamily) font.family = theme.fontFamily;
  out.font = font;
  const modebar: Record<string, unknown> = isRecord(out.modebar) ? { ...out.modebar } : {};
  if (modebar.bgcolor === undefined) modebar.bgcolor = 'rgba(0,0,0,0)';
  if (modebar.color === undefined && theme.foreground) modebar.color = theme.foreground;
  out.modebar = modebar;
  return out;
}
