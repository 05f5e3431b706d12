import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  IdempotencyAlreadyInProgressError, IdempotencyConfig, IdempotencyPersistenceLayerError, IdempotencyValidationError,
  makeIdempotent,
} from '@aws-lambda-powertools/idempotency';
import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';
import type { Context } from 'aws-lambda';
import { ConflictError, IdempotencyKeyReusedError, ServiceUnavailableError } from '../onboarding/errors.ts';

export interface IdempotentCall<P> {
  tenantId: string;
  operation: string;
  idempotencyKey: string;
  /** Compared with the first call's: the same key with another payload is refused. */
  payload: P;
}

/**
 * Powertools idempotency around a create: the first response is stored for `ttlSeconds` under
 * (tenant, operation, key) in its own table, so one tenant's key never meets another's.
 */
export function createIdempotency(client: DynamoDBClient, tableName: string, ttlSeconds: number) {
  const persistenceStore = new DynamoDBPersistenceLayer({ tableName, awsSdkV3Client: client as never });

  return function idempotent<C extends IdempotentCall<unknown>, R>(fn: (call: C) => Promise<R>) {
    const config = new IdempotencyConfig({
      eventKeyJmesPath: '[tenantId, operation, idempotencyKey]',
      payloadValidationJmesPath: 'payload',
      expiresAfterSeconds: ttlSeconds,
      throwOnNoIdempotencyKey: true,
    });
    const wrapped = makeIdempotent(async (call: C, _context: Context) => fn(call), {
      persistenceStore,
      config,
      keyPrefix: 'onboarding',
    });
    return async (call: C, context: Context): Promise<R> => {
      try {
        return (await wrapped(call, context)) as R;
      } catch (error) {
        if (error instanceof IdempotencyValidationError) {
          throw new IdempotencyKeyReusedError('This Idempotency-Key was used with a different request body.');
        }
        if (error instanceof IdempotencyAlreadyInProgressError) {
          throw new ConflictError('A request with this Idempotency-Key is still being processed; retry shortly.', 'idempotency_in_progress');
        }
        if (error instanceof IdempotencyPersistenceLayerError) {
          throw new ServiceUnavailableError('The idempotency store is unavailable right now; retry shortly.', 2, { cause: error });
        }
        throw error;
      }
    };
  };
}
