/**
 * HTML from outputs (DataFrame tables, `_repr_html_`) is untrusted. It is parsed into an inert
 * document (DOMParser runs no script and loads nothing), then rebuilt element by element from an
 * allow-list of tags and attributes; everything else is dropped (its text kept where harmless).
 * The page's CSP would block scripts anyway — this also removes styles, handlers, links and media.
 */
const ALLOWED_TAGS = new Set([
  'table', 'thead', 'tbody', 'tfoot', 'tr', 'th', 'td', 'caption', 'colgroup', 'col',
  'div', 'span', 'p', 'br', 'hr', 'b', 'i', 'u', 's', 'strong', 'em', 'small', 'sub', 'sup', 'mark',
  'code', 'pre', 'kbd', 'samp', 'var', 'blockquote', 'ul', 'ol', 'li', 'dl', 'dt', 'dd',
  'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'details', 'summary', 'abbr',
]);

/** Elements removed with everything inside them. */
const DROP_WITH_CONTENT = new Set(['script', 'style', 'template', 'iframe', 'object', 'embed', 'noscript', 'svg', 'math', 'link', 'meta', 'title', 'head', 'form', 'textarea', 'select', 'button', 'input', 'video', 'audio', 'canvas']);

const ALLOWED_ATTRIBUTES = new Set(['colspan', 'rowspan', 'align', 'valign', 'scope', 'title', 'abbr', 'headers', 'span', 'open', 'class']);

/** Classes kept (others dropped): those pandas and tabulate use, so the panel can style them. */
const CLASS = /^(dataframe|index_name|row_heading|col_heading|level\d+|row\d+|col\d+|data|blank|table|[a-z-]{1,24})$/;

export interface SanitizeOptions {
  /**
   * Keep links (their target, relative session paths and http(s) only, as `data-href`: no element
   * the sanitiser returns has an href) and data: images (markdown).
   */
  links?: boolean;
}

const DATA_IMAGE = /^data:image\/(png|jpeg|gif|webp);base64,[A-Za-z0-9+/=\s]+$/;

function cleanAttribute(tag: string, name: string, value: string, opts: SanitizeOptions): string | undefined {
  if (opts.links && tag === 'a' && name === 'href') return /^(https?:|[^:]*$)/i.test(value.trim()) ? value.trim() : undefined;
  if (opts.links && tag === 'img' && name === 'src') return DATA_IMAGE.test(value) ? value : undefined;
  if (opts.links && tag === 'img' && name === 'alt') return value.slice(0, 500);
  if (!ALLOWED_ATTRIBUTES.has(name)) return undefined;
  if (name === 'colspan' || name === 'rowspan' || name === 'span') return /^\d{1,4}$/.test(value) ? value : undefined;
  if (name === 'class') {
    const kept = value.split(/\s+/).filter((c) => CLASS.test(c));
    return kept.length ? kept.join(' ') : undefined;
  }
  return value.slice(0, 500);
}

function copy(node: Node, into: Node, doc: Document, depth: number, opts: SanitizeOptions): void {
  if (depth > 64) return;
  for (const child of Array.from(node.childNodes)) {
    if (child.nodeType === Node.TEXT_NODE) {
      into.appendChild(doc.createTextNode(child.textContent ?? ''));
    } else if (child.nodeType === Node.ELEMENT_NODE) {
      const el = child as Element;
      const tag = el.tagName.toLowerCase();
      if (DROP_WITH_CONTENT.has(tag)) continue;
      if (!ALLOWED_TAGS.has(tag) && !(opts.links && (tag === 'a' || tag === 'img'))) {
        copy(el, into, doc, depth + 1, opts); // unwrap: keep the text of unknown elements
        continue;
      }
      const clean = doc.createElement(tag);
      for (const attr of Array.from(el.attributes)) {
        const name = attr.name.toLowerCase();
        const value = cleanAttribute(tag, name, attr.value, opts);
        // A link keeps its target as data, never as href: VS Code's webview host follows any click
        // on an <a href> (it posts did-click-link whatever the page's own handler did), so an
        // output's link would ask to open a remote site. The panel decides what a click does.
        if (value !== undefined) clean.setAttribute(tag === 'a' && name === 'href' ? 'data-href' : name, value);
      }
      if (tag === 'img' && !clean.hasAttribute('src')) continue;
      copy(el, clean, doc, depth + 1, opts);
      into.appendChild(clean);
    }
    // comments, processing instructions: dropped
  }
}

/** Untrusted HTML → a fragment of allow-listed elements, safe to insert into the page. */
export function sanitizeHtml(html: string, opts: SanitizeOptions = {}, doc: Document = document): DocumentFragment {
  const inert = new DOMParser().parseFromString(`<!DOCTYPE html><body>${html}</body>`, 'text/html');
  const fragment = doc.createDocumentFragment();
  copy(inert.body, fragment, doc, 0, opts);
  return fragment;
}
