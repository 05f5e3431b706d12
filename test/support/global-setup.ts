import type { TestProject } from 'vitest/node';
import { type RunningDynamo, startDynamoLocal } from '../../scripts/local/dynamodb-local.ts';
import { createTables } from '../../scripts/local/tables.ts';
import { TEST_TABLE } from './fixtures.ts';

export const TEST_TABLES = { OnboardingTable: TEST_TABLE };

let dynamo: RunningDynamo | undefined;

/** One DynamoDB Local for the whole run, on a free port; tests isolate themselves by tenant. */
export async function setup(project: TestProject) {
  dynamo = await startDynamoLocal();
  await createTables(dynamo.endpoint, TEST_TABLES);
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
