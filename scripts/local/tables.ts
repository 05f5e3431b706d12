import { readFileSync } from 'node:fs';
import { CreateTableCommand, type CreateTableCommandInput, DynamoDBClient, ResourceInUseException, UpdateTimeToLiveCommand } from '@aws-sdk/client-dynamodb';
import { parse } from 'yaml';

interface TableResource {
  Type: string;
  Properties: {
    TableName: string;
    AttributeDefinitions: CreateTableCommandInput['AttributeDefinitions'];
    KeySchema: CreateTableCommandInput['KeySchema'];
    GlobalSecondaryIndexes?: CreateTableCommandInput['GlobalSecondaryIndexes'];
    TimeToLiveSpecification?: { AttributeName: string; Enabled: boolean };
    StreamSpecification?: { StreamViewType: 'NEW_IMAGE' | 'OLD_IMAGE' | 'NEW_AND_OLD_IMAGES' | 'KEYS_ONLY' };
  };
}

/** The tables as serverless.yml deploys them, by logical id (resources/tables.yml). */
export function tableDefinitions(): Record<string, TableResource> {
  const file = new URL('../../resources/tables.yml', import.meta.url);
  const resources = parse(readFileSync(file, 'utf8')).Resources as Record<string, TableResource>;
  return Object.fromEntries(Object.entries(resources).filter(([, resource]) => resource.Type === 'AWS::DynamoDB::Table'));
}

/**
 * Creates the tables of resources/tables.yml under the given names (logical id → name), with their keys,
 * indexes, stream and TTL. Settings DynamoDB Local ignores (billing, PITR, SSE, deletion protection) are left out.
 * `streams: false` leaves the stream out, for tables nothing reads it from: DynamoDB Local keeps every
 * stream record in memory and its writes slow down as they pile up (a 4,000-item seed took 3.5 s without
 * a stream and 30 s with one, after the benchmark's warm phase), which AWS does not.
 */
export async function createTables(endpoint: string, names: Record<string, string>, options: { streams?: boolean } = {}): Promise<void> {
  const client = new DynamoDBClient({
    endpoint,
    region: 'eu-west-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  try {
    for (const [logicalId, resource] of Object.entries(tableDefinitions())) {
      const tableName = names[logicalId];
      if (!tableName) throw new Error(`no local name given for table ${logicalId}`);
      const { AttributeDefinitions, KeySchema, GlobalSecondaryIndexes, TimeToLiveSpecification, StreamSpecification } = resource.Properties;
      try {
        await client.send(
          new CreateTableCommand({
            TableName: tableName,
            BillingMode: 'PAY_PER_REQUEST',
            AttributeDefinitions,
            KeySchema,
            ...(GlobalSecondaryIndexes ? { GlobalSecondaryIndexes } : {}),
            ...(StreamSpecification && options.streams !== false
              ? { StreamSpecification: { StreamEnabled: true, StreamViewType: StreamSpecification.StreamViewType } }
              : {}),
          }),
        );
      } catch (error) {
        if (!(error instanceof ResourceInUseException)) throw error;
      }
      if (TimeToLiveSpecification?.Enabled) {
        await client
          .send(
            new UpdateTimeToLiveCommand({
              TableName: tableName,
              TimeToLiveSpecification: { AttributeName: TimeToLiveSpecification.AttributeName, Enabled: true },
            }),
          )
          .catch((error: Error) => {
            if (!/already enabled/i.test(error.message)) throw error;
          });
      }
    }
  } finally {
    client.destroy();
  }
}
