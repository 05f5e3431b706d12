import { DescribeTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  DescribeStreamCommand,
  DynamoDBStreamsClient,
  GetRecordsCommand,
  GetShardIteratorCommand,
  type _Record as StreamRecord,
} from '@aws-sdk/client-dynamodb-streams';
import type { DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';

/**
 * A table's stream as Lambda's event source mapping reads it, locally (DynamoDB Local keeps streams too):
 * every shard, in order, records that match the consumer's filter patterns handed over in batches as
 * Lambda's DynamoDB stream event. A batch whose handling fails is handed over again, after a pause, until
 * it succeeds: the stream does not move on past it, as Lambda's mapping does not. Used by `npm start`
 * (scripts/local/gateway.ts) and by the tests of outbound events.
 */
export interface StreamReaderOptions {
  endpoint: string;
  tableName: string;
  region?: string;
  /** TRIM_HORIZON: every record the stream keeps; LATEST: from now on. */
  from: 'TRIM_HORIZON' | 'LATEST';
  /** Lambda's filter criteria patterns (the subset of the syntax that matches values by list). */
  filterPatterns: readonly object[];
  batchSize: number;
  /** Handles one batch; throws to have it handed over again. */
  deliver(event: DynamoDBStreamEvent): Promise<void>;
  log(line: string): void;
  pollMs?: number;
}

export interface StreamReader {
  stop(): Promise<void>;
}

const LOCAL_CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' };
const RETRY_PAUSE_MS = 1_000;
const DISCOVER_EVERY_MS = 5_000;

/** Lambda's filter syntax, the part used here: nested keys, and a list of allowed values at the leaves. */
export function matchesPattern(value: unknown, pattern: unknown): boolean {
  if (Array.isArray(pattern)) return pattern.some((allowed) => allowed === value);
  if (pattern === null || typeof pattern !== 'object') return pattern === value;
  if (value === null || typeof value !== 'object') return false;
  return Object.entries(pattern).every(([key, inner]) => matchesPattern((value as Record<string, unknown>)[key], inner));
}

function lambdaRecord(record: StreamRecord, streamArn: string, region: string): DynamoDBRecord {
  const created = record.dynamodb?.ApproximateCreationDateTime;
  return {
    eventID: record.eventID,
    eventName: record.eventName as DynamoDBRecord['eventName'],
    eventVersion: record.eventVersion ?? '1.1',
    eventSource: 'aws:dynamodb',
    awsRegion: region,
    eventSourceARN: streamArn,
    dynamodb: {
      ...(record.dynamodb as object),
      ...(created ? { ApproximateCreationDateTime: Math.floor(new Date(created).getTime() / 1000) } : {}),
    } as DynamoDBRecord['dynamodb'],
  };
}

export async function startStreamReader(options: StreamReaderOptions): Promise<StreamReader> {
  const region = options.region ?? 'eu-west-1';
  const pollMs = options.pollMs ?? 200;
  const tables = new DynamoDBClient({ endpoint: options.endpoint, region, credentials: LOCAL_CREDENTIALS });
  const streams = new DynamoDBStreamsClient({ endpoint: options.endpoint, region, credentials: LOCAL_CREDENTIALS });
  const described = await tables.send(new DescribeTableCommand({ TableName: options.tableName }));
  tables.destroy();
  const streamArn = described.Table?.LatestStreamArn;
  if (!streamArn) throw new Error(`table ${options.tableName} has no stream`);

  let stopped = false;
  const stopping = new AbortController();
  /** A pause that ends early when the reader stops. */
  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms);
      stopping.signal.addEventListener(
        'abort',
        () => {
          clearTimeout(timer);
          resolve();
        },
        { once: true },
      );
    });
  /** Shards being read, and the ones read to their end. */
  const reading = new Set<string>();
  const finished = new Set<string>();
  const loops: Promise<void>[] = [];

  async function readShard(shardId: string, type: 'TRIM_HORIZON' | 'LATEST') {
    let iterator = (await streams.send(new GetShardIteratorCommand({ StreamArn: streamArn, ShardId: shardId, ShardIteratorType: type }))).ShardIterator;
    while (iterator && !stopped) {
      const page = await streams.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: options.batchSize }));
      const records = (page.Records ?? [])
        .map((record) => lambdaRecord(record, streamArn!, region))
        .filter((record) => options.filterPatterns.some((pattern) => matchesPattern(record, pattern)));
      while (records.length > 0 && !stopped) {
        try {
          await options.deliver({ Records: records });
          break;
        } catch (error) {
          options.log(
            `stream consumer failed on a batch of ${records.length}; handing it over again in ${RETRY_PAUSE_MS / 1000} s: ${(error as Error).message}`,
          );
          await sleep(RETRY_PAUSE_MS);
        }
      }
      iterator = page.NextShardIterator;
      if ((page.Records ?? []).length === 0) await sleep(pollMs);
    }
    reading.delete(shardId);
    finished.add(shardId);
  }

  /** Starts every shard not yet read whose parent is done (children of a closed shard from their start). */
  async function discover(first: boolean) {
    const shards = (await streams.send(new DescribeStreamCommand({ StreamArn: streamArn }))).StreamDescription?.Shards ?? [];
    const known = new Set(shards.map((shard) => shard.ShardId));
    for (const shard of shards) {
      const id = shard.ShardId!;
      if (reading.has(id) || finished.has(id)) continue;
      const closed = shard.SequenceNumberRange?.EndingSequenceNumber !== undefined;
      if (first && options.from === 'LATEST') {
        // From now on: closed shards hold only the past.
        if (closed) {
          finished.add(id);
          continue;
        }
      } else if (shard.ParentShardId && known.has(shard.ParentShardId) && !finished.has(shard.ParentShardId)) {
        continue;
      }
      reading.add(id);
      loops.push(
        readShard(id, first ? options.from : 'TRIM_HORIZON').catch((error: Error) => {
          reading.delete(id);
          if (!stopped) options.log(`reading stream shard ${id} failed: ${error.message}; it is read again from its start`);
        }),
      );
    }
  }

  await discover(true);
  const discovering = (async () => {
    while (!stopped) {
      await sleep(DISCOVER_EVERY_MS);
      if (!stopped) await discover(false).catch((error: Error) => options.log(`listing the stream's shards failed: ${error.message}`));
    }
  })();

  return {
    async stop() {
      stopped = true;
      stopping.abort();
      await Promise.allSettled([...loops, discovering]);
      streams.destroy();
    },
  };
}
