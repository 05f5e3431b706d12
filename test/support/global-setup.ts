import type { TestProject } from 'vitest/node';
import { type RunningDynamo, startDynamoLocal } from '../../scripts/local/dynamodb-local.ts';
import { createTables } from '../../scripts/local/tables.ts';
import { EVENTS_TEST_TABLE, TEST_TABLE } from './fixtures.ts';

export const TEST_TABLES = { OnboardingTable: TEST_TABLE };

let dynamo: RunningDynamo | undefined;

/** One DynamoDB Local for the whole run, on a free port; tests isolate themselves by tenant. */
export async function setup(project: TestProject) {
  dynamo = await startDynamoLocal();
  // The shared table has no stream (nothing but the events tests reads one, and DynamoDB Local's writes
  // slow down as stream records pile up); the events project has a table of its own with the stream.
  await createTables(dynamo.endpoint, TEST_TABLES, { streams: false });
  await createTables(dynamo.endpoint, { OnboardingTable: EVENTS_TEST_TABLE });
  project.provide('dynamoEndpoint', dynamo.endpoint);
}

export async function teardown() {
  await dynamo?.stop();
}

declare module 'vitest' {
  export interface ProvidedContext {
    dynamoEndpoint: string;
  }
}
