import { parseArgs } from 'node:util';
import { DEV_TENANT_ID, devToken } from './local/dev-token.ts';
import { findStack } from './local/stacks.ts';

const usage = `npm run guided -- --manufacturer <name> [--company "Dev Energy Supplier"] [--entity-type EV]
       [--return-url <https://…>] [--expires-in-minutes 1440] [--port <port>]
Creates a guided onboarding session for the dev tenant on the service of npm start (the one on --port or
PORT when several run) and prints the link to hand to the end user. Open it in a browser:
the device's details and a consent create one Entity onboarding request, in Processing.`;

const { values } = parseArgs({
  options: {
    manufacturer: { type: 'string' },
    company: { type: 'string', default: 'Dev Energy Supplier' },
    'entity-type': { type: 'string' },
    'return-url': { type: 'string' },
    'expires-in-minutes': { type: 'string' },
    port: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  },
});

if (values.help || !values.manufacturer) {
  console.log(usage);
  process.exitCode = values.help ? 0 : 2;
} else {
  let apiUrl: string;
  try {
    apiUrl = findStack(values.port ? Number(values.port) : undefined).apiUrl;
  } catch (error) {
    console.error((error as Error).message);
    process.exit(1);
  }
  const body = {
    companyName: values.company,
    manufacturer: values.manufacturer,
    ...(values['entity-type'] ? { entityType: values['entity-type'] } : {}),
    ...(values['return-url'] ? { returnUrl: values['return-url'] } : {}),
    ...(values['expires-in-minutes'] ? { expiresInMinutes: Number(values['expires-in-minutes']) } : {}),
  };
  const response = await fetch(`${apiUrl}/v1/guided-onboarding-sessions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${await devToken({ tenantId: DEV_TENANT_ID })}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const answer = (await response.json()) as { id?: string; url?: string; expiresAt?: string; detail?: string; title?: string };
  if (!response.ok || !answer.url) {
    // The service's own words (problem+json), so a typo in --entity-type says which values it takes.
    console.error(`${response.status} ${answer.title ?? ''}: ${answer.detail ?? JSON.stringify(answer)}`);
    process.exitCode = 1;
  } else {
    console.log(`session ${answer.id}, open until ${answer.expiresAt}`);
    console.log(answer.url);
  }
}
