import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

export interface DynamoSettings {
  region: string;
  /** Set locally (DynamoDB Local); empty in AWS. */
  endpoint?: string;
}

/**
 * Short timeouts so a database that is down answers a 503 in about a second instead of letting
 * API Gateway time out. Locally, static credentials keep the SDK from walking the provider chain.
 */
export function createDynamoClient(settings: DynamoSettings): DynamoDBClient {
  return new DynamoDBClient({
    region: settings.region,
    maxAttempts: 3,
    // More sockets than the SDK's default 50: a queued request's wait counts against connectionTimeout,
    // and npm start (or a test) runs many invocations in one process, unlike Lambda.
    requestHandler: {
      connectionTimeout: 1_000,
      requestTimeout: 3_000,
      httpAgent: { keepAlive: true, maxSockets: 256 },
      httpsAgent: { keepAlive: true, maxSockets: 256 },
    },
    ...(settings.endpoint
      ? { endpoint: settings.endpoint, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } }
      : {}),
  });
}

export function createDocumentClient(client: DynamoDBClient): DynamoDBDocumentClient {
  return DynamoDBDocumentClient.from(client, {
    marshallOptions: { removeUndefinedValues: true, convertClassInstanceToMap: false },
  });
}
