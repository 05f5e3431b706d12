import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import { loadConfig } from '../lib/config/settings.ts';
import { WEBHOOK_STATUSES } from '../lib/webhooks/event.ts';
import { parseSecrets, sign } from '../lib/webhooks/signature.ts';
import { findStack } from './local/stacks.ts';

const TYPES = { onboarding: 'onboarding.status.updated', offboarding: 'offboarding.status.updated' } as const;

const usage = `npm run webhook -- --id <requestId> --status <${WEBHOOK_STATUSES.join('|')}> [--type onboarding|offboarding]
       [--error <code:message> ...] [--entity-id <uuid>] [--message-id <id>]
Sends a provider event, signed with the local secret (the first of WEBHOOK_SECRETS, or the dev default),
to the service of npm start (the one on --port or PORT when several run), and prints the response.
--type offboarding sends offboarding.status.updated; the default is an onboarding event.
An onboarding Succeeded names the entity the platform made, as a provider's does: --entity-id, or a new
uuid that is printed (an entity onboarding's entity is then known to its tenant and can be offboarded).`;

const { values } = parseArgs({
  options: {
    id: { type: 'string' },
    status: { type: 'string' },
    error: { type: 'string', multiple: true },
    'entity-id': { type: 'string' },
    type: { type: 'string', default: 'onboarding' },
    'message-id': { type: 'string' },
    url: { type: 'string' },
    port: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  },
});

if (values.help || !values.id || !values.status || !(values.type! in TYPES)) {
  console.log(usage);
  process.exitCode = values.help ? 0 : 2;
} else {
  const type = TYPES[values.type as keyof typeof TYPES];
  const entityId = values['entity-id'] ?? (type === TYPES.onboarding && values.status === 'Succeeded' ? randomUUID() : undefined);
  const config = loadConfig();
  const [key] = parseSecrets(config.webhookSecrets?.value ?? '');
  const errors = values.error?.map((entry) => {
    const [code, ...message] = entry.split(':');
    return { code: code!, message: message.join(':') || code! };
  });
  const body = JSON.stringify({
    type,
    timestamp: new Date().toISOString(),
    data: {
      id: values.id,
      status: values.status,
      ...(errors ? { errors } : {}),
      ...(entityId ? { entity: { id: entityId } } : {}),
    },
  });
  const messageId = values['message-id'] ?? `msg_${randomUUID()}`;
  const timestamp = Math.floor(Date.now() / 1000);
  let url = values.url;
  try {
    url ??= `${findStack(values.port ? Number(values.port) : undefined).apiUrl}/v1/webhooks/onboarding`;
  } catch (error) {
    console.error((error as Error).message);
    process.exit(1);
  }
  const response = await fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'webhook-id': messageId,
      'webhook-timestamp': String(timestamp),
      'webhook-signature': sign(key!, messageId, timestamp, body),
    },
    body,
  });
  console.log(`${response.status} ${await response.text()}`);
  if (entityId && response.ok) console.log(`entity id: ${entityId}`);
  if (!response.ok) process.exitCode = 1;
}
