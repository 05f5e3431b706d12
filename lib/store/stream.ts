import type { DynamoDBRecord } from 'aws-lambda';
import type { RequestChange } from '../events/publish.ts';
import { requestFrom } from './dynamo-store.ts';
import { type AttributeValue, unmarshall } from './sdk.ts';

/** What the stream's event source mapping passes on: only the request items (serverless.yml, the table's stream). */
export const REQUEST_ITEMS_FILTER = { dynamodb: { NewImage: { entity: { S: ['OnboardingRequest'] } } } };

/** The request changes of a batch of the table's stream (NEW_AND_OLD_IMAGES), in stream order. */
export function requestChanges(records: readonly DynamoDBRecord[]): RequestChange[] {
  const changes: RequestChange[] = [];
  for (const record of records) {
    const image = record.dynamodb?.NewImage as Record<string, AttributeValue> | undefined;
    if (image?.entity?.S !== 'OnboardingRequest') continue;
    const before = record.dynamodb?.OldImage as Record<string, AttributeValue> | undefined;
    changes.push({
      request: requestFrom(unmarshall(image)),
      previousVersion: before?.version?.N === undefined ? undefined : Number(before.version.N),
    });
  }
  return changes;
}
