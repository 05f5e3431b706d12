import { createRequire } from 'node:module';
import type * as Lambda from '@aws-sdk/client-lambda';
import type { LambdaClient } from '@aws-sdk/client-lambda';
import pMap from 'p-map';
import type { HandOff, HandOffPort } from './delivery.ts';

/** The SDK's client is required on first use, not imported (see lib/store/sdk.ts). */
const load = createRequire(import.meta.url);

/** Invocations queued at once; each returns when Lambda has queued the event, not when it ran. */
const QUEUED_AT_ONCE = 10;

/**
 * Each endpoint's deliveries handed to the delivery worker as an asynchronous Lambda invocation
 * (`InvocationType: Event`): Lambda queues it durably, runs it in an environment of its own, retries it
 * twice on failure and then gives it to the dead-letter queue; the deliveries stay due in the table
 * either way, for the sweep. Locally the gateway answers the same API (scripts/local/gateway.ts). The
 * client is loaded on first use, as the bus's is (./event-bridge.ts).
 */
export function lambdaHandOff(functionName: string, options: { region: string; endpoint?: string | undefined }): HandOffPort {
  let client: LambdaClient | undefined;
  return async (work: readonly HandOff[]) => {
    const { InvokeCommand, LambdaClient } = load('@aws-sdk/client-lambda') as typeof Lambda;
    // Locally, static credentials keep the SDK from walking the provider chain (as the table's client does).
    client ??= new LambdaClient({
      region: options.region,
      maxAttempts: 3,
      ...(options.endpoint ? { endpoint: options.endpoint, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } } : {}),
    });
    const queuing = client;
    await pMap(
      work,
      async (handOff) => {
        const result = await queuing.send(
          new InvokeCommand({ FunctionName: functionName, InvocationType: 'Event', Payload: new TextEncoder().encode(JSON.stringify(handOff)) }),
        );
        if (result.StatusCode !== 202) throw new Error(`The delivery worker was not queued (status ${result.StatusCode})`);
      },
      { concurrency: QUEUED_AT_ONCE },
    );
  };
}
