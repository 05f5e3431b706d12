import { pathToFileURL } from 'node:url';
import { parentPort, workerData } from 'node:worker_threads';
import { lambdaContext } from './lambda-events.ts';

/**
 * One Lambda execution environment of the local runner (./lambda-runner.ts): a worker thread with its
 * own environment variables that imports one function's bundle (the cold start) and runs one invocation
 * at a time, as Lambda does.
 */
interface Invocation {
  id: number;
  event: unknown;
  requestId: string;
  deadline: number;
}

const { file, exportName, functionName, memorySize } = workerData as { file: string; exportName: string; functionName: string; memorySize: number };
// npm start builds the bundles with source maps (minified, names too): its logs' stack traces name the source.
process.setSourceMapsEnabled(true);
const module = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
const handler = module[exportName];
if (typeof handler !== 'function') throw new Error(`${file} has no function export ${exportName}`);

parentPort!.on('message', async ({ id, event, requestId, deadline }: Invocation) => {
  const context = lambdaContext(functionName, deadline - Date.now(), { awsRequestId: requestId, memoryLimitInMB: memorySize });
  try {
    const result = await (handler as (event: unknown, context: unknown) => Promise<unknown>)(event, context);
    parentPort!.postMessage({ id, ok: true, result });
  } catch (error) {
    const { name = 'Error', message = String(error), stack } = (error ?? {}) as Error;
    parentPort!.postMessage({ id, ok: false, error: { name, message, stack } });
  }
});
parentPort!.postMessage({ ready: true });
