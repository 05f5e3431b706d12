import * as v from 'valibot';
import { ValidationError } from '../lifecycle/errors.ts';
import type { Output, Schema } from '../lifecycle/schemas.ts';

/** A header validated like any other input; absent is undefined, malformed is a 400 naming it. */
export function optionalHeader<S extends Schema>(headers: Record<string, string | undefined>, name: string, schema: () => S): Output<S> | undefined {
  const value = headers[name.toLowerCase()];
  if (value === undefined) return undefined;
  const result = v.safeParse(schema(), value);
  if (!result.success) {
    throw new ValidationError(`The ${name} header is not valid.`, [{ path: `/headers/${name}`, message: 'must be 1 to 255 visible ASCII characters' }]);
  }
  return result.output;
}
