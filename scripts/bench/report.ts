import type { OperationResult } from './warm.ts';

/** Text tables, number formats and the budget judges. */

/** Columns whose every cell is a figure are right-aligned. */
export function table(headers: readonly string[], rows: ReadonlyArray<readonly string[]>): string {
  const widths = headers.map((header, column) => Math.max(header.length, ...rows.map((row) => (row[column] ?? '').length)));
  const figure = /^(n\/a|[-+x]?\d[\d.]*( ms| s| KB)?)$/;
  const right = headers.map((_, column) => rows.some((row) => row[column]) && rows.every((row) => !row[column] || figure.test(row[column])));
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, column) => (right[column] ? cell.padStart(widths[column]!) : cell.padEnd(widths[column]!)))
      .join('  ')
      .trimEnd();
  return [line(headers), line(widths.map((width) => '-'.repeat(width))), ...rows.map(line)].join('\n');
}

const finite = (value: number | null | undefined): value is number => value !== null && value !== undefined && Number.isFinite(value);
export const fixed = (value: number | null | undefined, digits = 2) => (finite(value) ? value.toFixed(digits) : 'n/a');
export const num = (value: number | null | undefined, digits = 2) => (finite(value) ? String(Number(value.toFixed(digits))) : 'n/a');
export const ms = (value: number | null | undefined, digits = 0) => (finite(value) ? `${value.toFixed(digits)} ms` : 'n/a');
export const signed = (value: number | null | undefined, digits = 1, unit = ' ms') =>
  finite(value) ? `${value >= 0 ? '+' : ''}${value.toFixed(digits)}${unit}` : 'n/a';
export const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KB`;

export interface Budget {
  name: string;
  value: string;
  limit: string;
  /** null: not measured (its phase failed). */
  held: boolean | null;
}

/** A budget on a result that may be missing (its phase failed): `judge` gives the value shown and whether it held. */
export function budget<T>(name: string, limit: string, result: T | undefined, judge: (result: T) => [value: string, held: boolean]): Budget {
  if (result === undefined) return { name, value: 'not measured', limit, held: null };
  const [value, held] = judge(result);
  return { name, value, limit, held };
}

/** One limit in ms over many figures (each bundle's init, each operation's overhead): how many are over it, and the worst. */
export function eachWithin(name: string, limitMs: number, digits: number, figures: ReadonlyArray<readonly [label: string, value: number | undefined]>) {
  const measured = figures.filter((figure): figure is [string, number] => figure[1] !== undefined);
  return budget(name, `≤ ${limitMs} ms each`, measured.length ? measured : undefined, (all) => {
    const [label, worst] = all.reduce((a, b) => (b[1] > a[1] ? b : a));
    const over = all.filter(([, value]) => value > limitMs).length;
    return [`${over} of ${all.length} over, max ${signed(worst, digits)} (${label})`, over === 0];
  });
}

const READS = new Set(['GetItem', 'Query', 'Scan', 'BatchGetItem', 'TransactGetItems']);

/**
 * The DynamoDB requests of every call of an operation (min and max per call): exactly `exact` of each
 * command named, besides them only reads, at most `reads` in all (`ignore`d commands not judged), no error.
 */
export function requestsBudget(name: string, op: OperationResult | undefined, exact: Record<string, number>, reads = 0, ignore: readonly string[] = []) {
  const limit = `${Object.entries(exact)
    .map(([command, n]) => `${n} ${command}`)
    .join(' + ')}, ${reads ? `≤ ${reads} read${reads > 1 ? 's' : ''}` : 'nothing else'}${ignore.length ? ` (+ ${ignore.join(', ')})` : ''}`;
  return budget(name, limit, op, ({ dynamo: { byCommand }, timing }) => {
    const others = Object.entries(byCommand).filter(([command]) => !(command in exact) && !ignore.includes(command));
    const held =
      Object.entries(exact).every(([command, n]) => byCommand[command]?.min === n && byCommand[command]?.max === n) &&
      others.every(([command]) => READS.has(command)) &&
      others.reduce((sum, [, { max }]) => sum + max, 0) <= reads &&
      timing.errors === 0;
    const value = Object.entries(byCommand).map(([command, { min, max }]) => `${min === max ? min : `${min}–${max}`} ${command}`);
    return [value.join(' + ') || 'none', held];
  });
}
