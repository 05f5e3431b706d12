import type { Cursor, StoredPage } from '../lifecycle/store.ts';
import { run } from './errors.ts';
import { type DynamoDBDocumentClient, QueryCommand, type QueryCommandInput } from './sdk.ts';

export type QueryPageArgs<T> = [
  operation: string,
  input: QueryCommandInput,
  limit: number,
  keyOf: (item: Record<string, unknown>) => Cursor,
  decode: (item: Record<string, unknown>) => T,
  matches?: (item: T) => boolean,
  maxQueries?: number,
];

/**
 * One page of a query: `limit` items and the cursor after the last, asking for one more to know whether
 * there is a next page. With `matches`, items are filtered as read, over at most `maxQueries` queries.
 */
export async function queryPageOf<T>(
  client: DynamoDBDocumentClient,
  ...[operation, input, limit, keyOf, decode, matches, maxQueries = 1]: QueryPageArgs<T>
): Promise<StoredPage<T>> {
  const items: Record<string, unknown>[] = [];
  let startKey = input.ExclusiveStartKey;
  for (let queries = 0; queries < maxQueries; queries++) {
    const page = await run(operation, () =>
      client.send(new QueryCommand({ ...input, ExclusiveStartKey: startKey, Limit: matches ? (limit + 1) * 2 : limit + 1 })),
    );
    for (const item of page.Items ?? []) {
      if (!matches || matches(decode(item))) items.push(item);
    }
    startKey = page.LastEvaluatedKey;
    if (items.length > limit || !startKey) break;
  }
  if (items.length > limit) {
    // One item more than asked for proves there is a next page; it starts after the last one returned.
    const returned = items.slice(0, limit);
    return { items: returned.map(decode), cursor: keyOf(returned.at(-1)!) };
  }
  return { items: items.map(decode), cursor: startKey };
}
