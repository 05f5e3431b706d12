import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';

/**
 * Counts what DynamoDB bills: requests per command, consumed capacity and items read, through the SDK's
 * own middleware stack (the document client shares its client's stack, so every store call passes here).
 */
export interface Tally {
  requests: Record<string, number>;
  /** Sum over requests; null while no response carried ConsumedCapacity. */
  wcu: number | null;
  rcu: number | null;
  itemsRead: number;
  /** Requests that the SDK sent more than once (throttling, network). */
  retries: number;
  failed: number;
}

export const emptyTally = (): Tally => ({ requests: {}, wcu: null, rcu: null, itemsRead: 0, retries: 0, failed: 0 });

export const totalRequests = (tally: Tally) => Object.values(tally.requests).reduce((sum, n) => sum + n, 0);

const WRITE_COMMANDS = new Set(['PutItem', 'UpdateItem', 'DeleteItem', 'BatchWriteItem', 'TransactWriteItems']);

interface Capacity {
  CapacityUnits?: number;
  ReadCapacityUnits?: number;
  WriteCapacityUnits?: number;
}

export interface Meter {
  /** Starts a fresh tally; every request until `stop()` counts into it. */
  start(): void;
  stop(): Tally;
  /** Whether any response so far carried ConsumedCapacity (DynamoDB Local may not). */
  readonly capacityReported: boolean;
  instrument(client: DynamoDBClient): void;
}

export function createMeter(): Meter {
  let current: Tally | undefined;
  let capacityReported = false;

  function addCapacity(tally: Tally, command: string, capacity: Capacity | Capacity[] | undefined) {
    if (!capacity) return;
    for (const entry of Array.isArray(capacity) ? capacity : [capacity]) {
      capacityReported = true;
      const read = entry.ReadCapacityUnits ?? (WRITE_COMMANDS.has(command) ? 0 : (entry.CapacityUnits ?? 0));
      const write = entry.WriteCapacityUnits ?? (WRITE_COMMANDS.has(command) ? (entry.CapacityUnits ?? 0) : 0);
      tally.rcu = (tally.rcu ?? 0) + read;
      tally.wcu = (tally.wcu ?? 0) + write;
    }
  }

  function itemsRead(command: string, output: Record<string, unknown>): number {
    switch (command) {
      case 'GetItem':
        return output.Item ? 1 : 0;
      case 'Query':
      case 'Scan':
        return (output.ScannedCount as number | undefined) ?? (output.Count as number | undefined) ?? (output.Items as unknown[] | undefined)?.length ?? 0;
      case 'BatchGetItem':
        return Object.values((output.Responses ?? {}) as Record<string, unknown[]>).reduce((sum, items) => sum + items.length, 0);
      case 'TransactGetItems':
        return ((output.Responses ?? []) as Array<{ Item?: unknown }>).filter((response) => response.Item).length;
      default:
        return 0;
    }
  }

  return {
    start() {
      current = emptyTally();
    },
    stop() {
      const tally = current ?? emptyTally();
      current = undefined;
      return tally;
    },
    get capacityReported() {
      return capacityReported;
    },
    instrument(client) {
      client.middlewareStack.add(
        (next, context) => async (args) => {
          const command = (context.commandName ?? 'Unknown').replace(/Command$/, '');
          (args.input as Record<string, unknown>).ReturnConsumedCapacity = 'TOTAL';
          const tally = current;
          if (tally) tally.requests[command] = (tally.requests[command] ?? 0) + 1;
          try {
            const result = await next(args);
            const output = result.output as Record<string, unknown> & { $metadata?: { attempts?: number } };
            if (tally) {
              addCapacity(tally, command, output.ConsumedCapacity as Capacity | Capacity[] | undefined);
              tally.itemsRead += itemsRead(command, output);
              tally.retries += Math.max(0, (output.$metadata?.attempts ?? 1) - 1);
            }
            return result;
          } catch (error) {
            if (tally) {
              tally.failed++;
              const metadata = (error as { $metadata?: { attempts?: number } }).$metadata;
              tally.retries += Math.max(0, (metadata?.attempts ?? 1) - 1);
              // A cancelled transaction still reports what it consumed.
              addCapacity(tally, command, (error as { ConsumedCapacity?: Capacity[] }).ConsumedCapacity);
            }
            throw error;
          }
        },
        { step: 'initialize', name: 'benchDynamoMeter', priority: 'high' },
      );
    },
  };
}

/** Per-call view of many tallies: means, and the fewest and most requests of each command in one call. */
export interface TallySummary {
  calls: number;
  requestsPerCall: number;
  byCommand: Record<string, { mean: number; min: number; max: number }>;
  wcuPerCall: number | null;
  rcuPerCall: number | null;
  itemsReadPerCall: number;
  retries: number;
  failed: number;
}

export function summarize(tallies: readonly Tally[]): TallySummary {
  const commands = new Set(tallies.flatMap((tally) => Object.keys(tally.requests)));
  const byCommand: TallySummary['byCommand'] = {};
  for (const command of [...commands].sort()) {
    const counts = tallies.map((tally) => tally.requests[command] ?? 0);
    byCommand[command] = {
      mean: counts.reduce((a, b) => a + b, 0) / counts.length,
      min: Math.min(...counts),
      max: Math.max(...counts),
    };
  }
  const n = tallies.length || 1;
  const sum = (pick: (tally: Tally) => number) => tallies.reduce((total, tally) => total + pick(tally), 0);
  const anyCapacity = tallies.some((tally) => tally.wcu !== null || tally.rcu !== null);
  return {
    calls: tallies.length,
    requestsPerCall: sum(totalRequests) / n,
    byCommand,
    wcuPerCall: anyCapacity ? sum((tally) => tally.wcu ?? 0) / n : null,
    rcuPerCall: anyCapacity ? sum((tally) => tally.rcu ?? 0) / n : null,
    itemsReadPerCall: sum((tally) => tally.itemsRead) / n,
    retries: sum((tally) => tally.retries),
    failed: sum((tally) => tally.failed),
  };
}

/** "1 GetItem + 1 TransactWriteItems" (means per call, rounded to 2 places). */
export function describeCommands(summary: TallySummary): string {
  const parts = Object.entries(summary.byCommand).map(([command, { mean }]) => `${Number(mean.toFixed(2))} ${command}`);
  return parts.length ? parts.join(' + ') : 'none';
}
