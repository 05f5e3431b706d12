import { spawnSync } from 'node:child_process';
import { mkdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import * as esbuild from 'esbuild';
import { buildFunctions, type Mode, ROOT, readServerlessBuild, readServerlessEnvironment } from '../local/build.ts';
import { median, range } from './stats.ts';

/**
 * Every function's bundle, built as serverless.yml configures esbuild (scripts/local/build.ts), per mode;
 * and its cold init, timed in fresh Node processes against an AWS SDK-only handler bundled the same way
 * that imports and builds the same clients and nothing of ours (the floor no project code can go under).
 */
const BENCH_DIR = join(ROOT, '.bench');

export interface BuiltBundle {
  entry: string;
  file: string;
  bytes: number;
  functions: string[];
  /** The largest inputs (by package), for explaining a size. */
  largestInputs: Array<{ path: string; bytes: number }>;
  /** The runtime's AWS SDK packages the bundle loads at start (lib/store/sdk.ts). */
  sdkAtStart: string[];
}

export async function buildBundles(mode: Mode): Promise<BuiltBundle[]> {
  const outdir = join(BENCH_DIR, `bundles-${mode}`);
  rmSync(outdir, { recursive: true, force: true });
  const { functions, metafile } = await buildFunctions(outdir, mode);
  const entries = Map.groupBy(functions, (fn) => fn.entry);
  return [...entries].map(([entry, fns]) => {
    const file = fns[0]!.file;
    const output = Object.entries(metafile.outputs).find(([path]) => join(ROOT, path) === file)?.[1];
    const packages = new Map<string, number>();
    for (const [path, { bytesInOutput }] of Object.entries(output?.inputs ?? {})) {
      const key = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(path)?.[1] ?? path;
      packages.set(key, (packages.get(key) ?? 0) + bytesInOutput);
    }
    const inputs = Object.keys(output?.inputs ?? {});
    return {
      entry,
      file,
      bytes: statSync(file).size,
      functions: fns.map((fn) => fn.name),
      largestInputs: [...packages]
        .map(([path, bytes]) => ({ path, bytes }))
        .sort((a, b) => b.bytes - a.bytes)
        .slice(0, 6),
      sdkAtStart: [...new Set(inputs.flatMap((path) => SDK_LOADED_BY[path] ?? []))],
    };
  });
}

/** The module that loads the runtime's SDK at start, and what it loads (with require: see it for why). */
const SDK_LOADED_BY: Record<string, string[]> = { 'lib/store/sdk.ts': ['@aws-sdk/client-dynamodb', '@aws-sdk/lib-dynamodb'] };

/** What each SDK package gives and costs to build, as lib/store/sdk.ts and lib/store/client.ts use it. */
const CLIENT_SETUP: Record<string, { name: string; build: string }> = {
  '@aws-sdk/client-dynamodb': {
    name: 'DynamoDBClient',
    build:
      "globalThis.__clients = [new DynamoDBClient({ region: 'eu-west-1', maxAttempts: 3, requestHandler: { connectionTimeout: 1000, requestTimeout: 3000 } })];\n",
  },
  '@aws-sdk/lib-dynamodb': {
    name: 'DynamoDBDocumentClient',
    build: 'globalThis.__clients.push(DynamoDBDocumentClient.from(globalThis.__clients[0], { marshallOptions: { removeUndefinedValues: true } }));\n',
  },
};

/**
 * The SDK-only handler for the SDK packages a function loads at start, bundled with the same esbuild
 * options: the same packages loaded the same way, the same clients built, a handler that does nothing.
 * With none it is the hello-world handler. `how: 'import'` loads them as AWS's examples do, with import
 * statements, to show what loading them with require saves.
 */
export async function buildSdkBaseline(
  sdkAtStart: readonly string[],
  mode: Mode,
  how: 'require' | 'import' = 'require',
): Promise<{ label: string; file: string; bytes: number }> {
  const packages = sdkAtStart.filter((name) => name in CLIENT_SETUP);
  const known = packages.map((name) => name.replace('@aws-sdk/', ''));
  const imported = how === 'import' && packages.length > 0;
  const name = `${known.join('+') || 'hello'}${imported ? '.import' : ''}`;
  const dir = join(BENCH_DIR, `baseline-${mode}`);
  mkdirSync(dir, { recursive: true });
  const entry = join(dir, `${name}.ts`);
  const loads = packages.map((pkg) => {
    const { name: exported, build } = CLIENT_SETUP[pkg]!;
    return `${imported ? `import { ${exported} } from '${pkg}';` : `const { ${exported} } = load('${pkg}');`}\n${build}`;
  });
  const loader = packages.length > 0 && !imported ? "import { createRequire } from 'node:module';\nconst load = createRequire(import.meta.url);\n" : '';
  writeFileSync(entry, `${loader}${loads.join('')}export const handler = async () => ({ statusCode: 200, body: 'hello' });\n`);
  const { options, outputFileExtension } = readServerlessBuild(mode);
  await esbuild.build({ ...options, absWorkingDir: ROOT, entryPoints: [entry], outdir: join(dir, 'out'), logLevel: 'silent' });
  const file = join(dir, 'out', `${name}${outputFileExtension}`);
  return { label: `${known.join(' + ') || 'hello world'}${imported ? ' (import)' : ''}`, file, bytes: statSync(file).size };
}

/** Imports the module given as argv[2] and prints ms since the process started, and ms of the import alone. */
const PROBE = `const started = performance.now();
await import(process.argv[2]);
const ready = performance.now();
process.stdout.write(JSON.stringify({ sinceStart: ready, importMs: ready - started }));
`;

/** What a proxy-mode function starts with (not deployed: a plain secret; nothing is fetched at init). */
export const PROXY_ENV = { ONBOARDING_MODE: 'realto', REALTO_CLIENT_ID: 'bench', REALTO_CLIENT_SECRET: 'bench' };

export interface InitSubject {
  label: string;
  file: string;
  /** Added to the function's environment (proxy mode's settings). */
  env?: Record<string, string>;
}

export interface InitResult {
  /** Median ms from process start until the module has been imported. */
  initMs: number;
  /** Every run's figure, in round order (for paired differences). */
  samples: number[];
}

/**
 * The environment a deployed function starts with, as far as its configuration goes: no DynamoDB endpoint,
 * as in Lambda (a local endpoint makes the client build keep-alive agents for npm start's many calls), the
 * identity provider's key URL bearer routes need when deployed, and the NODE_OPTIONS serverless.yml gives
 * every function, if any (node flags change what a cold start does).
 */
export function childEnv(): NodeJS.ProcessEnv {
  const nodeOptions = readServerlessEnvironment().NODE_OPTIONS;
  return {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    STAGE: 'dev',
    AWS_REGION: 'eu-west-1',
    LOG_LEVEL: 'SILENT',
    METRICS_DISABLED: 'true',
    // As deployed, where it is required; nothing is fetched from it at start.
    AUTH_JWKS_URL: 'https://idp.example.com/.well-known/jwks.json',
    // As deployed, the stack names the delivery worker to the functions that hand deliveries to it.
    DELIVERY_WORKER_FUNCTION: 'attemptDeliveries',
    ...(nodeOptions ? { NODE_OPTIONS: String(nodeOptions) } : {}),
  };
}

/** Fresh `node` processes, round-robin over the subjects so drift hits all alike; medians of `runs`. */
export function measureColdInit(subjects: readonly InitSubject[], runs: number): Map<string, InitResult> {
  mkdirSync(BENCH_DIR, { recursive: true });
  const probe = join(BENCH_DIR, 'init-probe.mjs');
  writeFileSync(probe, PROBE);
  const samples = subjects.map(() => [] as number[]);
  // One untimed round first: file-system cache, as a warm Lambda host would have it.
  for (const round of [-1, ...range(runs)]) {
    subjects.forEach((subject, index) => {
      const child = spawnSync(process.execPath, [probe, pathToFileURL(subject.file).href], {
        cwd: ROOT,
        env: { ...childEnv(), ...subject.env },
        encoding: 'utf8',
        timeout: 30_000,
      });
      if (child.status !== 0) throw new Error(`cold init of ${relative(ROOT, subject.file)} failed (exit ${child.status}):\n${child.stderr}`);
      if (round >= 0) samples[index]!.push((JSON.parse(child.stdout) as { sinceStart: number }).sinceStart);
    });
  }
  return new Map(subjects.map((subject, index) => [subject.label, { initMs: median(samples[index]!), samples: samples[index]! }]));
}

/** The median of the per-round differences `a − b`: both were timed in the same round, so drift cancels. */
export const pairedDifference = (a: InitResult, b: InitResult) => median(a.samples.map((sample, round) => sample - b.samples[round]!));
