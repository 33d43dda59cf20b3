/**
 * What provides a missing Python module or shell command, read from a failed execution, and the
 * words the model reads about it: the Debian package and the pip name, and how the user adds one to
 * the workspace's sandbox environment (`.code-interpreter/apt.txt`, `requirements.txt`, `wheels/`).
 * Nothing can be installed inside the sandbox itself: it has no network and no pip.
 *
 * Debian names are the ones Debian trixie (the image's release) has; where that was not certain the
 * entry names pip only. Pure logic: no Docker, no vscode.
 */
import { ExecutionRecord, Output, streamText } from '../notebook/nbformat';
import { LIMITS } from '../policy/limits';
import { ENV_DIR_NAME, ENV_FILES } from './spec';

export interface PackageHint {
  kind: 'module' | 'command';
  /** The module (as Python named it, e.g. `cv2` or `google.protobuf`) or the command. */
  missing: string;
  /** The Debian package that provides it, when one is known (never a guess). */
  apt?: string;
  /** The pip (PyPI) project name: known, or for an unknown module the module's own name. */
  pip?: string;
}

export interface Provider {
  apt?: string;
  pip?: string;
  /** A sentence the model should also read (size, an extra requirement, a different import name). */
  note?: string;
}

/**
 * Top-level import names (dotted for namespace packages) → what provides them. Debian names were
 * checked against the Debian archive; an entry without `apt` has no Debian package (or none certain).
 */
export const MODULE_PROVIDERS: Readonly<Record<string, Provider>> = {
  // Images, vision
  cv2: { apt: 'python3-opencv', pip: 'opencv-python-headless' },
  PIL: { apt: 'python3-pil', pip: 'Pillow' },
  skimage: { apt: 'python3-skimage', pip: 'scikit-image' },
  imageio: { apt: 'python3-imageio', pip: 'imageio' },
  wand: { apt: 'python3-wand', pip: 'Wand' },
  cairosvg: { apt: 'python3-cairosvg', pip: 'CairoSVG' },
  qrcode: { apt: 'python3-qrcode', pip: 'qrcode' },
  pytesseract: { pip: 'pytesseract', note: 'It also needs the tesseract command: the Debian package tesseract-ocr in apt.txt.' },
  // Data, formats
  yaml: { apt: 'python3-yaml', pip: 'PyYAML' },
  polars: { pip: 'polars' },
  pyarrow: { pip: 'pyarrow', note: 'pandas needs it (or fastparquet) for Parquet files.' },
  fastparquet: { pip: 'fastparquet' },
  duckdb: { pip: 'duckdb' },
  tables: { apt: 'python3-tables', pip: 'tables' },
  xarray: { apt: 'python3-xarray', pip: 'xarray' },
  dask: { apt: 'python3-dask', pip: 'dask' },
  sqlalchemy: { apt: 'python3-sqlalchemy', pip: 'SQLAlchemy' },
  odf: { apt: 'python3-odf', pip: 'odfpy' },
  pyxlsb: { pip: 'pyxlsb' },
  pyreadstat: { pip: 'pyreadstat' },
  xmltodict: { apt: 'python3-xmltodict', pip: 'xmltodict' },
  toml: { apt: 'python3-toml', pip: 'toml' },
  zstandard: { apt: 'python3-zstandard', pip: 'zstandard' },
  lz4: { apt: 'python3-lz4', pip: 'lz4' },
  brotli: { apt: 'python3-brotli', pip: 'Brotli' },
  'google.protobuf': { apt: 'python3-protobuf', pip: 'protobuf' },
  // Documents, PDF
  bs4: { apt: 'python3-bs4', pip: 'beautifulsoup4' },
  docx: { apt: 'python3-docx', pip: 'python-docx' },
  pptx: { pip: 'python-pptx' },
  fitz: { apt: 'python3-fitz', pip: 'PyMuPDF' },
  pymupdf: { apt: 'python3-fitz', pip: 'PyMuPDF' },
  pypdf: { apt: 'python3-pypdf', pip: 'pypdf' },
  PyPDF2: { pip: 'PyPDF2', note: 'pypdf is its maintained successor (Debian: python3-pypdf).' },
  pdfminer: { apt: 'python3-pdfminer', pip: 'pdfminer.six' },
  pdfplumber: { pip: 'pdfplumber' },
  pikepdf: { apt: 'python3-pikepdf', pip: 'pikepdf' },
  tabula: { pip: 'tabula-py', note: 'It runs Java: add default-jre-headless to apt.txt too.' },
  camelot: { pip: 'camelot-py' },
  weasyprint: { apt: 'python3-weasyprint', pip: 'weasyprint' },
  fpdf: { pip: 'fpdf2' },
  html2text: { apt: 'python3-html2text', pip: 'html2text' },
  markdownify: { pip: 'markdownify' },
  ebooklib: { apt: 'python3-ebooklib', pip: 'EbookLib' },
  magic: { apt: 'python3-magic', pip: 'python-magic' },
  // Machine learning, statistics
  sklearn: { apt: 'python3-sklearn', pip: 'scikit-learn' },
  imblearn: { apt: 'python3-imblearn', pip: 'imbalanced-learn' },
  xgboost: { apt: 'python3-xgboost', pip: 'xgboost' },
  lightgbm: { pip: 'lightgbm' },
  catboost: { pip: 'catboost' },
  torch: { apt: 'python3-torch', pip: 'torch', note: 'It is large (hundreds of MB); Debian\'s build is CPU-only, as the sandbox is.' },
  tensorflow: { pip: 'tensorflow', note: 'It is very large (hundreds of MB of wheels); Debian has no package for it.' },
  keras: { pip: 'keras', note: 'It also needs a backend (tensorflow, torch or jax).' },
  transformers: { pip: 'transformers', note: 'Models cannot be downloaded at run time (no network): their files must be uploaded too.' },
  numba: { apt: 'python3-numba', pip: 'numba' },
  shap: { pip: 'shap' },
  umap: { pip: 'umap-learn' },
  prophet: { pip: 'prophet' },
  pmdarima: { pip: 'pmdarima' },
  lifelines: { pip: 'lifelines' },
  pymc: { pip: 'pymc' },
  emcee: { apt: 'python3-emcee', pip: 'emcee' },
  lmfit: { apt: 'python3-lmfit', pip: 'lmfit' },
  pulp: { apt: 'python3-pulp', pip: 'PuLP' },
  cvxpy: { pip: 'cvxpy' },
  pywt: { apt: 'python3-pywt', pip: 'PyWavelets' },
  uncertainties: { apt: 'python3-uncertainties', pip: 'uncertainties' },
  pint: { apt: 'python3-pint', pip: 'Pint' },
  gmpy2: { apt: 'python3-gmpy2', pip: 'gmpy2' },
  astropy: { apt: 'python3-astropy', pip: 'astropy' },
  Bio: { apt: 'python3-biopython', pip: 'biopython' },
  // Text, language
  nltk: { apt: 'python3-nltk', pip: 'nltk', note: 'Its corpora and models are downloaded separately: nltk.download() cannot work without network.' },
  spacy: { pip: 'spacy', note: 'Its language models are separate packages (wheels) too.' },
  langdetect: { apt: 'python3-langdetect', pip: 'langdetect' },
  jieba: { apt: 'python3-jieba', pip: 'jieba' },
  unidecode: { apt: 'python3-unidecode', pip: 'Unidecode' },
  chardet: { apt: 'python3-chardet', pip: 'chardet' },
  Levenshtein: { apt: 'python3-levenshtein', pip: 'Levenshtein' },
  thefuzz: { apt: 'python3-thefuzz', pip: 'thefuzz' },
  rapidfuzz: { pip: 'RapidFuzz' },
  emoji: { apt: 'python3-emoji', pip: 'emoji' },
  wordcloud: { apt: 'python3-wordcloud', pip: 'wordcloud' },
  // Plots, graphs
  altair: { apt: 'python3-altair', pip: 'altair' },
  bokeh: { pip: 'bokeh' },
  folium: { apt: 'python3-folium', pip: 'folium' },
  kaleido: { pip: 'kaleido', note: 'Plotly can also save HTML (fig.write_html), which needs nothing extra.' },
  graphviz: { apt: 'python3-graphviz', pip: 'graphviz', note: 'Rendering also needs the dot command: the Debian package graphviz.' },
  pydot: { apt: 'python3-pydot', pip: 'pydot' },
  igraph: { apt: 'python3-igraph', pip: 'igraph' },
  // Geo
  geopandas: { apt: 'python3-geopandas', pip: 'geopandas' },
  shapely: { apt: 'python3-shapely', pip: 'shapely' },
  pyproj: { apt: 'python3-pyproj', pip: 'pyproj' },
  fiona: { apt: 'python3-fiona', pip: 'fiona' },
  rasterio: { apt: 'python3-rasterio', pip: 'rasterio' },
  osgeo: { apt: 'python3-gdal', pip: 'GDAL' },
  cartopy: { apt: 'python3-cartopy', pip: 'Cartopy' },
  geopy: { apt: 'python3-geopy', pip: 'geopy' },
  rtree: { apt: 'python3-rtree', pip: 'Rtree' },
  shapefile: { apt: 'python3-pyshp', pip: 'pyshp' },
  geojson: { apt: 'python3-geojson', pip: 'geojson' },
  h3: { pip: 'h3' },
  'mpl_toolkits.basemap': { apt: 'python3-mpltoolkits.basemap', pip: 'basemap' },
  // Dates, places, misc
  dateutil: { apt: 'python3-dateutil', pip: 'python-dateutil' },
  humanize: { apt: 'python3-humanize', pip: 'humanize' },
  holidays: { apt: 'python3-holidays', pip: 'holidays' },
  dateparser: { apt: 'python3-dateparser', pip: 'dateparser' },
  pycountry: { apt: 'python3-pycountry', pip: 'pycountry' },
  phonenumbers: { apt: 'python3-phonenumbers', pip: 'phonenumbers' },
  rich: { apt: 'python3-rich', pip: 'rich' },
  psutil: { apt: 'python3-psutil', pip: 'psutil' },
  // Audio
  pydub: { apt: 'python3-pydub', pip: 'pydub', note: 'Most formats also need the ffmpeg command: the Debian package ffmpeg.' },
  soundfile: { apt: 'python3-soundfile', pip: 'soundfile' },
  librosa: { pip: 'librosa' },
  mutagen: { apt: 'python3-mutagen', pip: 'mutagen' },
  // Crypto: Debian's python3-pycryptodome installs as `Cryptodome`, not `Crypto`.
  Crypto: { pip: 'pycryptodome', note: "Debian's python3-pycryptodome provides the same library under the name Cryptodome (import Cryptodome instead of Crypto)." },
  Cryptodome: { apt: 'python3-pycryptodome', pip: 'pycryptodomex' },
};

/** Commands → the Debian package that provides them (checked against the Debian archive). */
export const COMMAND_PROVIDERS: Readonly<Record<string, Provider>> = {
  convert: { apt: 'imagemagick' },
  magick: { apt: 'imagemagick' },
  identify: { apt: 'imagemagick' },
  mogrify: { apt: 'imagemagick' },
  montage: { apt: 'imagemagick' },
  ffmpeg: { apt: 'ffmpeg' },
  ffprobe: { apt: 'ffmpeg' },
  gnuplot: { apt: 'gnuplot-nox' },
  dot: { apt: 'graphviz' },
  neato: { apt: 'graphviz' },
  pandoc: { apt: 'pandoc' },
  tesseract: { apt: 'tesseract-ocr' },
  qpdf: { apt: 'qpdf' },
  pdftk: { apt: 'pdftk-java' },
  mutool: { apt: 'mupdf-tools' },
  gs: { apt: 'ghostscript' },
  ghostscript: { apt: 'ghostscript' },
  ocrmypdf: { apt: 'ocrmypdf' },
  img2pdf: { apt: 'img2pdf' },
  'rsvg-convert': { apt: 'librsvg2-bin' },
  inkscape: { apt: 'inkscape' },
  soffice: { apt: 'libreoffice-nogui', note: 'LibreOffice is large (several hundred MB).' },
  libreoffice: { apt: 'libreoffice-nogui', note: 'LibreOffice is large (several hundred MB).' },
  pdflatex: { apt: 'texlive-latex-base' },
  latex: { apt: 'texlive-latex-base' },
  xelatex: { apt: 'texlive-xetex' },
  exiftool: { apt: 'libimage-exiftool-perl' },
  mediainfo: { apt: 'mediainfo' },
  sox: { apt: 'sox' },
  optipng: { apt: 'optipng' },
  pngquant: { apt: 'pngquant' },
  cwebp: { apt: 'webp' },
  gifsicle: { apt: 'gifsicle' },
  csvkit: { apt: 'csvkit' },
  csvlook: { apt: 'csvkit' },
  csvstat: { apt: 'csvkit' },
  csvcut: { apt: 'csvkit' },
  csvgrep: { apt: 'csvkit' },
  csvsql: { apt: 'csvkit' },
  csvjson: { apt: 'csvkit' },
  in2csv: { apt: 'csvkit' },
  mlr: { apt: 'miller' },
  datamash: { apt: 'datamash' },
  xmllint: { apt: 'libxml2-utils' },
  xsltproc: { apt: 'xsltproc' },
  xmlstarlet: { apt: 'xmlstarlet' },
  yq: { apt: 'yq' },
  bc: { apt: 'bc' },
  dc: { apt: 'dc' },
  units: { apt: 'units' },
  tree: { apt: 'tree' },
  parallel: { apt: 'parallel' },
  xxd: { apt: 'xxd' },
  hexdump: { apt: 'bsdextrautils' },
  column: { apt: 'bsdextrautils' },
  dos2unix: { apt: 'dos2unix' },
  zstd: { apt: 'zstd' },
  pigz: { apt: 'pigz' },
  ogr2ogr: { apt: 'gdal-bin' },
  gdalinfo: { apt: 'gdal-bin' },
  ncdump: { apt: 'netcdf-bin' },
  h5dump: { apt: 'hdf5-tools' },
  git: { apt: 'git', note: 'Cloning or fetching cannot work (no network); local repositories can.' },
  make: { apt: 'make' },
  gcc: { apt: 'gcc' },
  cc: { apt: 'gcc' },
  'g++': { apt: 'g++' },
  cmake: { apt: 'cmake' },
  R: { apt: 'r-base-core' },
  Rscript: { apt: 'r-base-core' },
  node: { apt: 'nodejs' },
  nodejs: { apt: 'nodejs' },
  java: { apt: 'default-jre-headless' },
  octave: { apt: 'octave' },
  ruby: { apt: 'ruby' },
  php: { apt: 'php-cli' },
  lua: { apt: 'lua5.4' },
  curl: { apt: 'curl', note: 'The sandbox has no network, so downloads would fail anyway: the user can upload the file instead.' },
  wget: { apt: 'wget', note: 'The sandbox has no network, so downloads would fail anyway: the user can upload the file instead.' },
  ssh: { note: 'The sandbox has no network: remote hosts cannot be reached.' },
  scp: { note: 'The sandbox has no network: remote hosts cannot be reached.' },
  ping: { note: 'The sandbox has no network: remote hosts cannot be reached.' },
  python: { apt: 'python-is-python3', note: 'Use python3, which is installed (or the executePythonCode tool).' },
  sudo: { note: 'There is no sudo: the sandbox runs as an unprivileged user with a read-only system.' },
  conda: { note: 'There is no conda: Python packages come from Debian (apt.txt) or pip wheels (requirements.txt).' },
  mamba: { note: 'There is no conda: Python packages come from Debian (apt.txt) or pip wheels (requirements.txt).' },
};

const MODULES = MODULE_PROVIDERS;
const COMMANDS = COMMAND_PROVIDERS;

/** Commands that are pip itself: the hint is about the package being installed, when one is named. */
const PIP_COMMANDS = new Set(['pip', 'pip3']);

const NAME = /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$/;
const COMMAND_NAME = /^[A-Za-z0-9_][A-Za-z0-9_.+-]*$/;

/** The provider entry for a module: the full dotted name, then each shorter prefix down to the top level. */
function lookupModule(name: string): { key: string; provider: Provider } | undefined {
  const parts = name.split('.');
  for (let n = parts.length; n > 0; n--) {
    const key = parts.slice(0, n).join('.');
    if (Object.prototype.hasOwnProperty.call(MODULES, key)) return { key, provider: MODULES[key] };
  }
  return undefined;
}

function moduleHint(name: string): PackageHint | undefined {
  if (!NAME.test(name)) return undefined;
  if (name === 'pip' || name.startsWith('pip.')) return { kind: 'command', missing: 'pip' };
  const found = lookupModule(name);
  if (found) return clean({ kind: 'module', missing: name, apt: found.provider.apt, pip: found.provider.pip });
  return { kind: 'module', missing: name, pip: name.split('.')[0] };
}

function commandHint(name: string): PackageHint | undefined {
  if (!COMMAND_NAME.test(name)) return undefined;
  if (PIP_COMMANDS.has(name)) return { kind: 'command', missing: 'pip' };
  const provider = Object.prototype.hasOwnProperty.call(COMMANDS, name) ? COMMANDS[name] : undefined;
  return clean({ kind: 'command', missing: name, apt: provider?.apt });
}

/** A hint without undefined fields (it is serialised, compared and shown as is). */
function clean(hint: PackageHint): PackageHint {
  const out: PackageHint = { kind: hint.kind, missing: hint.missing };
  if (hint.apt) out.apt = hint.apt;
  if (hint.pip) out.pip = hint.pip;
  return out;
}

const normalizePip = (name: string) => name.toLowerCase().replace(/[-_.]+/g, '-');

/** pip projects that provide a module of the table under another project name. */
const PIP_ALIASES: Record<string, string> = {
  'opencv-python': 'cv2',
  'opencv-contrib-python': 'cv2',
  'opencv-contrib-python-headless': 'cv2',
  'tensorflow-cpu': 'tensorflow',
  pytorch: 'torch',
  pycrypto: 'Crypto',
  'pypdf2': 'PyPDF2',
};

/** The module a pip project provides, from the table; else the project name itself. */
function hintForPipProject(project: string): PackageHint {
  const wanted = normalizePip(project);
  const alias = PIP_ALIASES[wanted];
  if (alias) {
    const p = MODULES[alias];
    return clean({ kind: 'module', missing: alias, apt: p.apt, pip: p.pip });
  }
  for (const [key, provider] of Object.entries(MODULES)) {
    if (provider.pip && normalizePip(provider.pip) === wanted) return clean({ kind: 'module', missing: key, apt: provider.apt, pip: provider.pip });
  }
  const byModule = lookupModule(project);
  if (byModule) return clean({ kind: 'module', missing: byModule.key, apt: byModule.provider.apt, pip: byModule.provider.pip });
  return { kind: 'module', missing: project, pip: project };
}

/** The first project a `pip install …` / `%pip install …` / `python3 -m pip install …` in the code names. */
function pipInstallTarget(code: string): string | undefined {
  const m = /(?:^|[\s;&|!%(])(?:pip3?|python3?\s+-m\s+pip)\s+install\s+([^\n;&|)]*)/m.exec(code);
  if (!m) return undefined;
  const words = m[1].trim().split(/\s+/);
  for (let i = 0; i < words.length; i++) {
    const w = words[i].replace(/^["']|["']$/g, '');
    if (w.startsWith('-')) {
      // Options that take a value: skip it too.
      if (/^(-r|--requirement|-c|--constraint|-i|--index-url|--extra-index-url|-f|--find-links|-t|--target|--prefix|--root|-e|--editable)$/.test(w)) i++;
      continue;
    }
    const name = /^[A-Za-z0-9][A-Za-z0-9._-]*/.exec(w)?.[0];
    if (name) return name;
  }
  return undefined;
}

/** A pip hint names the project being installed when the code says which; else pip itself. */
function resolvePip(hint: PackageHint | undefined, code: string): PackageHint | undefined {
  if (!hint || hint.missing !== 'pip' || hint.kind !== 'command') return hint;
  const target = pipInstallTarget(code);
  return target ? hintForPipProject(target) : hint;
}

const MODULE_LINE = /^(?:ModuleNotFoundError|ImportError): No module named '([^']+)'/m;
const NO_MODULE = /No module named '([^']+)'/;
const NO_MODULE_PIP = /: No module named pip\b/;
const OPTIONAL_DEPENDENCY = /Missing optional dependency '([^']+)'/;
const PARQUET_ENGINE = /Unable to find a usable engine; tried using: 'pyarrow'/;
/** bash (`bash: line 1: x: command not found`), dash (`sh: 1: x: not found`), env/xargs/timeout. */
const COMMAND_PATTERNS = [
  /^(?:[^\n]*?: )?([^\s:'"`/]+): command not found\s*$/m,
  /^(?:\/bin\/)?(?:da)?sh: \d+: ([^\s:'"`/]+): not found\s*$/m,
  /^(?:env|xargs|nice|nohup|stdbuf|timeout|time): (?:failed to run command )?['‘]?([^\s:'"`/’]+)['’]?: No such file or directory\s*$/m,
];

function fromError(o: Output): PackageHint | undefined {
  if (o.output_type !== 'error') return undefined;
  const evalue = o.evalue ?? '';
  if (o.ename === 'ModuleNotFoundError' || o.ename === 'ImportError') {
    const m = NO_MODULE.exec(evalue);
    if (m) return moduleHint(m[1]);
    const opt = OPTIONAL_DEPENDENCY.exec(evalue);
    if (opt) return moduleHint(opt[1]);
    if (PARQUET_ENGINE.test(evalue)) return moduleHint('pyarrow');
  }
  return undefined;
}

function fromStderr(stderr: string): PackageHint | undefined {
  if (NO_MODULE_PIP.test(stderr)) return { kind: 'command', missing: 'pip' };
  const mod = MODULE_LINE.exec(stderr);
  const cmd = COMMAND_PATTERNS.map((p) => p.exec(stderr)).filter((m): m is RegExpExecArray => !!m).sort((a, b) => a.index - b.index)[0];
  // Whichever the output reported first.
  if (mod && (!cmd || mod.index < cmd.index)) return moduleHint(mod[1]);
  if (cmd) return commandHint(cmd[1]);
  return undefined;
}

/**
 * From a failed execution's outputs: a Python error naming a missing module (`ModuleNotFoundError`,
 * pandas' "Missing optional dependency"), or a shell's stderr saying a command was not found (exit
 * code 127, when given, names the command of a simple command line whose stderr was discarded).
 * Undefined when nothing is missing, or the name cannot be told.
 */
export function findPackageHint(record: ExecutionRecord, exitCode?: number): PackageHint | undefined {
  const hint = findHint(record, exitCode);
  // The names come from what the code printed or raised: one longer than any real module, command or
  // project is no hint (it would be repeated, whole, in the text a model reads).
  const fits = (name: string | undefined) => name === undefined || name.length <= LIMITS.maxHintNameChars;
  return hint && fits(hint.missing) && fits(hint.apt) && fits(hint.pip) ? hint : undefined;
}

function findHint(record: ExecutionRecord, exitCode?: number): PackageHint | undefined {
  for (const o of record.outputs) {
    const hint = fromError(o);
    if (hint) return resolvePip(hint, record.code);
  }
  if (record.kind === 'shell') {
    const hint = fromStderr(streamText(record.outputs, 'stderr'));
    if (hint) return resolvePip(hint, record.code);
    if (exitCode === 127) {
      const first = /^\s*([A-Za-z0-9_][A-Za-z0-9_.+-]*)(?:\s|$)/.exec(record.code)?.[1];
      if (first) return resolvePip(commandHint(first), record.code);
    }
  } else if (record.status !== 'ok' && /^\s*[%!]\s*pip3?\s+install\b/m.test(record.code)) {
    // `%pip install x` / `!pip install x` in a cell: the kernel refuses it; name what was wanted.
    return resolvePip({ kind: 'command', missing: 'pip' }, record.code);
  }
  return undefined;
}

const q = (s: string) => `\`${s}\``;
const APT_PATH = `${ENV_DIR_NAME}/${ENV_FILES.apt}`;
const REQ_PATH = `${ENV_DIR_NAME}/${ENV_FILES.requirements}`;
const WHEELS_PATH = `${ENV_DIR_NAME}/${ENV_FILES.wheels}/`;

/** Debian's usual name for a Python module's package (a guess, said as one). */
function debianGuess(module: string): string {
  return 'python3-' + module.split('.')[0].toLowerCase().replace(/_/g, '-');
}

function noteFor(hint: PackageHint): string | undefined {
  if (hint.kind === 'command') return Object.prototype.hasOwnProperty.call(COMMANDS, hint.missing) ? COMMANDS[hint.missing].note : undefined;
  return lookupModule(hint.missing)?.provider.note;
}

/** The sentence(s) appended to the tool text for the model. */
export function hintText(hint: PackageHint): string {
  const cannot = 'It cannot be installed from inside the sandbox (no network, no pip or apt-get at run time), so do not try.';
  const rebuild = 'the sandbox environment is then rebuilt with it.';
  const note = noteFor(hint);
  const parts: string[] = [];

  if (hint.kind === 'command' && hint.missing === 'pip' && !hint.pip && !hint.apt) {
    parts.push(`pip is not available in this sandbox: packages cannot be installed from inside it (no network, read-only system).`);
    parts.push(`Python packages are added by the user to the workspace's sandbox environment: a Debian package (python3-<name>, preferred) in ${q(APT_PATH)}, or a pip requirement in ${q(REQ_PATH)} (with its wheels in ${q(WHEELS_PATH)} for an offline build); ${rebuild} Meanwhile, use the modules that are installed.`);
    return parts.join(' ');
  }

  if (hint.kind === 'module') {
    parts.push(`The Python module ${q(hint.missing)} is not installed in this sandbox. ${cannot}`);
    if (hint.apt) {
      const pip = hint.pip ? ` (pip name: ${q(hint.pip)})` : '';
      parts.push(`The Debian package ${q(hint.apt)} provides it${pip}.`);
      const alt = hint.pip ? `, or ${q(hint.pip)} to ${q(REQ_PATH)} (with its wheels in ${q(WHEELS_PATH)} for an offline build)` : '';
      parts.push(`Tell the user they can add ${q(hint.apt)} to the workspace's ${q(APT_PATH)} (preferred: Debian's build, installed from the host's Debian mirror)${alt}; ${rebuild}`);
    } else if (hint.pip && lookupModule(hint.missing)) {
      parts.push(`pip's ${q(hint.pip)} provides it (Debian has no package for it).`);
      parts.push(`Tell the user they can add ${q(hint.pip)} to the workspace's ${q(REQ_PATH)} (installed from the host's pip index when building, or offline from wheels in ${q(WHEELS_PATH)}); ${rebuild}`);
    } else {
      const pip = hint.pip ?? hint.missing.split('.')[0];
      parts.push(`It is probably provided by the Debian package ${q(debianGuess(hint.missing))} (if Debian has it) or by pip's ${q(pip)} (the pip name can differ from the module name).`);
      parts.push(`Tell the user they can add the Debian package to the workspace's ${q(APT_PATH)} (preferred), or the pip name to ${q(REQ_PATH)} (with its wheels in ${q(WHEELS_PATH)} for an offline build); ${rebuild}`);
    }
  } else {
    parts.push(`The command ${q(hint.missing)} is not installed in this sandbox. ${cannot}`);
    if (hint.apt) {
      parts.push(`The Debian package ${q(hint.apt)} provides it.`);
      parts.push(`Tell the user they can add ${q(hint.apt)} to the workspace's ${q(APT_PATH)} (installed from the host's Debian mirror); ${rebuild}`);
    } else if (!note) {
      parts.push(`If a Debian package provides it, the user can add that package to the workspace's ${q(APT_PATH)}; ${rebuild}`);
    }
  }
  if (note) parts.push(note);
  parts.push(hint.kind === 'module' ? 'Meanwhile, use the modules that are installed if the task allows.' : 'Meanwhile, use Python or the commands that are installed if the task allows.');
  return parts.join(' ');
}
