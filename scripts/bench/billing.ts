import {
  type AttributeValue,
  DynamoDBClient,
  GetItemCommand,
  type KeysAndAttributes,
  QueryCommand,
  type QueryCommandInput,
  ScanCommand,
  type ScanCommandInput,
} from '@aws-sdk/client-dynamodb';
import { tableDefinitions } from '../local/tables.ts';

/**
 * What AWS would bill in on-demand mode for the requests a DynamoDB client sends, computed from the
 * requests themselves and the items they touch, not from DynamoDB Local's ConsumedCapacity (which leaves
 * out the index writes and, depending on the version, the transactions' doubling).
 *
 * The model (Amazon DynamoDB Developer Guide, "Capacity unit consumption", "Item sizes and formats",
 * "Global secondary indexes: writes"):
 * - Item size: the attribute names' UTF-8 bytes plus their values': a string its UTF-8 bytes, a number
 *   1 byte per two significant digits + 1, a binary its bytes, a boolean or null 1, a map or list 3 bytes
 *   plus what it holds (a map's entries with their names), a set its elements.
 * - A write: ceil(size / 1 KB) WRU, at least 1, of the larger of the item before and after (a delete the
 *   item it deleted, a put the larger of the item it replaced and the new one); twice that inside
 *   TransactWriteItems (also for a ConditionCheck, of the item it checked).
 * - Each global secondary index the item's old or new version is in (sparse indexes: only items that have
 *   its key attributes): an item that enters is one index write, one that leaves is one, one whose index
 *   key changes is two (a delete and a put), one that stays with a projected attribute changed is one, one
 *   whose projected attributes are all unchanged none; each ceil(index entry size / 1 KB), at least 1.
 *   The index entry is the table's key, the index's key and the projected attributes. Index writes are
 *   not doubled in a transaction (the index is updated asynchronously, outside the transaction).
 * - A write whose condition failed changed nothing and is still billed for the item (the larger of the
 *   stored item and, for a put, the new one); a canceled transaction likewise for each of its actions
 *   (an assumption: AWS does not document the case exactly). No index writes for either.
 * - A read: GetItem ceil(size / 4 KB) RRU, at least 1 (also when nothing is found), half of it when
 *   eventually consistent; BatchGetItem the same per item; TransactGetItems twice per item. Query and
 *   Scan: the summed sizes of every item they read, before any filter and whatever the projection, per
 *   request, rounded up to 4 KB, at least 1 unit, half when eventually consistent (every index read is).
 * - Not billed here: stream reads (GetRecords is free for a Lambda trigger and goes through another
 *   client anyway), TTL deletes, DescribeTable and other control-plane calls. A BatchWriteItem's
 *   unprocessed items are billed as if written (the functions send none on the journey).
 *
 * How: an SDK middleware on the client (after the document client has marshalled the input) reads each
 * request; for a write it fetches the touched items before and after it, for a Query/Scan it runs the same
 * key condition again without filter and projection, for a Get it fetches the whole item, all through a
 * client of its own that is not metered. Nothing the functions send is changed. The extra reads run while
 * the function awaits its own request, so the images are those of its request as long as no one else
 * writes the same items at the same moment (the benchmark runs one journey at a time).
 */

type Item = Record<string, AttributeValue>;

/** The size DynamoDB bills for a value, without its attribute's name. */
export function valueSize(value: AttributeValue): number {
  if (value.S !== undefined) return Buffer.byteLength(value.S, 'utf8');
  if (value.N !== undefined) return numberSize(value.N);
  if (value.B !== undefined) return value.B.byteLength;
  if (value.BOOL !== undefined || value.NULL !== undefined) return 1;
  if (value.SS !== undefined) return value.SS.reduce((sum, s) => sum + Buffer.byteLength(s, 'utf8'), 0);
  if (value.NS !== undefined) return value.NS.reduce((sum, n) => sum + numberSize(n), 0);
  if (value.BS !== undefined) return value.BS.reduce((sum, b) => sum + b.byteLength, 0);
  if (value.M !== undefined) return 3 + itemSize(value.M);
  if (value.L !== undefined) return 3 + value.L.reduce((sum, element) => sum + valueSize(element), 0);
  return 0;
}

/** About 1 byte per two significant digits, plus 1 (leading and trailing zeros, sign, point and exponent not counted). */
function numberSize(n: string): number {
  const digits = (n.replace(/^[-+]/, '').split(/e/i)[0] ?? '').replace('.', '').replace(/^0+/, '').replace(/0+$/, '');
  return Math.ceil(Math.max(digits.length, 1) / 2) + 1;
}

export function itemSize(item: Item | undefined): number {
  if (!item) return 0;
  return Object.entries(item).reduce((sum, [name, value]) => sum + Buffer.byteLength(name, 'utf8') + valueSize(value), 0);
}

interface IndexShape {
  name: string;
  keys: string[];
  /** The non-key attributes it projects; 'ALL' for every one. */
  projects: 'ALL' | readonly string[];
}

export interface TableShape {
  keys: string[];
  indexes: IndexShape[];
}

/** A table's keys and global secondary indexes as resources/tables.yml deploys them (logical id). */
export function tableShape(logicalId = 'OnboardingTable'): TableShape {
  const table = tableDefinitions()[logicalId];
  if (!table) throw new Error(`no table ${logicalId} in resources/tables.yml`);
  const { KeySchema = [], GlobalSecondaryIndexes = [] } = table.Properties;
  return {
    keys: KeySchema.map((key) => key.AttributeName!),
    indexes: GlobalSecondaryIndexes.map((index) => ({
      name: index.IndexName!,
      keys: (index.KeySchema ?? []).map((key) => key.AttributeName!),
      projects:
        index.Projection?.ProjectionType === 'ALL' ? 'ALL' : index.Projection?.ProjectionType === 'INCLUDE' ? (index.Projection.NonKeyAttributes ?? []) : [],
    })),
  };
}

/** One item a write touched, as billed. */
export interface WriteLine {
  command: string;
  action: 'Put' | 'Update' | 'Delete' | 'ConditionCheck';
  /** The item's `entity` attribute, else its partition key's prefix. */
  item: string;
  bytesBefore: number;
  bytesAfter: number;
  /** The base table's units (doubled in a transaction). */
  wru: number;
  /** Units per index written, with the number of index writes (a key change is 2). */
  indexes: Record<string, { writes: number; wru: number }>;
  failed: boolean;
}

export interface ReadLine {
  command: string;
  /** The item (Get) or the table or index (Query, Scan) read. */
  item: string;
  items: number;
  bytes: number;
  consistent: boolean;
  rru: number;
}

export interface CostTally {
  /** Requests sent, by command (an SDK retry of one is not counted again; see `retries`). */
  requests: Record<string, number>;
  retries: number;
  failed: number;
  wru: number;
  rru: number;
  /** Of `wru`: the base table's and the indexes'. */
  tableWru: number;
  indexWru: number;
  /** What DynamoDB Local answered in ConsumedCapacity for the same requests (null when it answered none). */
  local: { wcu: number | null; rcu: number | null };
  writes: WriteLine[];
  reads: ReadLine[];
}

const WRITE_COMMANDS = new Set(['PutItem', 'UpdateItem', 'DeleteItem', 'BatchWriteItem', 'TransactWriteItems']);
const READ_COMMANDS = new Set(['GetItem', 'BatchGetItem', 'TransactGetItems', 'Query', 'Scan']);

const writeUnits = (bytes: number) => Math.max(1, Math.ceil(bytes / 1024));
const readUnits = (bytes: number) => Math.max(1, Math.ceil(bytes / 4096));

interface Action {
  action: WriteLine['action'];
  table: string;
  key: Item;
  /** A put's new item. */
  item?: Item;
}

type Capacity = { CapacityUnits?: number; ReadCapacityUnits?: number; WriteCapacityUnits?: number };

const attached = new WeakMap<DynamoDBClient, ReturnType<typeof attach>>();

/**
 * Bills every request `client` sends between `start()` and `stop()`. `shapes` gives each table name
 * the client writes its keys and indexes; `endpoint` is the database to read the images from.
 */
export function createBillingMeter(client: DynamoDBClient, options: { endpoint: string; shapes: Record<string, TableShape> }) {
  let meter = attached.get(client);
  if (!meter) {
    meter = attach(client, options.endpoint);
    attached.set(client, meter);
  }
  meter.shapes = options.shapes;
  return { start: meter.start, stop: meter.stop };
}

function attach(client: DynamoDBClient, endpoint: string) {
  const reader = new DynamoDBClient({ endpoint, region: 'eu-west-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  let current: CostTally | undefined;
  const state = {
    shapes: {} as Record<string, TableShape>,
    start: () => {
      current = { requests: {}, retries: 0, failed: 0, wru: 0, rru: 0, tableWru: 0, indexWru: 0, local: { wcu: null, rcu: null }, writes: [], reads: [] };
    },
    stop: (): CostTally => {
      const tally = current;
      current = undefined;
      if (!tally) throw new Error('billing meter stopped without start');
      return tally;
    },
  };
  const shapeOf = (table: string) => {
    const shape = state.shapes[table];
    if (!shape) throw new Error(`billing: no shape for table ${table}`);
    return shape;
  };
  const keyOf = (table: string, item: Item) => Object.fromEntries(shapeOf(table).keys.map((name) => [name, item[name]!]));
  const image = async (table: string, key: Item) => (await reader.send(new GetItemCommand({ TableName: table, Key: key, ConsistentRead: true }))).Item;
  const label = (item: Item | undefined, key: Item) => item?.entity?.S ?? Object.values(key)[0]?.S?.split('#')[0] ?? '?';

  /** The actions of a write request, each with the table it writes. */
  function actionsOf(command: string, input: Record<string, unknown>): Action[] {
    const table = input.TableName as string;
    switch (command) {
      case 'PutItem':
        return [{ action: 'Put', table, key: keyOf(table, input.Item as Item), item: input.Item as Item }];
      case 'UpdateItem':
        return [{ action: 'Update', table, key: input.Key as Item }];
      case 'DeleteItem':
        return [{ action: 'Delete', table, key: input.Key as Item }];
      case 'BatchWriteItem':
        return Object.entries(input.RequestItems as Record<string, Array<{ PutRequest?: { Item: Item }; DeleteRequest?: { Key: Item } }>>).flatMap(
          ([name, requests]) =>
            requests.map((request): Action => {
              const item = request.PutRequest?.Item;
              return item ? { action: 'Put', table: name, key: keyOf(name, item), item } : { action: 'Delete', table: name, key: request.DeleteRequest!.Key };
            }),
        );
      case 'TransactWriteItems':
        return (input.TransactItems as Array<Record<string, { TableName: string; Key?: Item; Item?: Item }>>).map((entry) => {
          const [action, body] = Object.entries(entry)[0]!;
          return body.Item
            ? { action: 'Put', table: body.TableName, key: keyOf(body.TableName, body.Item), item: body.Item }
            : { action: action as Action['action'], table: body.TableName, key: body.Key! };
        });
      default:
        return [];
    }
  }

  /** The index writes an item's change from `before` to `after` costs. */
  function indexWrites(table: string, before: Item | undefined, after: Item | undefined): WriteLine['indexes'] {
    const shape = shapeOf(table);
    const indexes: WriteLine['indexes'] = {};
    for (const index of shape.indexes) {
      const entry = (item: Item | undefined): Item | undefined => {
        if (!item || !index.keys.every((name) => item[name] !== undefined)) return undefined;
        if (index.projects === 'ALL') return item;
        const names = new Set([...shape.keys, ...index.keys, ...index.projects]);
        return Object.fromEntries(Object.entries(item).filter(([name]) => names.has(name)));
      };
      const [old, now] = [entry(before), entry(after)];
      const same = (a: Item, b: Item, names: readonly string[]) => names.every((name) => JSON.stringify(a[name]) === JSON.stringify(b[name]));
      let sizes: number[] = [];
      if (old && now) {
        if (!same(old, now, index.keys)) sizes = [itemSize(old), itemSize(now)];
        else if (!same(old, now, [...new Set([...Object.keys(old), ...Object.keys(now)])])) sizes = [Math.max(itemSize(old), itemSize(now))];
      } else if (old || now) {
        sizes = [itemSize(old ?? now)];
      }
      if (sizes.length) indexes[index.name] = { writes: sizes.length, wru: sizes.reduce((sum, size) => sum + writeUnits(size), 0) };
    }
    return indexes;
  }

  async function billWrite(tally: CostTally, command: string, input: Record<string, unknown>, send: () => Promise<unknown>) {
    const actions = actionsOf(command, input);
    const transaction = command === 'TransactWriteItems';
    const before = await Promise.all(actions.map((action) => image(action.table, action.key)));
    let failure: unknown;
    try {
      return await send();
    } catch (error) {
      failure = error;
      throw error;
    } finally {
      const after = await Promise.all(actions.map((action) => image(action.table, action.key)));
      actions.forEach((action, index) => {
        const [old, now] = [before[index], after[index]];
        const failed = failure !== undefined;
        const largest = Math.max(itemSize(old), failed ? itemSize(action.item) : itemSize(now));
        const line: WriteLine = {
          command,
          action: action.action,
          item: label(action.item ?? old ?? now, action.key),
          bytesBefore: itemSize(old),
          bytesAfter: failed ? itemSize(old) : itemSize(now),
          wru: writeUnits(largest) * (transaction ? 2 : 1),
          indexes: failed ? {} : indexWrites(action.table, old, now),
          failed,
        };
        const onIndexes = Object.values(line.indexes).reduce((sum, index) => sum + index.wru, 0);
        tally.writes.push(line);
        tally.tableWru += line.wru;
        tally.indexWru += onIndexes;
        tally.wru += line.wru + onIndexes;
      });
    }
  }

  /** The items a Query or Scan read: the same key condition again, without filter, projection or Select. */
  async function readBy(command: 'Query' | 'Scan', input: QueryCommandInput & ScanCommandInput) {
    const { FilterExpression: _f, ProjectionExpression: _p, Select: _s, ReturnConsumedCapacity: _r, ...rest } = input;
    // DynamoDB refuses names and values the expressions do not use: keep the key condition's only.
    const used = new Set(rest.KeyConditionExpression?.match(/[#:][\w]+/g) ?? []);
    const names = rest.ExpressionAttributeNames && Object.fromEntries(Object.entries(rest.ExpressionAttributeNames).filter(([name]) => used.has(name)));
    const values = rest.ExpressionAttributeValues && Object.fromEntries(Object.entries(rest.ExpressionAttributeValues).filter(([name]) => used.has(name)));
    const again = {
      ...rest,
      ExpressionAttributeNames: names && Object.keys(names).length ? names : undefined,
      ExpressionAttributeValues: values && Object.keys(values).length ? values : undefined,
    };
    const result = await reader.send(command === 'Query' ? new QueryCommand(again) : new ScanCommand(again));
    return result.Items ?? [];
  }

  async function billRead(tally: CostTally, command: string, input: Record<string, unknown>) {
    const add = (line: ReadLine) => {
      tally.reads.push(line);
      tally.rru += line.rru;
    };
    const get = async (table: string, key: Item, consistent: boolean, factor: number) => {
      const item = await image(table, key);
      const bytes = itemSize(item);
      add({ command, item: label(item, key), items: item ? 1 : 0, bytes, consistent, rru: readUnits(bytes) * factor });
    };
    switch (command) {
      case 'GetItem': {
        const consistent = input.ConsistentRead === true;
        return get(input.TableName as string, input.Key as Item, consistent, consistent ? 1 : 0.5);
      }
      case 'BatchGetItem':
        for (const [table, keys] of Object.entries(input.RequestItems as Record<string, KeysAndAttributes>)) {
          for (const key of keys.Keys ?? []) await get(table, key, keys.ConsistentRead === true, keys.ConsistentRead ? 1 : 0.5);
        }
        return;
      case 'TransactGetItems':
        for (const { Get } of input.TransactItems as Array<{ Get: { TableName: string; Key: Item } }>) await get(Get.TableName, Get.Key, true, 2);
        return;
      case 'Query':
      case 'Scan': {
        const items = await readBy(command, input as unknown as QueryCommandInput & ScanCommandInput);
        const bytes = items.reduce((sum, item) => sum + itemSize(item), 0);
        const consistent = input.ConsistentRead === true;
        const where = (input.IndexName as string | undefined) ?? (items[0] ? label(items[0], {}) : (input.TableName as string));
        add({ command, item: where, items: items.length, bytes, consistent, rru: readUnits(bytes) * (consistent ? 1 : 0.5) });
        return;
      }
    }
  }

  // DynamoDB Local's own figures, to compare with: asked for while metering (./meter.ts asks the same).
  client.middlewareStack.add(
    (next) => async (args) => {
      if (current) (args.input as Record<string, unknown>).ReturnConsumedCapacity ??= 'TOTAL';
      return next(args);
    },
    { step: 'initialize', name: 'benchOnDemandBillingCapacity', priority: 'low' },
  );
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const tally = current;
      if (!tally) return next(args);
      const command = (context.commandName ?? 'Unknown').replace(/Command$/, '');
      // After the document client's marshalling: the input is in DynamoDB's own JSON shape.
      const input = args.input as Record<string, unknown>;
      tally.requests[command] = (tally.requests[command] ?? 0) + 1;
      const local = (capacity: Capacity | Capacity[] | undefined) => {
        for (const entry of [capacity ?? []].flat()) {
          const write = WRITE_COMMANDS.has(command);
          const units = entry.CapacityUnits ?? 0;
          if (write) tally.local.wcu = (tally.local.wcu ?? 0) + (entry.WriteCapacityUnits ?? units);
          else tally.local.rcu = (tally.local.rcu ?? 0) + (entry.ReadCapacityUnits ?? units);
        }
      };
      const send = async () => {
        try {
          const result = await next(args);
          const output = result.output as { ConsumedCapacity?: Capacity | Capacity[]; $metadata?: { attempts?: number } };
          local(output.ConsumedCapacity);
          tally.retries += Math.max(0, (output.$metadata?.attempts ?? 1) - 1);
          return result;
        } catch (error) {
          tally.failed++;
          local((error as { ConsumedCapacity?: Capacity[] }).ConsumedCapacity);
          throw error;
        }
      };
      if (WRITE_COMMANDS.has(command)) return (await billWrite(tally, command, input, send)) as Awaited<ReturnType<typeof next>>;
      const result = await send();
      if (READ_COMMANDS.has(command)) await billRead(tally, command, input);
      return result;
    },
    { step: 'build', name: 'benchOnDemandBilling', priority: 'low' },
  );
  return state;
}
