import { ServiceUnavailableError } from '../onboarding/errors.ts';

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
  if ((name && TRANSIENT_NAMES.has(name)) || codes.some((c) => c && TRANSIENT_CODES.has(c))) {
    return new ServiceUnavailableError('The database is unavailable right now; retry shortly.', 2, { cause: error });
  }
  return new StoreError(operation, { cause: error });
}
