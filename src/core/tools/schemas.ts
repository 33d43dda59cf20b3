import { LIMITS } from '../policy/limits';
import { ToolName } from './base';

/**
 * A tool's name, descriptions and JSON Schema for its input — the one source for the VS Code, CLI and
 * MCP surfaces. package.json's `contributes.languageModelTools` and the `tool.*` strings of
 * package.nls.json are generated from TOOL_SCHEMAS by `npm run manifest` (scripts/manifest.mjs).
 */
export interface ToolSchema {
  name: ToolName;
  /** The tool's display name (MCP title, VS Code displayName). */
  title: string;
  /** What the model reads (MCP description, VS Code modelDescription). */
  description: string;
  /** What VS Code shows users in the tool picker (userDescription). */
  userDescription: string;
  /** VS Code's icon for the tool, a codicon: `$(name)`. */
  icon: string;
  inputSchema: {
    type: 'object';
    properties: Record<string, Record<string, unknown>>;
    required: string[];
    additionalProperties: false;
  };
  readOnly: boolean;
  /** May overwrite or delete files in /mnt/data (code can; an upload replaces a file of the same name). */
  destructive: boolean;
  /**
   * Runs code the caller wrote (Python or shell) in the session: it needs the sessions' image, makes
   * its thread the active one, and confirms with the code shown. Not part of any input schema.
   */
  runsCode: boolean;
}

/** VS Code's id of a tool is this prefix and its name (`codeInterpreter_executePythonCode`). */
export const VSCODE_TOOL_PREFIX = 'codeInterpreter_';

const SANDBOX =
  'The sandbox is a local, network-less Docker container for this conversation (Debian, Python 3 with pandas, numpy, scipy, matplotlib, seaborn, plotly, scikit-learn, statsmodels, sympy, reportlab, openpyxl, xlsxwriter, python-docx, pymupdf, bs4, lxml, pyyaml, pillow, h5py, netCDF4, tabulate; shell tools ripgrep, jq, sqlite3, poppler-utils). Files live in /mnt/data and persist for the conversation. No internet access, no package installation.';

const path = (description: string) => ({ type: 'string', description, maxLength: LIMITS.maxPathChars });

export const TOOL_SCHEMAS: readonly ToolSchema[] = [
  {
    name: 'executePythonCode',
    title: 'Execute Python',
    description: `Run Python code in a stateful IPython kernel (variables persist between calls; the last expression is shown; DataFrames render as tables; matplotlib figures are returned as images without savefig). Working directory /mnt/data: save files there to hand them to the user. Processes may not be started from Python (use runShellCommand). Code ≤ ${LIMITS.maxCodeChars.toLocaleString('en-US')} characters; stdout is cut to ${LIMITS.modelStdoutChars.toLocaleString('en-US')} and stderr to ${LIMITS.modelStderrChars.toLocaleString('en-US')} characters (the whole output is saved in the session). ${SANDBOX}`,
    userDescription: "Run Python in this chat's local, network-less sandbox (pandas, matplotlib, …); variables and files persist for the thread.",
    icon: '$(play)',
    inputSchema: {
      type: 'object',
      properties: {
        pythonCode: { type: 'string', description: `Python code to run (up to ${LIMITS.maxCodeChars.toLocaleString('en-US')} characters).`, maxLength: LIMITS.maxCodeChars },
        timeoutSeconds: { type: 'integer', description: `Execution timeout in seconds (default ${LIMITS.pythonTimeout.default}, ${LIMITS.pythonTimeout.min}–${LIMITS.pythonTimeout.max}).`, minimum: LIMITS.pythonTimeout.min, maximum: LIMITS.pythonTimeout.max },
      },
      required: ['pythonCode'],
      additionalProperties: false,
    },
    readOnly: false,
    destructive: true,
    runsCode: true,
  },
  {
    name: 'runShellCommand',
    title: 'Run shell command',
    description: `Run a bash command in /mnt/data inside the sandbox (grep, awk, sed, jq, sqlite3, rg, pdftotext, zip…). Use relative paths; chain with ';'. Background jobs are not supported: every process the command started is ended when it finishes. Timeout ${LIMITS.shellTimeout.min}–${LIMITS.shellTimeout.max} s (default ${LIMITS.shellTimeout.default}). ${SANDBOX}`,
    userDescription: "Run a shell command in the sandbox's /mnt/data.",
    icon: '$(terminal)',
    inputSchema: {
      type: 'object',
      properties: {
        command: { type: 'string', description: 'Shell command to run (bash).', maxLength: LIMITS.maxCommandChars },
        explanation: { type: 'string', description: 'One sentence saying what the command does (logged with it).', maxLength: LIMITS.maxExplanationChars },
        isBackground: { type: 'boolean', description: 'Must be false: background jobs are not supported.' },
        timeoutSeconds: { type: 'integer', description: `Timeout in seconds (default ${LIMITS.shellTimeout.default}, ${LIMITS.shellTimeout.min}–${LIMITS.shellTimeout.max}).`, minimum: LIMITS.shellTimeout.min, maximum: LIMITS.shellTimeout.max },
      },
      required: ['command'],
      additionalProperties: false,
    },
    readOnly: false,
    destructive: true,
    runsCode: true,
  },
  {
    name: 'generatePdfReport',
    title: 'Generate PDF report',
    description: `Run Python code that writes a PDF (reportlab, matplotlib's PdfPages, or fitz) to expectedOutputFilename in /mnt/data; the tool checks it is a real PDF, saves it as saveAsFilename, reports its page count and shows page 1. Variables from earlier executions are available. Timeout ${LIMITS.pdfTimeout.min}–${LIMITS.pdfTimeout.max} s (default ${LIMITS.pdfTimeout.default}).`,
    userDescription: 'Run Python that writes a PDF report in the sandbox and check the result.',
    icon: '$(file-pdf)',
    inputSchema: {
      type: 'object',
      properties: {
        pythonCode: { type: 'string', description: 'Python code that creates the PDF file.', maxLength: LIMITS.maxCodeChars },
        expectedOutputFilename: path('Path relative to /mnt/data where the code saves the PDF, e.g. report.pdf.'),
        saveAsFilename: path('File name to save the report as for the user, e.g. daily_summary.pdf.'),
        timeoutSeconds: { type: 'integer', description: `Timeout in seconds (default ${LIMITS.pdfTimeout.default}, ${LIMITS.pdfTimeout.min}–${LIMITS.pdfTimeout.max}).`, minimum: LIMITS.pdfTimeout.min, maximum: LIMITS.pdfTimeout.max },
      },
      required: ['pythonCode', 'expectedOutputFilename', 'saveAsFilename'],
      additionalProperties: false,
    },
    readOnly: false,
    destructive: true,
    runsCode: true,
  },
  {
    name: 'readSessionFile',
    title: 'Read session file',
    description: `Read a text file from /mnt/data, ${LIMITS.maxReadLines.toLocaleString('en-US')} lines at most per call; page with offset (0-based line number).`,
    userDescription: "Read a text file from the sandbox's /mnt/data.",
    icon: '$(go-to-file)',
    inputSchema: {
      type: 'object',
      properties: {
        path: path('File path relative to /mnt/data.'),
        offset: { type: 'integer', description: 'First line to read (0-based, default 0).', minimum: 0 },
        lines: { type: 'integer', description: `Number of lines (default and maximum ${LIMITS.maxReadLines}).`, minimum: 1, maximum: LIMITS.maxReadLines },
      },
      required: ['path'],
      additionalProperties: false,
    },
    readOnly: true,
    destructive: false,
    runsCode: false,
  },
  {
    name: 'searchSessionFiles',
    title: 'Search session files',
    description: `Search text in the files of /mnt/data with a regular expression (ripgrep syntax); up to ${LIMITS.maxSearchMatches} matches.`,
    userDescription: "Search the sandbox's files with a regular expression.",
    icon: '$(search)',
    inputSchema: {
      type: 'object',
      properties: {
        pattern: { type: 'string', description: 'Regular expression to search for.', maxLength: LIMITS.maxPatternChars },
        path: path('Folder or file to search, relative to /mnt/data (default: all of it).'),
        glob: { type: 'string', description: "Only files matching this glob, e.g. '*.log'.", maxLength: LIMITS.maxGlobChars },
      },
      required: ['pattern'],
      additionalProperties: false,
    },
    readOnly: true,
    destructive: false,
    runsCode: false,
  },
  {
    name: 'listSessionFiles',
    title: 'List session files',
    description: 'List the files in /mnt/data (recursively) with size, type and modification time.',
    userDescription: "List the files in the sandbox's /mnt/data.",
    icon: '$(list-tree)',
    inputSchema: {
      type: 'object',
      properties: { path: path('Folder relative to /mnt/data (default: all of it).') },
      required: [],
      additionalProperties: false,
    },
    readOnly: true,
    destructive: false,
    runsCode: false,
  },
  {
    name: 'getSessionFile',
    title: 'Get session file',
    description: 'Hand a file from /mnt/data to the user: it is shown or opened for them; with saveTo it is saved into their workspace (after they confirm). Images are also shown to you.',
    userDescription: 'Hand a sandbox file to you, or save it into the workspace (asks first).',
    icon: '$(cloud-download)',
    inputSchema: {
      type: 'object',
      properties: {
        path: path('File path relative to /mnt/data.'),
        saveTo: path('Optional path in the user\'s workspace to save the file to.'),
      },
      required: ['path'],
      additionalProperties: false,
    },
    readOnly: false,
    destructive: false,
    runsCode: false,
  },
  {
    name: 'uploadFileToSession',
    title: 'Upload file to session',
    description: 'Copy a file from the user\'s workspace into /mnt/data so code can process it.',
    userDescription: 'Copy a workspace file into the sandbox (asks first).',
    icon: '$(cloud-upload)',
    inputSchema: {
      type: 'object',
      properties: {
        source: { type: 'string', description: 'Path of the workspace file to upload (relative to the workspace folder).', maxLength: LIMITS.maxPathChars },
        destination: path('Path relative to /mnt/data to store it at (default: the file name).'),
      },
      required: ['source'],
      additionalProperties: false,
    },
    readOnly: false,
    destructive: true,
    runsCode: false,
  },
];

/** The schema of a tool named by a model or a protocol (any string), if it is one of the eight. */
export function findToolSchema(name: unknown): ToolSchema | undefined {
  return TOOL_SCHEMAS.find((t) => t.name === name);
}

export function schemaOf(name: ToolName): ToolSchema {
  const s = findToolSchema(name);
  if (!s) throw new Error(`unknown tool ${name}`);
  return s;
}
