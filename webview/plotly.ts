/**
 * Plotly figures, interactive. plotly.js (its "strict" bundle: no eval, no new Function, so the
 * page's CSP needs no 'unsafe-eval') is 5 MB: it is loaded only when the first figure is shown, as
 * a second <script> with the page's nonce, from the extension's dist/ (the host names its URL in
 * #app's data-plotly). The figure is cleaned first (plotly-figure.ts); if plotly cannot load or
 * draw it, the output's text form is shown instead.
 */
import { cleanFigure, PLOTLY_CONFIG, themeLayout } from './plotly-figure';

interface PlotlyApi {
  newPlot(root: HTMLElement, data: unknown[], layout: Record<string, unknown>, config: Record<string, unknown>): Promise<unknown>;
  Plots: { resize(root: HTMLElement): unknown };
}

declare global {
  interface Window {
    Plotly?: PlotlyApi;
  }
}

let loading: Promise<PlotlyApi> | undefined;

/**
 * plotly.js inserts <style> elements of its own (its rules, and maplibre's for map traces) while
 * its script runs; the page's CSP refuses a <style> without the nonce. While it loads, the <style>
 * elements created get the page's nonce: only this page's own code runs then (outputs never create
 * elements: the sanitiser drops <style> with its content). plotly then adds its rules through the
 * CSSOM, which the CSP allows.
 */
function withStyleNonce(nonce: string): () => void {
  const create = document.createElement;
  document.createElement = function (this: Document, tag: string, options?: ElementCreationOptions) {
    const e = create.call(this, tag, options);
    if (String(tag).toLowerCase() === 'style') (e as HTMLStyleElement).nonce = nonce;
    return e;
  } as typeof document.createElement;
  return () => {
    document.createElement = create;
  };
}

function loadPlotly(): Promise<PlotlyApi> {
  loading ??= new Promise<PlotlyApi>((resolve, reject) => {
    if (window.Plotly) return resolve(window.Plotly);
    const app = document.getElementById('app');
    const src = app?.dataset.plotly;
    const nonce = app?.dataset.nonce ?? '';
    if (!src) return reject(new Error('no plotly.js URL'));
    const script = document.createElement('script');
    script.nonce = nonce;
    script.src = src;
    script.async = true;
    const restore = withStyleNonce(nonce);
    script.onload = () => {
      restore();
      if (window.Plotly) resolve(window.Plotly);
      else reject(new Error('plotly.js did not load'));
    };
    script.onerror = () => {
      restore();
      reject(new Error('plotly.js could not be loaded'));
    };
    document.head.appendChild(script);
  }).catch((e) => {
    loading = undefined; // a later figure may try again
    throw e;
  });
  return loading;
}

function cssVar(name: string): string | undefined {
  return getComputedStyle(document.body).getPropertyValue(name).trim() || undefined;
}

/**
 * A Plotly output: a div that becomes the interactive figure once plotly.js has loaded, or the
 * `fallback` (the bundle's text form) when the figure is invalid or plotly fails.
 */
export function plotlyOutput(figure: unknown, fallback: () => HTMLElement): HTMLElement {
  const fig = cleanFigure(figure);
  if (!fig) return fallback();
  const wrap = document.createElement('div');
  wrap.className = 'output-plotly';
  const plot = document.createElement('div');
  plot.className = 'plotly-figure';
  wrap.appendChild(plot);
  const fail = (e: unknown) => {
    console.warn('Code Interpreter: a Plotly figure could not be drawn:', e instanceof Error ? e.message : e);
    wrap.replaceChildren(fallback());
  };
  loadPlotly()
    .then((Plotly) => {
      // A cell re-rendered while plotly.js loaded (it ended) threw this one away: nothing to draw.
      if (!plot.isConnected) return;
      const layout = themeLayout(fig.layout, { foreground: cssVar('--vscode-editor-foreground'), fontFamily: cssVar('--vscode-font-family') });
      return Plotly.newPlot(plot, fig.data, layout, { ...PLOTLY_CONFIG }).then(() => {
        // Follows the panel's width. (plotly's own `responsive` listens on window and keeps every
        // figure a re-rendered cell threw away; an observer goes with its element.)
        let width = plot.clientWidth;
        new ResizeObserver(() => {
          if (plot.clientWidth !== width && plot.isConnected) {
            width = plot.clientWidth;
            void Plotly.Plots.resize(plot);
          }
        }).observe(plot);
      });
    })
    .catch(fail);
  return wrap;
}
