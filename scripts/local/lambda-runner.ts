import { randomUUID } from 'node:crypto';
import { Worker } from 'node:worker_threads';
import type { BuiltFunction } from './build.ts';

/**
 * Lambda, locally: each function gets a pool of execution environments (worker threads with their own
 * environment variables), started on demand like cold starts, each running one invocation at a time,
 * reused while warm. Unlike serverless-offline, which starts a new worker for every concurrent call
 * (a burst of 180 calls became 180 cold starts on 2 cores, and timeouts), a pool stops growing at
 * `maxEnvironments` and the calls beyond it wait their turn, as Lambda's reserved concurrency would
 * have them. An invocation that outlives the function's timeout loses its environment, as in Lambda.
 */
export type InvocationOutcome =
  | { kind: 'result'; result: unknown; durationMs: number }
  | { kind: 'error'; error: { name: string; message: string; stack?: string }; durationMs: number }
  | { kind: 'timeout'; durationMs: number }
  /** Still waiting for an environment when the caller's own deadline (API Gateway's 30 s) passed. */
  | { kind: 'throttled'; durationMs: number };

/** An outcome before it is timed. */
type Untimed = InvocationOutcome extends infer O ? (O extends InvocationOutcome ? Omit<O, 'durationMs'> : never) : never;

const WORKER_FILE = new URL('./lambda-worker.ts', import.meta.url);

interface Environment {
  worker: Worker;
  ready: Promise<void>;
  busy: boolean;
}

interface Waiting {
  run: (environment: Environment) => void;
  giveUp: () => void;
}

export interface PoolOptions {
  env: NodeJS.ProcessEnv;
  maxEnvironments: number;
  memorySize: number;
  /** Told of an environment's end that was not asked for (a crash). */
  onCrash?: (fn: string, error: Error) => void;
}

export class FunctionPool {
  private readonly environments = new Set<Environment>();
  private readonly queue: Waiting[] = [];
  private nextId = 0;
  readonly fn: BuiltFunction;
  private readonly options: PoolOptions;

  constructor(fn: BuiltFunction, options: PoolOptions) {
    this.fn = fn;
    this.options = options;
  }

  get size(): number {
    return this.environments.size;
  }

  /** Runs one invocation; `waitDeadline` bounds how long it may wait for an environment. */
  invoke(event: unknown, waitDeadline = Date.now() + 30_000): Promise<InvocationOutcome> {
    const started = performance.now();
    const elapsed = () => performance.now() - started;
    return new Promise((resolve) => {
      const run = (environment: Environment) => {
        environment.busy = true;
        void this.runOn(environment, event).then((outcome) => {
          resolve({ ...outcome, durationMs: elapsed() } as InvocationOutcome);
          this.release(environment);
        });
      };
      const idle = [...this.environments].find((environment) => !environment.busy);
      if (idle) return run(idle);
      if (this.environments.size < this.options.maxEnvironments) return run(this.start());
      const waiting: Waiting = {
        run: (environment) => {
          clearTimeout(timer);
          run(environment);
        },
        giveUp: () => resolve({ kind: 'throttled', durationMs: elapsed() }),
      };
      const timer = setTimeout(
        () => {
          const index = this.queue.indexOf(waiting);
          if (index >= 0) this.queue.splice(index, 1);
          waiting.giveUp();
        },
        Math.max(0, waitDeadline - Date.now()),
      );
      this.queue.push(waiting);
    });
  }

  async close(): Promise<void> {
    await Promise.all([...this.environments].map((environment) => environment.worker.terminate()));
    this.environments.clear();
  }

  private start(): Environment {
    const worker = new Worker(WORKER_FILE, {
      env: { ...this.options.env, ...this.fn.environment, AWS_LAMBDA_FUNCTION_NAME: this.fn.name },
      workerData: { file: this.fn.file, exportName: this.fn.exportName, functionName: this.fn.name, memorySize: this.options.memorySize },
      stdout: false,
      stderr: false,
    });
    worker.unref();
    const environment: Environment = {
      worker,
      busy: false,
      ready: new Promise((resolve, reject) => {
        const onMessage = (message: { ready?: boolean }) => {
          if (!message.ready) return;
          worker.off('message', onMessage);
          resolve();
        };
        worker.on('message', onMessage);
        worker.once('error', reject);
        worker.once('exit', (code) => reject(new Error(`the environment exited with code ${code} during its cold start`)));
      }),
    };
    environment.ready.catch(() => undefined);
    worker.on('error', (error) => {
      this.environments.delete(environment);
      this.options.onCrash?.(this.fn.name, error);
    });
    worker.on('exit', () => this.environments.delete(environment));
    this.environments.add(environment);
    return environment;
  }

  private async runOn(environment: Environment, event: unknown): Promise<Untimed> {
    const deadline = Date.now() + this.fn.timeoutSeconds * 1000;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timedOut = new Promise<Untimed>((resolve) => {
      timer = setTimeout(() => resolve({ kind: 'timeout' }), this.fn.timeoutSeconds * 1000);
    });
    const id = this.nextId++;
    const answered = (async (): Promise<Untimed> => {
      try {
        await environment.ready;
      } catch (error) {
        const { name, message, stack } = error as Error;
        return { kind: 'error', error: { name, message, ...(stack ? { stack } : {}) } };
      }
      return new Promise((resolve) => {
        const onMessage = (message: { id?: number; ok?: boolean; result?: unknown; error?: { name: string; message: string; stack?: string } }) => {
          if (message.id !== id) return;
          cleanup();
          resolve(message.ok ? { kind: 'result', result: message.result } : { kind: 'error', error: message.error! });
        };
        const onExit = (code: number) => {
          cleanup();
          resolve({ kind: 'error', error: { name: 'Runtime.ExitError', message: `the environment exited with code ${code} during the invocation` } });
        };
        const cleanup = () => {
          environment.worker.off('message', onMessage);
          environment.worker.off('exit', onExit);
        };
        environment.worker.on('message', onMessage);
        environment.worker.once('exit', onExit);
        environment.worker.postMessage({ id, event, requestId: randomUUID(), deadline });
      });
    })();
    const outcome = await Promise.race([answered, timedOut]);
    clearTimeout(timer);
    if (outcome.kind === 'timeout') {
      // Lambda ends the environment of an invocation that timed out; whatever it was doing stops here.
      this.environments.delete(environment);
      await environment.worker.terminate();
    }
    return outcome;
  }

  private release(environment: Environment): void {
    environment.busy = false;
    if (!this.environments.has(environment)) {
      // Its environment is gone (timeout, crash): the next waiting call gets a fresh one.
      const next = this.queue.shift();
      if (next) next.run(this.start());
      return;
    }
    const next = this.queue.shift();
    if (next) next.run(environment);
  }
}
