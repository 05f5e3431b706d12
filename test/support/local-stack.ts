import { type ChildProcess, spawn } from 'node:child_process';
import { ROOT } from '../../scripts/local/build.ts';
import { freePort } from '../../scripts/local/dynamodb-local.ts';

/** `npm start` as a newcomer runs it, on a free port, in the environment a test gives it. */
export interface Stack {
  port: number;
  child: ChildProcess;
  output: () => string;
}

/** Starts `scripts/start.ts` in its own process group and waits for its ready line. */
export async function startStack(env: NodeJS.ProcessEnv, readyWithinMs = 60_000): Promise<Stack> {
  const port = await freePort();
  const child = spawn(process.execPath, ['scripts/start.ts'], {
    cwd: ROOT,
    env: { ...env, PORT: String(port) },
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  child.stderr!.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`npm start was not ready within ${readyWithinMs / 1000} s:\n${output}`)), readyWithinMs);
    child.stdout!.on('data', () => {
      if (output.includes('ready at')) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`npm start exited with ${code}:\n${output}`));
    });
  });
  return { port, child, output: () => output };
}

/** Stops the stack and everything it started (its process group), and waits for it. */
export async function stopStack(stack: Stack | undefined): Promise<void> {
  if (!stack?.child.pid || stack.child.exitCode !== null) return;
  const exited = new Promise((resolve) => stack.child.once('exit', resolve));
  process.kill(-stack.child.pid, 'SIGTERM');
  await exited;
}
