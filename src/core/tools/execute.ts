import { InputError } from '../errors';
import { LIMITS } from '../policy/limits';
import { validateSessionPath } from '../policy/paths';
import { formatBytes } from '../policy/truncate';
import { validateCode, validateString, validateTimeout } from '../policy/validate';
import { ToolContext } from './context';
import { runTool } from './base';
import { describeExecution, ToolOutcome } from './outcome';

export interface ExecutePythonInput {
  pythonCode: string;
  timeoutSeconds?: number;
}

export interface RunShellInput {
  command: string;
  explanation?: string;
  isBackground?: boolean;
  timeoutSeconds?: number;
}

export interface GeneratePdfInput {
  pythonCode: string;
  expectedOutputFilename: string;
  saveAsFilename: string;
  timeoutSeconds?: number;
}

export function executePythonCode(input: ExecutePythonInput, ctx: ToolContext): Promise<ToolOutcome> {
  return runTool('executePythonCode', ctx, input?.pythonCode, async (session) => {
    const code = validateCode(input?.pythonCode, 'pythonCode');
    const timeout = validateTimeout(input?.timeoutSeconds, LIMITS.pythonTimeout);
    const result = await session.runPython(code, { timeoutMs: timeout * 1000, signal: ctx.signal, onOutput: ctx.onOutput, onStart: ctx.onStart });
    return describeExecution('executePythonCode', result, timeout);
  });
}

export function runShellCommand(input: RunShellInput, ctx: ToolContext): Promise<ToolOutcome> {
  return runTool('runShellCommand', ctx, input?.command, async (session) => {
    const command = validateCode(input?.command, 'command', LIMITS.maxCommandChars);
    validateString(input?.explanation, 'explanation', { optional: true, maxChars: LIMITS.maxExplanationChars });
    if (input?.isBackground !== undefined && input.isBackground !== false) {
      throw new InputError('isBackground must be false: background jobs are not supported in the sandbox.', `Run the command in the foreground (it may take up to ${LIMITS.shellTimeout.max} s), or split the work.`);
    }
    const timeout = validateTimeout(input?.timeoutSeconds, LIMITS.shellTimeout);
    const result = await session.runShell(command, { timeoutMs: timeout * 1000, signal: ctx.signal, onOutput: ctx.onOutput, onStart: ctx.onStart });
    return describeExecution('runShellCommand', result, timeout);
  });
}

export function generatePdfReport(input: GeneratePdfInput, ctx: ToolContext): Promise<ToolOutcome> {
  return runTool('generatePdfReport', ctx, input?.pythonCode, async (session) => {
    const code = validateCode(input?.pythonCode, 'pythonCode');
    const expected = validateSessionPath(input?.expectedOutputFilename, { what: 'expectedOutputFilename' });
    const saveAs = validateSessionPath(input?.saveAsFilename, { what: 'saveAsFilename' });
    if (!saveAs.toLowerCase().endsWith('.pdf')) {
      throw new InputError(`saveAsFilename '${saveAs}' must end in .pdf.`);
    }
    const timeout = validateTimeout(input?.timeoutSeconds, LIMITS.pdfTimeout);
    const result = await session.runPython(code, { timeoutMs: timeout * 1000, signal: ctx.signal, onOutput: ctx.onOutput, onStart: ctx.onStart }, 'pdf');
    const described = describeExecution('generatePdfReport', result, timeout);
    if (result.record.status !== 'ok') {
      return { ...described, text: `The PDF was not generated: the code did not finish successfully.\n${described.text}` };
    }
    const where = await session.files.resolve(expected);
    if (!where.exists) {
      return {
        ...described,
        status: 'error',
        text: `The code ran, but it did not create '${expected}' in /mnt/data. Save the PDF to that path (e.g. canvas.Canvas('${expected}')) and try again.\n${described.text}`,
      };
    }
    const info = await session.files.pdfInfo(expected);
    if (!info.isPdf) {
      return { ...described, status: 'error', text: `'${expected}' exists but is not a valid PDF (it does not start with %PDF- or cannot be opened). Check the code that writes it.\n${described.text}` };
    }
    if (saveAs !== expected) await session.files.copy(expected, saveAs);
    const listing = await session.files.list(saveAs, 1);
    const size = listing.entries.find((e) => e.type === 'file')?.size ?? 0;
    const images = info.previewPng ? [{ mimeType: 'image/png' as const, data: info.previewPng, path: saveAs }] : [];
    const summary = `PDF report saved as ${saveAs} (${info.pages} page${info.pages === 1 ? '' : 's'}, ${formatBytes(size)}).${images.length ? ' A preview of page 1 is attached.' : ''}`;
    const files = described.files.filter((f) => f.path !== saveAs);
    files.unshift({ path: saveAs, size, type: 'application/pdf', change: 'saved' });
    return { ...described, status: 'ok', text: `${summary}\n${described.text === '(no output)' ? '' : described.text}`.trim(), images: [...images, ...described.images], files, data: { pages: info.pages } };
  });
}
