/**
 * A workspace's sandbox environment, as declared in the Binder/repo2docker conventions:
 * `apt.txt` (Debian packages), `requirements.txt` (pip requirement lines) and `wheels/` (a
 * wheelhouse installed with --no-index). Read, checked line by line, and hashed — no Docker here.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { InterpreterError } from '../errors';

/** A problem in the environment files (or a build they caused), pinned to the file and line when known. */
export class EnvironmentError extends InterpreterError {
  constructor(
    message: string,
    fix: string,
    /** The file (relative to the environment folder), the 1-based line, and the entry at fault. */
    readonly where?: { file: string; line?: number; item: string },
  ) {
    super(message, 'input', fix);
    this.name = 'EnvironmentError';
  }
}

/** The folder a workspace declares its environment in, relative to the workspace root. */
export const ENV_DIR_NAME = '.code-interpreter';
export const ENV_FILES = { apt: 'apt.txt', requirements: 'requirements.txt', wheels: 'wheels' } as const;

/** Files a wheelhouse may hold (what `pip download` / `pip wheel` write). */
const WHEELHOUSE_FILE = /\.(whl|tar\.gz|zip)$/i;
/** A Debian package name, optionally with an architecture and a version pin (`name:arch=version`). */
const APT_NAME = /^[a-z0-9][a-z0-9+.-]+(:[a-z0-9-]+)?(=[A-Za-z0-9.+~:-]+)?$/;
/** A PEP 508 requirement without a URL: a name, extras, version specifiers and a marker. */
const REQUIREMENT = /^[A-Za-z0-9][A-Za-z0-9._-]*(\s*\[[A-Za-z0-9._,\s-]*\])?\s*([<>=!~]=?[^;@]*)?(\s*;.*)?$/;

/** One meaningful line of a declaration file, with its 1-based line number for error messages. */
export interface SpecLine {
  text: string;
  line: number;
}

export interface WheelFile {
  name: string;
  path: string;
  bytes: number;
}

export interface EnvironmentSpec {
  /** The folder the files were read from (absolute). */
  dir: string;
  apt: SpecLine[];
  requirements: SpecLine[];
  wheels: WheelFile[];
  /** Hash of what gets installed (normalized lines and wheel bytes), not of comments or blank lines. */
  hash: string;
}

/** The line's content without a `#` comment and surrounding blanks. */
function meaningful(content: string): SpecLine[] {
  const out: SpecLine[] = [];
  content.split(/\r?\n/).forEach((raw, i) => {
    const text = raw.replace(/(^|\s)#.*$/, '').trim();
    if (text) out.push({ text, line: i + 1 });
  });
  return out;
}

function parseApt(file: string): SpecLine[] {
  const lines: SpecLine[] = [];
  for (const l of meaningful(readFileSync(file, 'utf8'))) {
    // repo2docker allows several names on a line; keep each with the line it came from.
    for (const name of l.text.split(/\s+/)) {
      if (!APT_NAME.test(name)) {
        throw new EnvironmentError(
          `${file}:${l.line}: '${name}' is not a Debian package name.`,
          'Write one package name per line (lowercase letters, digits, + - .), optionally pinned as name=version; comments start with #.',
          { file: ENV_FILES.apt, line: l.line, item: name },
        );
      }
      lines.push({ text: name, line: l.line });
    }
  }
  return lines;
}

function parseRequirements(file: string): SpecLine[] {
  const lines = meaningful(readFileSync(file, 'utf8'));
  for (const l of lines) {
    if (l.text.startsWith('-')) {
      throw new EnvironmentError(
        `${file}:${l.line}: pip options such as '${l.text.split(/\s/)[0]}' are not supported here.`,
        'List requirements only. For a private index set PIP_INDEX_URL on the host when building; for offline installs put the wheels in the wheels/ folder.',
        { file: ENV_FILES.requirements, line: l.line, item: l.text },
      );
    }
    if (!REQUIREMENT.test(l.text)) {
      throw new EnvironmentError(
        `${file}:${l.line}: '${l.text}' is not a requirement this sandbox can install (a name with optional extras, versions and markers; no URLs or paths).`,
        'Put local or downloaded packages in the wheels/ folder and name them here by their project name.',
        { file: ENV_FILES.requirements, line: l.line, item: l.text },
      );
    }
  }
  return lines;
}

function listWheels(dir: string): WheelFile[] {
  return readdirSync(dir)
    .filter((name) => WHEELHOUSE_FILE.test(name) && statSync(join(dir, name)).isFile())
    .sort()
    .map((name) => ({ name, path: join(dir, name), bytes: statSync(join(dir, name)).size }));
}

/**
 * The environment declared in `dir`, or undefined when the folder holds none of the three files
 * (or nothing to install). Throws an EnvironmentError naming the file and line of a malformed entry.
 */
export function readEnvironment(dir: string, baseTag: string): EnvironmentSpec | undefined {
  const root = resolve(dir);
  if (!existsSync(root) || !statSync(root).isDirectory()) return undefined;
  const aptFile = join(root, ENV_FILES.apt);
  const reqFile = join(root, ENV_FILES.requirements);
  const wheelDir = join(root, ENV_FILES.wheels);
  const apt = existsSync(aptFile) ? parseApt(aptFile) : [];
  const requirements = existsSync(reqFile) ? parseRequirements(reqFile) : [];
  const wheels = existsSync(wheelDir) && statSync(wheelDir).isDirectory() ? listWheels(wheelDir) : [];
  if (!apt.length && !requirements.length && !wheels.length) return undefined;
  const h = createHash('sha256');
  h.update(`base ${baseTag}\0`);
  for (const a of apt) h.update(`apt ${a.text}\0`);
  for (const r of requirements) h.update(`req ${r.text}\0`);
  for (const w of wheels) {
    h.update(`whl ${w.name}\0`);
    h.update(readFileSync(w.path));
  }
  return { dir: root, apt, requirements, wheels, hash: h.digest('hex').slice(0, 16) };
}

/** Whether pip runs fully offline: a wheelhouse is given, so nothing comes from an index. */
export function isOffline(spec: EnvironmentSpec): boolean {
  return spec.wheels.length > 0 || spec.requirements.length === 0;
}

/** Whether the build needs the network: Debian packages, or requirements resolved from an index. */
export function needsNetwork(spec: EnvironmentSpec): boolean {
  return spec.apt.length > 0 || !isOffline(spec);
}

/** What a build will install, in words (the confirmation before a first build, `env show`). */
export function describePlan(spec: EnvironmentSpec): string[] {
  const lines: string[] = [];
  if (spec.apt.length) lines.push(`Debian packages (apt.txt, from the Debian mirror): ${spec.apt.map((a) => a.text).join(', ')}`);
  if (spec.requirements.length) {
    lines.push(`Python requirements (requirements.txt, ${isOffline(spec) ? 'offline from wheels/' : "from the host's pip index"}): ${spec.requirements.map((r) => r.text).join(', ')}`);
  }
  if (spec.wheels.length) {
    const what = spec.requirements.length ? 'available to the requirements' : 'installed';
    lines.push(`Wheelhouse (wheels/, ${what}): ${spec.wheels.map((w) => w.name).join(', ')}`);
  }
  return lines;
}

/** The Debian mirror the host itself uses (its apt sources), so a build uses the same one. */
export function hostDebianMirror(files: string[] = ['/etc/apt/sources.list', ...listSources('/etc/apt/sources.list.d')]): string | undefined {
  for (const file of files) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    // deb822 (`URIs: http://…/debian`) and one-line (`deb [opts] http://…/debian suite …`) formats.
    const uris = [...text.matchAll(/^\s*URIs:\s*(\S+)/gim)].map((m) => m[1]).concat([...text.matchAll(/^\s*deb\s+(?:\[[^\]]*\]\s+)?(\S+)/gim)].map((m) => m[1]));
    const main = uris.find((u) => /^https?:\/\/\S+\/debian\/?$/.test(u));
    if (main) return main.replace(/\/$/, '');
  }
  return undefined;
}

function listSources(dir: string): string[] {
  try {
    return readdirSync(dir)
      .filter((n) => n.endsWith('.sources') || n.endsWith('.list'))
      .sort()
      .map((n) => join(dir, n));
  } catch {
    return [];
  }
}
