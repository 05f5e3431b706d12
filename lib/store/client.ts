import { DynamoDBClient, DynamoDBDocumentClient } from './sdk.ts';

export interface DynamoSettings {
  region: string;
  /** Set locally (DynamoDB Local); empty in AWS. */
  endpoint?: string | undefined;
}

/**
 * Short timeouts so a database that is down answers a 503 in about a second instead of letting
 * API Gateway time out. Locally, static credentials keep the SDK from walking the provider chain, and more
 * sockets than the SDK's default 50 serve `npm start` and the tests, which run many invocations in one
 * process (a queued request's wait counts against connectionTimeout); in Lambda one invocation at a time
 * needs none of that.
 */
export function createDynamoClient(settings: DynamoSettings): DynamoDBClient {
  return new DynamoDBClient({
    region: settings.region,
    maxAttempts: 3,
    requestHandler: {
      connectionTimeout: 1_000,
      requestTimeout: 3_000,
      ...(settings.endpoint ? { httpAgent: { keepAlive: true, maxSockets: 256 }, httpsAgent: { keepAlive: true, maxSockets: 256 } } : {}),
    },
    ...(settings.endpoint ? { endpoint: settings.endpoint, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } } : {}),
  });
}

export function createDocumentClient(client: DynamoDBClient): DynamoDBDocumentClient {
  return DynamoDBDocumentClient.from(client, {
    marshallOptions: { removeUndefinedValues: true, convertClassInstanceToMap: false },
  });
}

const shared = new Map<string, { dynamo: DynamoDBClient; documents: DynamoDBDocumentClient }>();

/**
 * The process's clients for a database, made on first use and then shared, as Powertools keeps its
 * clients: a Lambda process runs one function, and everything it builds talks through one connection
 * pool. A tool that must watch or break every call (the fault tests, the benchmark's meter) adds its SDK
 * middleware to this client.
 */
export function tableClients(settings: DynamoSettings) {
  const key = `${settings.region}|${settings.endpoint ?? ''}`;
  let clients = shared.get(key);
  if (!clients) {
    const dynamo = createDynamoClient(settings);
    clients = { dynamo, documents: createDocumentClient(dynamo) };
    shared.set(key, clients);
  }
  return clients;
}
