import type { TallySummary } from './meter.ts';
import type { OperationResult } from './warm.ts';

/** Text tables and the budget lines. */

export function table(headers: readonly string[], rows: ReadonlyArray<readonly string[]>, rightAligned: ReadonlySet<number> = new Set()): string {
  const widths = headers.map((header, column) => Math.max(header.length, ...rows.map((row) => (row[column] ?? '').length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, column) => (rightAligned.has(column) ? cell.padStart(widths[column]!) : cell.padEnd(widths[column]!)))
      .join('  ')
      .trimEnd();
  return [line(headers), widths.map((width) => '-'.repeat(width)).join('  '), ...rows.map(line)].join('\n');
}

export const ms = (value: number | undefined, digits = 2) => (value === undefined || !Number.isFinite(value) ? 'n/a' : `${value.toFixed(digits)} ms`);
export const signedMs = (value: number, digits = 1) => `${value >= 0 ? '+' : ''}${value.toFixed(digits)} ms`;
export const num = (value: number | null | undefined, digits = 2) => (value === null || value === undefined ? 'n/a' : String(Number(value.toFixed(digits))));

export interface Budget {
  name: string;
  value: string;
  limit: string;
  held: boolean | null;
  /** The measured figure as a number, for the JSON. */
  measured: number | null;
}

const READ_COMMANDS = ['GetItem', 'Query', 'Scan', 'BatchGetItem', 'TransactGetItems'];
const WRITE_COMMANDS = ['PutItem', 'UpdateItem', 'DeleteItem', 'BatchWriteItem', 'TransactWriteItems'];

const maxOf = (summary: TallySummary, commands: readonly string[]) => commands.reduce((sum, command) => sum + (summary.byCommand[command]?.max ?? 0), 0);

/** "exactly one TransactWriteItems and at most one read", judged on every call (min and max per call). */
export function transitionBudget(name: string, operation: OperationResult | undefined, perUnit = 1): Budget {
  if (!operation) return { name, value: 'not measured', limit: '1 TransactWriteItems, ≤ 1 read', held: null, measured: null };
  const { dynamo } = operation;
  const transact = dynamo.byCommand.TransactWriteItems;
  const otherWrites = maxOf(
    dynamo,
    WRITE_COMMANDS.filter((command) => command !== 'TransactWriteItems'),
  );
  const reads = maxOf(dynamo, READ_COMMANDS);
  const held =
    transact !== undefined && transact.min === perUnit && transact.max === perUnit && otherWrites === 0 && reads <= perUnit && operation.timing.errors === 0;
  const writes = `${transact ? transact.max / perUnit : 0} TransactWriteItems${otherWrites ? ` + ${otherWrites} other writes` : ''}`;
  return {
    name,
    value: `${writes}, ${reads / perUnit} read${perUnit > 1 ? ' per request' : ''}`,
    limit: '1 TransactWriteItems, ≤ 1 read',
    held,
    measured: transact ? transact.max / perUnit : 0,
  };
}

/** Exactly `count` of `command` and nothing else, on every call. */
export function onlyBudget(name: string, operation: OperationResult | undefined, command: string, count = 1): Budget {
  const limit = `${count} ${command}, nothing else`;
  if (!operation) return { name, value: 'not measured', limit, held: null, measured: null };
  const { dynamo } = operation;
  const entry = dynamo.byCommand[command];
  const others = Object.entries(dynamo.byCommand).filter(([other]) => other !== command);
  const held = entry !== undefined && entry.min === count && entry.max === count && others.length === 0 && operation.timing.errors === 0;
  const value =
    Object.entries(dynamo.byCommand)
      .map(([name, { min, max }]) => `${min === max ? min : `${min}–${max}`} ${name}`)
      .join(' + ') || 'none';
  return { name, value, limit, held, measured: entry ? entry.max : 0 };
}
