import * as z from 'zod/mini';
import { STATUSES } from './types.ts';

/**
 * The words every input schema is made of. Schemas validate what callers send and feed the OpenAPI
 * document through the route table, so the two cannot drift. Each is a function that builds it on first
 * use (`once`): a cold start builds no schema at all, and a function builds only the ones its route uses.
 */

/** A schema built on first use, then kept. */
export function once<T>(build: () => T): () => T {
  let built: T | undefined;
  return () => {
    built ??= build();
    return built;
  };
}

/** Any 8-4-4-4-12 hex id: the platform does not promise RFC 4122 versions, and ids are only compared. */
export const uuid = () => z.guid();

/** An id as issued, in lower case; an upper-case spelling of the same uuid finds the same thing. */
export const lowerCaseId = () =>
  z.pipe(
    uuid(),
    z.transform((id: string) => id.toLowerCase()),
  );

// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is this pattern's purpose
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f-\u009f]/;

/** A one-line string: not empty, not too long, no control characters, no lone surrogates. */
export const text = (max: number) =>
  z.string().check(
    z.minLength(1),
    z.maxLength(max),
    z.refine((value) => !CONTROL_CHARACTERS.test(value) && value.isWellFormed(), 'must not contain control characters'),
  );

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
  z
    .unknown()
    .check(z.refine((value) => depthOf(value, MAX_PROPERTIES_DEPTH) <= MAX_PROPERTIES_DEPTH, `must not nest deeper than ${MAX_PROPERTIES_DEPTH} levels`));

/** A field that may be left out or null. */
export const optional = <T extends z.core.SomeType>(schema: T) => z.optional(z.nullable(schema));

const pageSize = () => z.string().check(z.maxLength(3), z.regex(/^(?:[1-9]|[1-9]\d|100)$/, 'must be an integer from 1 to 100'));
const continuationToken = () => z.string().check(z.minLength(1), z.maxLength(2048));

/** The query of every list: `pageSize` (1 to 100) and the opaque `continuationToken` of the page before. */
export const pagingFields = () => ({ pageSize: z.optional(pageSize()), continuationToken: z.optional(continuationToken()) });

export const pageQuery = once(() => z.strictObject(pagingFields()));

/** A list of requests: paging, and the status asked for (of the kind's own statuses). */
export const requestListFields = (statuses: readonly [string, ...string[]] = STATUSES) => ({
  ...pagingFields(),
  status: z.optional(z.enum(statuses)),
});

/** A caller's Idempotency-Key: printable ASCII, at most 255 characters. */
export const idempotencyKey = once(() => z.string().check(z.minLength(1), z.maxLength(255), z.regex(/^[\x21-\x7e]+$/)));

/** Limits of what the service answers, so clients can size their storage (and the OWASP rules can check them). */
export const ANSWER_LIMITS = { id: 36, text: 1024, link: 2048, hash: 64, time: 32, errors: 50, page: 100, version: 1_000_000 } as const;

/** The words of the answers' schemas, for the OpenAPI document (nothing validates an answer at run time). */
export const answer = {
  id: () => z.guid().check(z.maxLength(ANSWER_LIMITS.id)),
  text: (max: number = ANSWER_LIMITS.text) => z.string().check(z.maxLength(max)),
  time: () => z.iso.datetime().check(z.maxLength(ANSWER_LIMITS.time)),
  version: () => z.int().check(z.minimum(1), z.maximum(ANSWER_LIMITS.version)),
  errors: () => z.array(z.object({ code: answer.text(100), message: answer.text() })).check(z.maxLength(ANSWER_LIMITS.errors)),
};
