import * as v from 'valibot';
import { type FieldError, ValidationError } from './errors.ts';
import { READ_ONLY_FIELDS } from './fields.ts';
import type { Output, Schema } from './schemas.ts';

const readOnly = new Set<string>(READ_ONLY_FIELDS);
const MAX_REPORTED_ERRORS = 20;

function pointer(path: readonly v.IssuePathItem[] | undefined): string {
  return (path ?? []).map((item) => `/${String(item.key).replaceAll('~', '~0').replaceAll('/', '~1')}`).join('');
}

const TYPE_NAMES: Record<string, string> = { Object: 'a JSON object', Array: 'an array', string: 'a string', number: 'a number', boolean: 'a boolean' };

/** Our own messages only when the schema gave one: Valibot's defaults all begin 'Invalid'. */
const own = (message: string) => (message.startsWith('Invalid') ? undefined : message);

/** What a caller needs to fix, said the same way whichever check found it. */
export function describe(issue: v.GenericIssue): FieldError {
  const path = pointer(issue.path);
  const requirement = (issue as { requirement?: unknown }).requirement;
  switch (issue.type) {
    case 'never': {
      const key = String(issue.path?.at(-1)?.key);
      return { path, message: readOnly.has(key) ? 'is set by the service and may not be sent' : 'is not a known field' };
    }
    case 'max_length':
      return { path, message: typeof issue.input === 'string' ? `must be at most ${requirement} characters` : `must be at most ${requirement}` };
    case 'min_length':
      return { path, message: typeof issue.input === 'string' ? 'must not be empty' : `must be at least ${requirement}` };
    case 'max_value':
      return { path, message: `must be at most ${requirement}` };
    case 'min_value':
      return { path, message: `must be at least ${requirement}` };
    case 'integer':
      return { path, message: 'must be a whole number' };
    case 'picklist':
      return { path, message: issue.message };
    case 'uuid':
      return { path, message: 'must be a valid uuid' };
    case 'regex':
      return { path, message: own(issue.message) ?? 'must be a valid value' };
  }
  if (issue.kind === 'schema') {
    return { path, message: issue.input === undefined ? 'is required' : `must be ${TYPE_NAMES[issue.expected ?? ''] ?? 'valid'}` };
  }
  return { path, message: own(issue.message) ?? 'is not valid' };
}

const NOT_AN_OBJECT: FieldError = { path: '', message: 'must be a JSON object' };

/**
 * Valibot passes over these names without a word (it never copies them onto what it returns); an object
 * that names every field it does not know (./schemas.ts `strictObject`) must still refuse them.
 */
const PROTOTYPE_NAMES = ['__proto__', 'constructor', 'prototype'];
const refusesOthers = (schema: Schema) => (schema as { rest?: { type?: string } }).rest?.type === 'never';

function check<S extends Schema>(schema: S, value: unknown): { output?: Output<S>; errors: FieldError[] } {
  // Valibot takes a JSON array for an object; no input of ours is one.
  if (Array.isArray(value)) return { errors: [NOT_AN_OBJECT] };
  const result = v.safeParse(schema, value);
  const errors = result.success ? [] : result.issues.map(describe);
  if (refusesOthers(schema) && typeof value === 'object' && value !== null) {
    for (const name of PROTOTYPE_NAMES) if (Object.hasOwn(value, name)) errors.push({ path: `/${name}`, message: 'is not a known field' });
  }
  return errors.length === 0 && result.success ? { output: result.output, errors } : { errors };
}

/**
 * The input as `schema` has it, or a ValidationError naming each field at fault (at most 20) and, unless
 * `detail` says what was expected instead, the first three in its detail.
 */
export function validate<S extends Schema>(schema: S, value: unknown, where: string, detail?: string): Output<S> {
  // Capped, so a body of thousands of unknown keys cannot make the answer larger than the question.
  const checked = check(schema, value);
  if (checked.errors.length === 0) return checked.output as Output<S>;
  const errors = checked.errors.slice(0, MAX_REPORTED_ERRORS);
  const named = errors
    .slice(0, 3)
    .map((error) => `${error.path || where} ${error.message}`)
    .join('; ');
  throw new ValidationError(detail ?? `The ${where} is not valid: ${named}${errors.length > 3 ? '; …' : ''}.`, errors);
}
