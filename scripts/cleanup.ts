import { parseArgs } from 'node:util';

const usage = `npm run cleanup [-- --older-than-minutes <n>]
Runs the cleanup function once through the local stack of npm start (serverless-offline's Lambda port,
LAMBDA_PORT, default 3002) and prints its report. Without --older-than-minutes the configured ages apply.`;

const { values } = parseArgs({
  options: {
    'older-than-minutes': { type: 'string' },
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
  const stage = process.env.STAGE ?? 'dev';
  const url = `http://127.0.0.1:${process.env.LAMBDA_PORT ?? 3002}/2015-03-31/functions/onboarding-${stage}-cleanup/invocations`;
  try {
    const response = await fetch(url, { method: 'POST', body: JSON.stringify(payload) });
    const text = await response.text();
    console.log(text);
    if (!response.ok || response.headers.get('x-amz-function-error')) process.exitCode = 1;
  } catch {
    console.error(`Nothing answered at ${url}: start the service first with npm start.`);
    process.exitCode = 1;
  }
}
