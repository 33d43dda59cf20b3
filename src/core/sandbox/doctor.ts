/** What `code-interpreter doctor` and *Show Docker Engine* print: the engine in use and what it says about itself. */
import { errorMessage } from '../errors';
import { DockerClient } from './docker';
import { EngineSource } from './engine';
import { AUTO_RUNTIME, resolveRuntime } from './runtime';

export interface EngineReport {
  context?: string;
  endpoint?: string;
  source?: EngineSource;
  /** Where the choice came from, in words. */
  origin?: string;
  /** TLS in use for a tcp:// endpoint: "verified (…/ca.pem)", "not verified", or undefined. */
  tls?: string;
  /** The engine answered. */
  reachable: boolean;
  /** "Docker Engine - Community", "Podman Engine", … */
  product?: string;
  version?: string;
  apiVersion?: string;
  os?: string;
  arch?: string;
  runtimes?: string[];
  defaultRuntime?: string;
  /** The runtime sessions run under with the given setting (auto: runsc when present), and why. */
  sandboxRuntime?: string;
  /** Why the engine could not be resolved or reached, with the fix. */
  error?: string;
}

/** Resolve, contact and describe the engine; never throws (a failure is in `error`). */
export async function engineReport(docker: DockerClient, runtimeSetting = AUTO_RUNTIME): Promise<EngineReport> {
  const report: EngineReport = { reachable: false };
  try {
    const e = docker.engine;
    Object.assign(report, { context: e.context, endpoint: e.host, source: e.source, origin: e.origin });
    if (e.tls) report.tls = `${e.tls.verify ? 'verified' : 'not verified'}${e.tls.cert ? ', client certificate' : ''}${e.tls.from ? ` (${e.tls.from})` : ''}`;
    const [version, info] = await Promise.all([docker.version(), docker.info()]);
    report.reachable = true;
    const component = version.Components?.[0]?.Name;
    report.product = component === 'Engine' ? 'Docker Engine' : component || version.Platform?.Name || undefined;
    report.version = version.Version ?? info.ServerVersion;
    report.apiVersion = version.ApiVersion;
    report.os = info.OperatingSystem;
    report.arch = version.Arch;
    report.runtimes = Object.keys(info.Runtimes ?? {}).sort();
    report.defaultRuntime = info.DefaultRuntime;
    report.sandboxRuntime = await resolveRuntime(docker, runtimeSetting).then(
      (r) => `${r.name} (${r.why})`,
      (err) => `${runtimeSetting}: ${errorMessage(err)}`,
    );
  } catch (err) {
    report.error = errorMessage(err);
  }
  return report;
}

/** The report as aligned lines of text. */
export function formatEngineReport(r: EngineReport): string {
  const rows: [string, string | undefined][] = [
    ['context', r.context],
    ['endpoint', r.endpoint],
    ['source', r.origin],
    ['tls', r.tls],
    ['engine', r.reachable ? [r.product, r.version, r.apiVersion && `(API ${r.apiVersion})`].filter(Boolean).join(' ') : 'not reachable'],
    ['os', r.os && [r.os, r.arch].filter(Boolean).join(', ')],
    ['runtimes', r.runtimes?.map((n) => (n === r.defaultRuntime ? `${n} (default)` : n)).join(', ')],
    ['sandbox', r.sandboxRuntime],
  ];
  const lines = ['Docker engine'];
  for (const [k, v] of rows) if (v) lines.push(`  ${k.padEnd(9)} ${v}`);
  if (r.error) lines.push('', r.error);
  return lines.join('\n');
}
