import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';

/**
 * Counts what DynamoDB bills: requests per command, consumed capacity and items read, through the SDK's
 * own middleware stack (the document client shares its client's stack, so every store call passes here).
 */
export interface Tally {
  requests: Record<string, number>;
  /** Sums over requests; null while no response carried ConsumedCapacity (DynamoDB Local may not). */
  wcu: number | null;
  rcu: number | null;
  itemsRead: number;
  /** Requests the SDK sent more than once (throttling, network). */
  retries: number;
  failed: number;
}

export type Meter = ReturnType<typeof createMeter>;

const WRITES = new Set(['PutItem', 'UpdateItem', 'DeleteItem', 'BatchWriteItem', 'TransactWriteItems']);
type Capacity = { CapacityUnits?: number; ReadCapacityUnits?: number; WriteCapacityUnits?: number };
type Output = Record<string, unknown> & { $metadata?: { attempts?: number } };

function itemsRead(command: string, output: Output): number {
  switch (command) {
    case 'GetItem':
      return output.Item ? 1 : 0;
    case 'Query':
    case 'Scan':
      return (output.ScannedCount ?? output.Count ?? (output.Items as unknown[] | undefined)?.length ?? 0) as number;
    case 'BatchGetItem':
      return Object.values((output.Responses ?? {}) as Record<string, unknown[]>).reduce((sum, items) => sum + items.length, 0);
    case 'TransactGetItems':
      return ((output.Responses ?? []) as Array<{ Item?: unknown }>).filter((response) => response.Item).length;
    default:
      return 0;
  }
}

/** Meters `client`: every request between `start()` and `stop()` counts into the tally `stop()` returns. */
export function createMeter(client: DynamoDBClient) {
  let current: Tally | undefined;
  const fresh = (): Tally => ({ requests: {}, wcu: null, rcu: null, itemsRead: 0, retries: 0, failed: 0 });
  const count = (tally: Tally, command: string, output: Output | undefined, capacity: Capacity | Capacity[] | undefined) => {
    for (const entry of [capacity ?? []].flat()) {
      const write = WRITES.has(command);
      tally.rcu = (tally.rcu ?? 0) + (entry.ReadCapacityUnits ?? (write ? 0 : (entry.CapacityUnits ?? 0)));
      tally.wcu = (tally.wcu ?? 0) + (entry.WriteCapacityUnits ?? (write ? (entry.CapacityUnits ?? 0) : 0));
    }
    tally.retries += Math.max(0, (output?.$metadata?.attempts ?? 1) - 1);
  };
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const command = (context.commandName ?? 'Unknown').replace(/Command$/, '');
      (args.input as Record<string, unknown>).ReturnConsumedCapacity = 'TOTAL';
      const tally = current;
      if (tally) tally.requests[command] = (tally.requests[command] ?? 0) + 1;
      try {
        const result = await next(args);
        const output = result.output as Output;
        if (tally) {
          count(tally, command, output, output.ConsumedCapacity as Capacity | Capacity[] | undefined);
          tally.itemsRead += itemsRead(command, output);
        }
        return result;
      } catch (error) {
        if (tally) {
          tally.failed++;
          // A cancelled transaction still reports what it consumed.
          count(tally, command, error as Output, (error as { ConsumedCapacity?: Capacity[] }).ConsumedCapacity);
        }
        throw error;
      }
    },
    { step: 'initialize', name: 'benchDynamoMeter', priority: 'high' },
  );
  return {
    start: () => {
      current = fresh();
    },
    stop: (): Tally => {
      const tally = current ?? fresh();
      current = undefined;
      return tally;
    },
  };
}

/** Per-call view of many tallies: means, and the fewest and most requests of each command in one call. */
export interface TallySummary {
  requestsPerCall: number;
  byCommand: Record<string, { mean: number; min: number; max: number }>;
  wcuPerCall: number | null;
  rcuPerCall: number | null;
  itemsReadPerCall: number;
  retries: number;
  failed: number;
}

export function summarize(tallies: readonly Tally[]): TallySummary {
  const n = tallies.length || 1;
  const sum = (pick: (tally: Tally) => number) => tallies.reduce((total, tally) => total + pick(tally), 0);
  const byCommand: TallySummary['byCommand'] = {};
  for (const command of [...new Set(tallies.flatMap((tally) => Object.keys(tally.requests)))].sort()) {
    const counts = tallies.map((tally) => tally.requests[command] ?? 0);
    byCommand[command] = { mean: counts.reduce((a, b) => a + b, 0) / n, min: Math.min(...counts), max: Math.max(...counts) };
  }
  const capacity = tallies.some((tally) => tally.wcu !== null || tally.rcu !== null);
  return {
    requestsPerCall: sum((tally) => Object.values(tally.requests).reduce((a, b) => a + b, 0)) / n,
    byCommand,
    wcuPerCall: capacity ? sum((tally) => tally.wcu ?? 0) / n : null,
    rcuPerCall: capacity ? sum((tally) => tally.rcu ?? 0) / n : null,
    itemsReadPerCall: sum((tally) => tally.itemsRead) / n,
    retries: sum((tally) => tally.retries),
    failed: sum((tally) => tally.failed),
  };
}

/** "1 GetItem + 1 TransactWriteItems" (means per call, to 2 places). */
export const describeCommands = (summary: TallySummary) =>
  Object.entries(summary.byCommand)
    .map(([command, { mean }]) => `${Number(mean.toFixed(2))} ${command}`)
    .join(' + ') || 'none';
