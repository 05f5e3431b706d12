import { parseArgs } from 'node:util';
import { CLEANUP_JOB } from '../lib/app/function-table.ts';
import { findStack } from './local/stacks.ts';

const usage = `npm run cleanup [-- --older-than-minutes <n>] [--port <n>]
Runs the cleanup function once in the local stack of npm start (the one on --port or PORT when several run)
and prints its report. Without --older-than-minutes the configured ages apply.`;

const { values } = parseArgs({
  options: {
    'older-than-minutes': { type: 'string' },
    port: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  },
});

if (values.help) {
  console.log(usage);
} else {
  const minutes = values['older-than-minutes'];
  if (minutes !== undefined && !/^\d+$/.test(minutes)) {
    console.error(`--older-than-minutes must be a whole number, got "${minutes}"\n${usage}`);
    process.exit(2);
  }
  const payload = minutes === undefined ? {} : { olderThanMinutes: Number(minutes) };
  try {
    const stack = findStack(values.port ? Number(values.port) : undefined);
    const response = await fetch(`${stack.apiUrl}/2015-03-31/functions/${CLEANUP_JOB.function}/invocations`, { method: 'POST', body: JSON.stringify(payload) });
    console.log(await response.text());
    if (!response.ok || response.headers.get('x-amz-function-error')) process.exitCode = 1;
  } catch (error) {
    console.error((error as Error).message);
    process.exitCode = 1;
  }
}
