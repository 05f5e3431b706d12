import { BatchWriteCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { mapLimit } from './stats.ts';

/**
 * Fast seeding with the store's own item shapes: a document client for `createDynamoStore` that keeps the
 * Puts of each TransactWriteItems instead of sending them, then writes them with BatchWriteItem (25 a
 * request, several in flight). DynamoDB Local runs transactions one at a time; this is ~30× faster, and
 * the items are byte for byte what `store.insert` / `applyTransition` would write (seeds have fresh ids,
 * so their conditions would hold). Every other command passes through to the real client.
 */
export interface Seeder {
  client: DynamoDBDocumentClient;
  pending(): number;
  flush(concurrency?: number): Promise<number>;
}

interface TransactItem {
  Put?: { TableName: string; Item: Record<string, unknown> };
  [other: string]: unknown;
}

export function createSeeder(documents: DynamoDBDocumentClient): Seeder {
  let puts: Array<{ table: string; item: Record<string, unknown> }> = [];
  const client = {
    send(command: { input: Record<string, unknown> }) {
      const transactItems = command.input.TransactItems as TransactItem[] | undefined;
      if (!transactItems) return documents.send(command as never);
      for (const entry of transactItems) {
        if (!entry.Put) throw new Error(`seeder: only Put can be seeded, got ${Object.keys(entry).join(', ')}`);
        puts.push({ table: entry.Put.TableName, item: entry.Put.Item });
      }
      return Promise.resolve({ $metadata: {} });
    },
  } as unknown as DynamoDBDocumentClient;

  async function writeBatch(batch: Array<{ table: string; item: Record<string, unknown> }>) {
    let requestItems: Record<string, Array<{ PutRequest: { Item: Record<string, unknown> } }>> = {};
    for (const { table, item } of batch) requestItems[table] = [...(requestItems[table] ?? []), { PutRequest: { Item: item } }];
    for (let attempt = 0; Object.keys(requestItems).length > 0; attempt++) {
      if (attempt > 20) throw new Error('seeder: BatchWriteItem kept returning unprocessed items');
      const result = await documents.send(new BatchWriteCommand({ RequestItems: requestItems }));
      requestItems = (result.UnprocessedItems ?? {}) as typeof requestItems;
      if (Object.keys(requestItems).length > 0) await new Promise((resolve) => setTimeout(resolve, 20 * attempt));
    }
  }

  return {
    client,
    pending: () => puts.length,
    async flush(concurrency = 6) {
      const all = puts;
      puts = [];
      const batches: Array<typeof all> = [];
      for (let i = 0; i < all.length; i += 25) batches.push(all.slice(i, i + 25));
      await mapLimit(batches, concurrency, writeBatch);
      return all.length;
    },
  };
}
