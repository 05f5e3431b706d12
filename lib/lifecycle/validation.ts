import type * as z from 'zod/mini';
import { type FieldError, ValidationError } from '../lifecycle/errors.ts';
import { READ_ONLY_FIELDS } from '../lifecycle/fields.ts';

const readOnly = new Set<string>(READ_ONLY_FIELDS);
const MAX_REPORTED_ERRORS = 20;

function pointer(path: readonly PropertyKey[]): string {
  return path.map((part) => `/${String(part).replaceAll('~', '~0').replaceAll('/', '~1')}`).join('');
}

/** zod/mini carries no message catalogue; these say what a caller needs to fix. */
function describe(issue: z.core.$ZodIssue): FieldError[] {
  const path = pointer(issue.path);
  switch (issue.code) {
    case 'unrecognized_keys':
      return issue.keys.map((key) => ({
        path: `${path}/${key}`,
        message: readOnly.has(key) ? 'is set by the service and may not be sent' : 'is not a known field',
      }));
    case 'invalid_type':
      return [
        { path, message: issue.input === undefined ? 'is required' : `must be ${issue.expected === 'object' ? 'a JSON object' : `a ${issue.expected}`}` },
      ];
    case 'invalid_value':
      return [{ path, message: `must be one of ${issue.values.map(String).join(', ')}` }];
    case 'too_big':
      return [{ path, message: issue.origin === 'string' ? `must be at most ${issue.maximum} characters` : `must be at most ${issue.maximum}` }];
    case 'too_small':
      return [{ path, message: issue.origin === 'string' ? 'must not be empty' : `must be at least ${issue.minimum}` }];
    case 'invalid_format':
      if (issue.format === 'regex' && issue.message && issue.message !== 'Invalid input') return [{ path, message: issue.message }];
      return [{ path, message: `must be a valid ${issue.format === 'regex' ? 'value' : issue.format === 'guid' ? 'uuid' : issue.format}` }];
    default:
      return [{ path, message: issue.message && issue.message !== 'Invalid input' ? issue.message : 'is not valid' }];
  }
}

export function validate<S extends z.core.$ZodType>(schema: S, value: unknown, where: string): z.infer<S> {
  const result = (schema as unknown as z.ZodMiniType).safeParse(value);
  if (result.success) return result.data as z.infer<S>;
  // Capped, so a body of thousands of unknown keys cannot make the answer larger than the question.
  const errors = result.error.issues.flatMap(describe).slice(0, MAX_REPORTED_ERRORS);
  const named = errors
    .slice(0, 3)
    .map((error) => `${error.path || where} ${error.message}`)
    .join('; ');
  throw new ValidationError(`The ${where} is not valid: ${named}${errors.length > 3 ? '; …' : ''}.`, errors);
}

/** A header validated like any other input; absent is undefined, malformed is a 400 naming it. */
export function optionalHeader<S extends z.core.$ZodType>(headers: Record<string, string | undefined>, name: string, schema: () => S): z.infer<S> | undefined {
  const value = headers[name.toLowerCase()];
  if (value === undefined) return undefined;
  const result = (schema() as unknown as z.ZodMiniType).safeParse(value);
  if (!result.success) {
    throw new ValidationError(`The ${name} header is not valid.`, [{ path: `/headers/${name}`, message: 'must be 1 to 255 visible ASCII characters' }]);
  }
  return result.data as z.infer<S>;
}
