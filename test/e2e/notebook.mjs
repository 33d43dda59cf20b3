// Issue 15, "Open a chat thread as a notebook", in the real browser: `@interpreter /notebook` opens the
// current chat thread as a notebook on its live session (the agent's cells shown, the sandbox
// controller selected); a cell the user types and runs there sets a variable that the next
// @interpreter request reads (one kernel); that request's cell is appended to the open notebook with
// its output; a long cell is interrupted from the notebook (VS Code's own Interrupt) with
// KeyboardInterrupt, and its Restart clears the variables. The audit log says who ran what, in which thread.
import { assert, log, sleep, waitFor } from './lib.mjs';

const PYTHON_TOOL = 'codeInterpreter_executePythonCode';

/** The scripted model's scenario: read the variable a notebook cell set (fixtures/scripted-model reads scenarios.json). */
export function notebookVariableScenario() {
  return {
    name: 'nbvar',
    match: '\\bnotebook variable\\b',
    steps: [{ tool: PYTHON_TOOL, input: { pythonCode: 'print("E2E_NBVAR read", nb_value * 2)', timeoutSeconds: 60 } }],
    answer: { prefix: 'E2E_ANSWER nbvar', echo: 'E2E_NBVAR|Error' },
  };
}

/** The notebook's output webview (not the output panel, whose cells are `section.cell`) showing `needle`. */
async function notebookOutputs(wb, needle, timeoutMs) {
  return waitFor(`"${needle}" in the notebook's outputs`, async () => {
    for (const f of await wb.framesWithText(needle)) if (!(await f.evaluate(() => !!document.querySelector('section.cell')).catch(() => true))) return f;
    return false;
  }, { timeoutMs, intervalMs: 1000 });
}

/** The text of the notebook's code cells (their editors), top to bottom. */
async function cellTexts(page) {
  return page.locator('.notebook-editor .code-cell-row .monaco-editor .view-lines').evaluateAll((els) => els.map((e) => e.innerText.replace(/\u00a0/g, ' ')));
}

/** A new code cell at the bottom, typed by the user and run (VS Code's own commands). */
async function typeAndRunCell(wb, control, code) {
  const page = wb.page;
  await control.command('notebook.focusBottom');
  await control.command('notebook.cell.insertCodeCellBelow');
  await sleep(500);
  const editor = page.locator('.notebook-editor .code-cell-row').last().locator('.monaco-editor .view-lines');
  await editor.click({ force: true });
  await page.keyboard.type(code, { delay: 5 });
  await sleep(300);
  await page.keyboard.press('Escape');
  const typed = (await cellTexts(page)).pop();
  assert(typed && typed.replace(/\s+/g, '') === code.replace(/\s+/g, ''), `the new cell holds ${JSON.stringify(typed)}, not ${JSON.stringify(code)}`);
  // The command resolves when the cell has run: not waited for (a long cell is interrupted meanwhile).
  await control.send({ op: 'command', command: 'notebook.cell.execute', args: [] }, { wait: false });
}

export async function checkThreadNotebook({ wb, control, auditEntries, transcript, approvals }) {
  const page = wb.page;
  // The chat in view is a thread that has run the scripted model's code (the recall in a new thread,
  // or the chart when only this check and the chart's run: E2E_ONLY).
  const n = await wb.responseCount();
  await wb.typeChat('@interpreter /notebook open this thread');
  await wb.waitForResponse(/Opened this thread as a notebook/, { timeoutMs: 60_000, minIndex: n });
  await page.locator('.notebook-editor').first().waitFor({ state: 'visible', timeout: 30_000 });
  const AGENT = /E2E_(RECALL|CHART)/;
  await waitFor('the agent\'s cell in the notebook', async () => (await cellTexts(page)).some((t) => AGENT.test(t)), { timeoutMs: 30_000 });
  await waitFor('the notebook\'s kernel to be "Code Interpreter Sandbox"', async () => /Code Interpreter Sandbox/.test(await page.locator('.monaco-workbench').innerText().catch(() => '')), { timeoutMs: 15_000, intervalMs: 500 });
  const opened = await control.send({ op: 'notebook' });
  log(`opened: ${JSON.stringify(opened.cells.map((c) => [c.order, c.success, c.text.slice(0, 40), c.outputs.map((o) => o.map((i) => i.mime))]))}`);
  await sleep(1500);
  await wb.screenshot('21a-thread-notebook-opened');

  // The user's cell: a variable in the thread's kernel.
  await typeAndRunCell(wb, control, 'nb_value = 2121; print("E2E_NBVAR set", nb_value)');
  await notebookOutputs(wb, 'E2E_NBVAR set 2121', 120_000);

  // The agent reads it (same kernel), and its cell is appended to the notebook, with its output.
  const m = await wb.responseCount();
  await wb.typeChat('@interpreter print the notebook variable');
  const answer = await wb.waitForResponse(/E2E_ANSWER nbvar/, { timeoutMs: 120_000, minIndex: m, onApprove: (t) => approvals.push(t) });
  assert(/E2E_NBVAR read 4242/.test(answer), `the agent did not read the notebook's variable: ${answer.slice(0, 600)}`);
  const req = transcript().filter((t) => t.scenario === 'nbvar' && t.results && t.results.length).pop();
  assert(req && /E2E_NBVAR read 4242/.test(req.results[0].text), `the tool result has no "E2E_NBVAR read 4242": ${req && req.results[0].text.slice(0, 400)}`);
  // (In the notebook's model: the editor renders only the cells in view.)
  await waitFor('the agent\'s new cell in the notebook', async () => ((await control.send({ op: 'notebook' })) || { cells: [] }).cells.some((c) => c.text.includes('E2E_NBVAR read')), { timeoutMs: 30_000, intervalMs: 1000 });
  await control.command('notebook.focusBottom');
  await notebookOutputs(wb, 'E2E_NBVAR read 4242', 30_000);
  await sleep(1500);
  await wb.screenshot('21-thread-notebook');
  // The notebook as the extension host has it: the cells in the order they ran, each with its output.
  const nb = await control.send({ op: 'notebook' });
  assert(nb && nb.type === 'jupyter-notebook', `no notebook is active: ${JSON.stringify(nb).slice(0, 200)}`);
  const outputText = (c) => c.outputs.flat().map((i) => i.text || '').join('\n');
  log(`thread notebook cells: ${JSON.stringify(nb.cells.map((c) => [c.order, c.success, c.text.slice(0, 50), outputText(c).slice(0, 50)]))}`);
  const order = [AGENT, /E2E_NBVAR set/, /E2E_NBVAR read/].map((re) => nb.cells.findIndex((c) => re.test(c.text)));
  assert(order.every((i, k) => i >= 0 && (k === 0 || i > order[k - 1])), `the cells are not in the order they ran (agent's, user's, agent's): ${JSON.stringify(order)}`);
  const first = nb.cells[order[0]];
  assert(/E2E_CHART_DONE|NameError/.test(outputText(first)) && first.order === 1, `the agent's first cell is shown without its outputs: ${JSON.stringify(first).slice(0, 400)}`);
  const read = nb.cells[order[2]];
  assert(/E2E_NBVAR read 4242/.test(outputText(read)) && read.success === true && read.order > nb.cells[order[1]].order, `the agent's appended cell: ${JSON.stringify(read).slice(0, 400)}`);
  const thread = nb.metadata && nb.metadata.metadata && nb.metadata.metadata.code_interpreter && nb.metadata.metadata.code_interpreter.thread;
  assert(typeof thread === 'string' && thread.startsWith('chat:'), `the notebook's metadata names no chat thread: ${JSON.stringify(nb.metadata).slice(0, 300)}`);

  // Interrupt from the notebook: the long cell stops with KeyboardInterrupt.
  await typeAndRunCell(wb, control, 'import time; print("E2E_NB_LONG start", flush=True); time.sleep(300)');
  await notebookOutputs(wb, 'E2E_NB_LONG start', 60_000);
  await sleep(1000);
  await control.command('notebook.cancelExecution');
  await notebookOutputs(wb, 'KeyboardInterrupt', 30_000);
  await sleep(1000);
  await wb.screenshot('21b-thread-notebook-interrupt');

  // Restart from the notebook (its toolbar's command): the thread's variables are gone.
  await control.command('codeInterpreter.restartNotebookKernel');
  await typeAndRunCell(wb, control, 'print("E2E_NB_RESTARTED", "nb_value" in globals())');
  await notebookOutputs(wb, 'E2E_NB_RESTARTED False', 120_000);

  // Who ran what, where: the user's cells and the agent's calls in one thread, the chat's.
  const audit = auditEntries();
  const user = audit.find((a) => /E2E_NBVAR set/.test(a.code || ''));
  const agent = audit.find((a) => /E2E_NBVAR read/.test(a.code || ''));
  const long = audit.find((a) => /E2E_NB_LONG/.test(a.code || ''));
  assert(user && agent && long, `missing audit entries: ${JSON.stringify({ user: !!user, agent: !!agent, long: !!long })}`);
  assert(user.caller === 'vscode:user' && agent.caller === 'vscode:chat', `callers: user cell ${user.caller}, agent ${agent.caller}`);
  assert(user.thread === agent.thread && user.thread === thread, `the notebook ran in ${user.thread}, the agent in ${agent.thread}, the notebook names ${thread}: not the chat's one thread`);
  assert(long.status === 'interrupted', `the interrupted cell is audited as ${long.status}`);
  await control.command('workbench.action.revertAndCloseActiveEditor');
}
