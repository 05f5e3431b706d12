import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseArgs } from 'node:util';
import { parseSecrets, verify } from '../lib/webhooks/signature.ts';
import { DEV_TENANT_ID, devToken } from './local/dev-token.ts';
import { findStack } from './local/stacks.ts';

const usage = `npm run events:listen [-- --port <n>] [--stack <port>] [--json]
Subscribes a receiver on 127.0.0.1:<port> (default 4000; 0 for any free port) to the dev tenant's events
in the local stack of npm start (the one on --stack or PORT when several run), and prints each delivery
with its signature verified. --json prints each event whole. Ctrl-C unsubscribes.`;

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '4000' },
    stack: { type: 'string' },
    json: { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h' },
  },
});

interface Delivered {
  type: string;
  data: { id?: string; transition?: { version: number; from: string | null; to: string; actor: { type: string; id: string } } };
}

function describe(event: Delivered): string {
  const transition = event.data.transition;
  if (!transition) return '';
  return `request ${event.data.id} ${transition.from ?? '(new)'} → ${transition.to} (v${transition.version}, ${transition.actor.type})`;
}

if (values.help || !/^\d+$/.test(values.port!)) {
  console.log(usage);
  process.exitCode = values.help ? 0 : 2;
} else {
  try {
    const stack = findStack(values.stack ? Number(values.stack) : undefined);
    const authorization = `Bearer ${await devToken({ tenantId: DEV_TENANT_ID })}`;
    let keys: Buffer[] = [];
    const server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        const body = Buffer.concat(chunks);
        const header = (name: string) => request.headers[name] as string | undefined;
        const at = new Date().toISOString().slice(11, 23);
        try {
          const id = verify(
            { id: header('webhook-id'), timestamp: header('webhook-timestamp'), signature: header('webhook-signature'), body },
            keys,
            Math.floor(Date.now() / 1000),
          );
          const event = JSON.parse(body.toString('utf8')) as Delivered;
          console.log(`${at} ${event.type} ${id} signature verified ${describe(event)}`.trimEnd());
          if (values.json) console.log(JSON.stringify(event, null, 2));
          response.writeHead(204).end();
        } catch (error) {
          console.log(`${at} REJECTED ${header('webhook-id') ?? '(no id)'}: ${(error as Error).message}`);
          response.writeHead(400).end();
        }
      });
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(Number(values.port), '127.0.0.1', resolve);
    });
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/events`;
    const created = await fetch(`${stack.apiUrl}/v1/webhook-endpoints`, {
      method: 'POST',
      headers: { authorization, 'content-type': 'application/json' },
      body: JSON.stringify({ url, description: 'npm run events:listen' }),
    });
    const endpoint = (await created.json()) as { id: string; secret: string; detail?: string };
    if (created.status !== 201) throw new Error(`the stack refused the subscription: ${created.status} ${endpoint.detail ?? ''}`);
    keys = parseSecrets(endpoint.secret);
    console.log(`Listening at ${url} for tenant ${DEV_TENANT_ID}: endpoint ${endpoint.id} on ${stack.apiUrl} (Ctrl-C unsubscribes)`);

    const unsubscribe = async () => {
      await fetch(`${stack.apiUrl}/v1/webhook-endpoints/${endpoint.id}`, { method: 'DELETE', headers: { authorization } }).catch(() => undefined);
      server.close();
      process.exit(0);
    };
    for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => void unsubscribe());
  } catch (error) {
    console.error((error as Error).message);
    process.exitCode = 1;
  }
}
