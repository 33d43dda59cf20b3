import { formatBytes } from '../policy/truncate';
import type { ResourceUse, SessionResources } from './resources';

/** From this share of a limit on, a figure is shown as near its limit. */
export const NEAR_LIMIT = 0.9;

/** Whether `used` is near (or past) `limit`; false when either is unknown. */
export function nearLimit(used: number | undefined, limit: number | undefined): boolean {
  return used !== undefined && !!limit && used / limit >= NEAR_LIMIT;
}

/** One figure as the views show it: a label, a text, how full (0–1, when there is a limit), near its limit. */
export interface ResourceMeter {
  key: 'memory' | 'cpu' | 'pids' | 'disk';
  label: string;
  text: string;
  fraction?: number;
  near: boolean;
}

/** Bytes, short: "182 MB", "2 GB", "1.5 GB". */
export function shortBytes(bytes: number): string {
  return formatBytes(Math.round(bytes)).replace(/\.0 /, ' ');
}

function cpus(n: number): string {
  const text = Number.isInteger(n) ? String(n) : n.toFixed(2).replace(/0+$/, '');
  return `${text} ${n === 1 ? 'CPU' : 'CPUs'}`;
}

function percent(p: number): string {
  return p > 0 && p < 1 ? '<1 %' : `${Math.round(p)} %`;
}

function fraction(used: number | undefined, limit: number | undefined): number | undefined {
  return used !== undefined && limit ? Math.min(1, Math.max(0, used / limit)) : undefined;
}

/** The figures of a running session, in the views' order: memory, CPU, processes, files. */
export function resourceMeters(r: ResourceUse): ResourceMeter[] {
  const meters: ResourceMeter[] = [];
  const m = r.memory;
  meters.push({ key: 'memory', label: 'Memory', text: m.limit ? `${shortBytes(m.used)} of ${shortBytes(m.limit)}` : shortBytes(m.used), fraction: fraction(m.used, m.limit), near: nearLimit(m.used, m.limit) });
  const c = r.cpu;
  const cpuText = c.percent === undefined ? '…' : percent(c.percent);
  meters.push({ key: 'cpu', label: 'CPU', text: c.limit ? `${cpuText} of ${cpus(c.limit)}` : cpuText, fraction: c.percent === undefined ? undefined : c.percent / 100, near: false });
  const p = r.pids;
  if (p.used !== undefined) meters.push({ key: 'pids', label: 'Processes', text: p.limit ? `${p.used} of ${p.limit}` : String(p.used), fraction: fraction(p.used, p.limit), near: nearLimit(p.used, p.limit) });
  const d = r.disk;
  if (d) meters.push({ key: 'disk', label: 'Files', text: `${shortBytes(d.used)} of ${shortBytes(d.limit)}`, fraction: fraction(d.used, d.limit), near: nearLimit(d.used, d.limit) });
  return meters;
}

/** One line for a tooltip: "Memory 182 MB of 2 GB · CPU 3 % of 2 CPUs · 41 of 256 processes · Files 12 MB of 1 GB". */
export function resourceSummary(r: SessionResources): string {
  if (r.state === 'not running') return 'Not running: no memory or CPU in use';
  if (r.state === 'unavailable') return `Resource use unavailable: ${r.reason}`;
  return resourceMeters(r)
    .map((m) => {
      const warn = m.near ? ' (near the limit)' : '';
      return m.key === 'pids' ? `${m.text} processes${warn}` : `${m.label} ${m.text}${warn}`;
    })
    .join(' · ');
}

/** A few words: "182 MB · CPU 3 %", with a mark when a figure is near its limit. */
export function resourceBrief(r: SessionResources): string {
  if (r.state !== 'running') return '';
  const cpu = r.cpu.percent === undefined ? '' : ` · CPU ${percent(r.cpu.percent)}`;
  const near = resourceMeters(r).filter((m) => m.near);
  return `${shortBytes(r.memory.used)}${cpu}${near.length ? ` · ⚠ ${near.map((m) => m.label.toLowerCase()).join(', ')}` : ''}`;
}
