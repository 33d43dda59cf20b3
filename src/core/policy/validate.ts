import { InputError } from '../errors';
import { LIMITS, Range } from './limits';

/** Validate a timeout in seconds against a range; undefined gives the default. */
export function validateTimeout(value: unknown, range: Range, name = 'timeoutSeconds'): number {
  if (value === undefined || value === null) return range.default;
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new InputError(`${name} must be a number of seconds between ${range.min} and ${range.max}.`);
  }
  if (value < range.min || value > range.max) {
    throw new InputError(
      `${name} ${value} is out of range: it must be between ${range.min} and ${range.max} seconds (default ${range.default}).`,
      value > range.max ? 'Split the work into smaller steps, or use the maximum.' : undefined,
    );
  }
  return Math.round(value);
}

export function validateCode(value: unknown, name: string, maxChars: number = LIMITS.maxCodeChars): string {
  if (typeof value !== 'string' || value.trim() === '') {
    throw new InputError(`${name} is required and must be a non-empty string.`);
  }
  if (value.length > maxChars) {
    throw new InputError(
      `${name} is ${value.length.toLocaleString('en-US')} characters; the limit is ${maxChars.toLocaleString('en-US')}.`,
      'Split it into several smaller executions (variables persist between them), or write helper code to a file first.',
    );
  }
  return value;
}

export function validateInteger(value: unknown, name: string, min: number, max: number, fallback: number): number {
  if (value === undefined || value === null) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value)) {
    throw new InputError(`${name} must be an integer between ${min} and ${max}.`);
  }
  if (value < min || value > max) {
    throw new InputError(`${name} ${value} is out of range: it must be between ${min} and ${max}.`);
  }
  return value;
}

export function validateString(value: unknown, name: string, opts: { optional?: boolean; maxChars?: number } = {}): string | undefined {
  if (value === undefined || value === null || value === '') {
    if (opts.optional) return undefined;
    throw new InputError(`${name} is required.`);
  }
  if (typeof value !== 'string') throw new InputError(`${name} must be a string.`);
  const max = opts.maxChars ?? LIMITS.maxStringChars;
  if (value.length > max) throw new InputError(`${name} is ${value.length} characters; the limit is ${max}.`);
  return value;
}
