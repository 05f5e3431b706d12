import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/**
 * The local stacks `npm start` runs in this checkout, each described in .local/stacks/<port>.json while
 * it runs, so that the other commands (audit:verify, cleanup, webhook) find the one they mean, whatever
 * DynamoDB port it got, and two stacks of one checkout never mix.
 */
export const ROOT = join(dirname(new URL(import.meta.url).pathname), '..', '..');
/** LOCAL_STACKS_DIR keeps a test's stacks apart from the ones a developer runs in the same checkout. */
const directory = () => process.env.LOCAL_STACKS_DIR ?? join(ROOT, '.local', 'stacks');

export interface LocalStack {
  pid: number;
  /** The API's port (PORT). */
  port: number;
  apiUrl: string;
  dynamoEndpoint: string;
  tableName: string;
  mode: string;
  startedAt: string;
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Describes a starting stack; the returned function removes the description (on stop). */
export function registerStack(stack: LocalStack): () => void {
  mkdirSync(directory(), { recursive: true });
  const file = join(directory(), `${stack.port}.json`);
  writeFileSync(file, `${JSON.stringify(stack, null, 2)}\n`);
  return () => rmSync(file, { force: true });
}

/** The stacks running now; descriptions left by a stack that died are removed. */
export function runningStacks(): LocalStack[] {
  let files: string[];
  try {
    files = readdirSync(directory()).filter((name) => name.endsWith('.json'));
  } catch {
    return [];
  }
  const stacks: LocalStack[] = [];
  for (const name of files) {
    const file = join(directory(), name);
    try {
      const stack = JSON.parse(readFileSync(file, 'utf8')) as LocalStack;
      if (isAlive(stack.pid)) stacks.push(stack);
      else rmSync(file, { force: true });
    } catch {
      rmSync(file, { force: true });
    }
  }
  return stacks.sort((a, b) => a.port - b.port);
}

/**
 * The stack a command means: the one on `port` (the --port option, else PORT) when given, else the only
 * one running. Says plainly when there is none, or when there are several and it cannot choose.
 */
export function findStack(port: number | undefined = process.env.PORT ? Number(process.env.PORT) : undefined): LocalStack {
  const stacks = runningStacks();
  if (port !== undefined) {
    const match = stacks.find((stack) => stack.port === port);
    if (match) return match;
    throw new Error(
      `No local stack answers on port ${port} in this checkout${stacks.length ? ` (running: ${stacks.map((stack) => stack.port).join(', ')})` : ''}. Start one with: PORT=${port} npm start`,
    );
  }
  if (stacks.length === 1) return stacks[0]!;
  if (stacks.length === 0) throw new Error('No local stack is running in this checkout. Start one with: npm start (or pass --endpoint <DynamoDB URL>)');
  throw new Error(
    `Several local stacks are running (ports ${stacks.map((stack) => `${stack.port} (${stack.mode})`).join(', ')}): choose one with --port <port> or PORT=<port>`,
  );
}
