/** Shared set-up for integration tests: a real Docker engine (or a loud failure) and the real image. */
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AuditLog, createCore, Core, CoreOptions, rootedHostFiles, ToolContext } from '../../src/core';

/**
 * The runtime the tests' sandboxes run under: TEST_RUNTIME (CI runs the suites once with runc and
 * once with the default, auto, which picks gVisor where the engine has it), else the product default.
 */
export const TEST_RUNTIME = process.env.TEST_RUNTIME || undefined;

/** createCore with the tests' runtime. */
export function createTestCore(options: CoreOptions = {}): Core {
  return createCore({ ...options, sandbox: { ...(TEST_RUNTIME ? { runtime: TEST_RUNTIME } : {}), ...options.sandbox } });
}

let shared: Promise<Core> | undefined;

/**
 * The core, with Docker checked and the sandbox image built. Docker missing is a test failure with
 * the fix in the message — never a skip.
 */
export function core(): Promise<Core> {
  shared ??= (async () => {
    const c = createTestCore({ idleStopMinutes: 0, poolSize: 0 });
    try {
      await c.docker.ping();
    } catch (err) {
      assert.fail(`Integration tests need a running Docker engine: ${(err as Error).message}\nStart one (scripts/provision-docker.sh does it on Debian) and run the tests again.`);
    }
    await c.image.ensure((line) => process.stderr.write(`[image] ${line}\n`));
    return c;
  })();
  return shared;
}

/** A unique thread key per test, so runs never share state. */
export function threadKey(name: string): string {
  return `test-${name}-${process.pid}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 6)}`;
}

export function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'ci-test-'));
}

export function toolContext(c: Core, thread: string, extra: Partial<ToolContext> = {}): ToolContext {
  const dir = tempDir();
  return {
    manager: c.manager,
    threadKey: thread,
    caller: 'test',
    host: rootedHostFiles([dir]),
    audit: new AuditLog(join(dir, 'audit')),
    ...extra,
  };
}
