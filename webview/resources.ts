/** The panel header's resource meters: the selected session's memory, CPU, processes and files, each a text and a bar. */
import { PanelMeter } from './protocol';

export interface ResourceMeters {
  element: HTMLElement;
  show(meters: PanelMeter[], note?: string): void;
}

export function createResourceMeters(): ResourceMeters {
  const element = document.createElement('div');
  element.className = 'resources';
  element.id = 'session-resources';
  element.setAttribute('role', 'group');
  element.setAttribute('aria-label', 'Resource use');
  element.hidden = true;

  function meter(m: PanelMeter): HTMLElement {
    const node = document.createElement('span');
    node.className = 'meter';
    node.dataset.key = m.key;
    if (m.near) node.dataset.near = 'true';
    const label = document.createElement('span');
    label.className = 'meter-label';
    label.textContent = m.label;
    const text = document.createElement('span');
    text.className = 'meter-text';
    text.textContent = m.near ? `${m.text} — near the limit` : m.text;
    node.append(label);
    if (m.fraction !== undefined) {
      const bar = document.createElement('span');
      bar.className = 'meter-bar';
      bar.setAttribute('role', 'meter');
      bar.setAttribute('aria-valuemin', '0');
      bar.setAttribute('aria-valuemax', '100');
      bar.setAttribute('aria-valuenow', String(Math.round(m.fraction * 100)));
      bar.setAttribute('aria-label', `${m.label} ${m.text}`);
      const fill = document.createElement('span');
      fill.className = 'meter-fill';
      fill.style.width = `${Math.max(0, Math.min(100, m.fraction * 100)).toFixed(1)}%`;
      bar.append(fill);
      node.append(bar);
    }
    node.append(text);
    node.title = `${m.label}: ${text.textContent}`;
    return node;
  }

  return {
    element,
    show(meters, note) {
      if (meters.length === 0 && !note) {
        element.hidden = true;
        element.replaceChildren();
        return;
      }
      element.hidden = false;
      const nodes = meters.map(meter);
      if (note) {
        const n = document.createElement('span');
        n.className = 'meter-note';
        n.textContent = note;
        nodes.push(n);
      }
      element.replaceChildren(...nodes);
    },
  };
}
