import { UnavailableError } from '../lifecycle/errors.ts';

const TRANSIENT_NAMES = new Set([
  'ProvisionedThroughputExceededException',
  'ThrottlingException',
  'RequestLimitExceeded',
  'InternalServerError',
  'ServiceUnavailable',
  'TimeoutError',
  'RequestTimeout',
  'RequestTimeoutException',
]);
/** A transaction DynamoDB canceled for lack of capacity is as retryable as a throttled call. */
const TRANSIENT_CANCELLATION_REASONS = new Set(['ThrottlingError', 'ProvisionedThroughputExceeded', 'TransactionConflict']);
const TRANSIENT_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENOTFOUND', 'EAI_AGAIN']);

/** Anything the database said that is not a retryable fault; the message stays in the log, never in a response. */
export class StoreError extends Error {
  constructor(operation: string, options: ErrorOptions) {
    super(`DynamoDB ${operation} failed`, options);
    this.name = 'StoreError';
  }
}

/** The SDK's errors stop here: transient faults become a 503 with Retry-After, the rest a StoreError. */
export function translateStoreError(operation: string, error: unknown): Error {
  const { name, code } = (error ?? {}) as { name?: string; code?: string };
  const codes = [code, (error as { cause?: { code?: string } })?.cause?.code];
  const reasons = ((error as { CancellationReasons?: Array<{ Code?: string }> })?.CancellationReasons ?? []).map((reason) => reason.Code);
  if (
    (name && TRANSIENT_NAMES.has(name)) ||
    codes.some((c) => c && TRANSIENT_CODES.has(c)) ||
    reasons.some((reason) => reason && TRANSIENT_CANCELLATION_REASONS.has(reason))
  ) {
    return new UnavailableError('The database is unavailable right now; retry shortly.', 2, { cause: error });
  }
  return new StoreError(operation, { cause: error });
}

/** A store call whose SDK errors become ours (the translation above), named by `operation` in the log. */
export async function run<T>(operation: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw translateStoreError(operation, error);
  }
}
