import * as v from 'valibot';
import { RETURN_URL_MAX_LENGTH } from './return-url.ts';
import { STATUSES } from './types.ts';

/**
 * The words every input schema is made of (Valibot: a cold start pays only for the checks it uses). Schemas
 * validate what callers send and feed the OpenAPI document through the route table, so the two cannot
 * drift. Each is a function that builds it on first use (`once`): a cold start builds no schema at all, and
 * a function builds only the ones its route uses.
 */

export type Schema = v.GenericSchema;
export type Output<S extends Schema> = v.InferOutput<S>;

/** A schema built on first use, then kept. Marked free of side effects: a bundle drops the schemas it never uses. */
/* @__NO_SIDE_EFFECTS__ */
export function once<T>(build: () => T): () => T {
  let built: T | undefined;
  return () => {
    built ??= build();
    return built;
  };
}

/**
 * An object that names every field it does not know, not just the first (Valibot's `strictObject` stops at
 * one). Typed as the strict object it is, so what it validates to has no index signature of `never`.
 */
export const strictObject = <E extends v.ObjectEntries>(entries: E) => v.objectWithRest(entries, v.never()) as unknown as v.StrictObjectSchema<E, undefined>;

/** Any 8-4-4-4-12 hex id: the platform does not promise RFC 4122 versions, and ids are only compared. */
export const uuid = () => v.pipe(v.string(), v.uuid());

/** An id as issued, in lower case; an upper-case spelling of the same uuid finds the same thing. */
export const lowerCaseId = () => v.pipe(v.string(), v.uuid(), v.toLowerCase());

// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is this pattern's purpose
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f-\u009f]/;

/** A one-line string: not empty, not too long, no control characters, no lone surrogates. */
export const text = (max: number) =>
  v.pipe(
    v.string(),
    v.minLength(1),
    v.maxLength(max),
    v.check((value) => !CONTROL_CHARACTERS.test(value) && value.isWellFormed(), 'must not contain control characters'),
  );

/** A `returnUrl` as sent: one line, at most as long as checkReturnUrl (./return-url.ts) keeps, which says whether it is one. */
export const returnUrlText = () => text(RETURN_URL_MAX_LENGTH);

/** A mail address as a person types it (an apostrophe is fine, a line break is not). */
const EMAIL = /^(?:[A-Za-z0-9_'+-]+\.)*[A-Za-z0-9_'+-]*[A-Za-z0-9_+-]@(?:[A-Za-z0-9][A-Za-z0-9-]*\.)+[A-Za-z]{2,}$/;
export const email = (max: number) => v.pipe(v.string(), v.maxLength(max), v.regex(EMAIL, 'must be a valid email'), v.metadata({ format: 'email' }));

/** An RFC 3339 date and time with its offset (`Z` or `±hh:mm`), of a day the calendar has. */
const DATE_TIME = /^(\d{4})-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])T(?:[01]\d|2[0-3]):[0-5]\d:[0-5]\d(?:\.\d+)?(?:Z|[+-](?:[01]\d|2[0-3]):[0-5]\d)$/;
const isDateTime = (value: string) => {
  const [, year, month, day] = DATE_TIME.exec(value) ?? [];
  return day !== undefined && new Date(Date.UTC(Number(year), Number(month) - 1, Number(day))).getUTCDate() === Number(day);
};
export const dateTime = (max: number) =>
  v.pipe(v.string(), v.maxLength(max), v.check(isDateTime, 'must be a valid datetime'), v.metadata({ format: 'date-time' }));

/** Nesting beyond this is refused: no real device property needs it, and it keeps every reader's recursion bounded. */
export const MAX_PROPERTIES_DEPTH = 16;

function depthOf(value: unknown, limit: number): number {
  if (value === null || typeof value !== 'object') return 0;
  if (limit === 0) return 1;
  let deepest = 0;
  for (const child of Object.values(value)) deepest = Math.max(deepest, depthOf(child, limit - 1));
  return deepest + 1;
}

/** Any JSON, nested at most `MAX_PROPERTIES_DEPTH` levels. */
export const boundedJson = () =>
  v.pipe(
    v.unknown(),
    v.check((value) => depthOf(value, MAX_PROPERTIES_DEPTH) <= MAX_PROPERTIES_DEPTH, `must not nest deeper than ${MAX_PROPERTIES_DEPTH} levels`),
  );

/** One of `options`, and a refusal that lists them. */
export const oneOf = <const O extends readonly string[]>(options: O) => v.picklist(options, `must be one of ${options.join(', ')}`);

/** A field that may be left out or null. */
export const optional = <T extends Schema>(schema: T) => v.nullish(schema);

/** A whole number from `min` to `max`. */
export const integer = (min: number, max: number) => v.pipe(v.number(), v.integer(), v.minValue(min), v.maxValue(max));

const pageSize = () => v.pipe(v.string(), v.maxLength(3), v.regex(/^(?:[1-9]|[1-9]\d|100)$/, 'must be an integer from 1 to 100'));
const continuationToken = () => v.pipe(v.string(), v.minLength(1), v.maxLength(2048));

/** The query of every list: `pageSize` (1 to 100) and the opaque `continuationToken` of the page before. */
export const pagingFields = () => ({ pageSize: v.optional(pageSize()), continuationToken: v.optional(continuationToken()) });

export const pageQuery = once(() => strictObject(pagingFields()));

/** A list of requests: paging, and the status asked for (of the kind's own statuses). */
export const requestListFields = (statuses: readonly string[] = STATUSES) => ({
  ...pagingFields(),
  status: v.optional(oneOf(statuses)),
});

/** A caller's Idempotency-Key: printable ASCII, at most 255 characters. */
export const idempotencyKey = once(() => v.pipe(v.string(), v.minLength(1), v.maxLength(255), v.regex(/^[\x21-\x7e]+$/)));

/** Limits of what the service answers, so clients can size their storage (and the OWASP rules can check them). */
export const ANSWER_LIMITS = { id: 36, text: 1024, link: 2048, hash: 64, time: 32, errors: 50, page: 100, version: 1_000_000 } as const;

/** The words of the answers' schemas, for the OpenAPI document (nothing validates an answer at run time). */
export const answer = {
  id: () => v.pipe(v.string(), v.uuid(), v.maxLength(ANSWER_LIMITS.id)),
  text: (max: number = ANSWER_LIMITS.text) => v.pipe(v.string(), v.maxLength(max)),
  time: () => v.pipe(v.string(), v.maxLength(ANSWER_LIMITS.time), v.metadata({ format: 'date-time' })),
  version: () => integer(1, ANSWER_LIMITS.version),
  errors: () => v.pipe(v.array(v.object({ code: answer.text(100), message: answer.text() })), v.maxLength(ANSWER_LIMITS.errors)),
};
