import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import * as esbuild from 'esbuild';
import { parse } from 'yaml';
import { median, range } from './stats.ts';

/**
 * Bundles every function of serverless.yml the way serverless-esbuild does (custom.esbuild, with its
 * plugin-only keys removed and `exclude` turned into `external`), then times a cold import of each bundle
 * in a fresh Node process beside a hello-world module.
 */

export const ROOT = join(dirname(new URL(import.meta.url).pathname), '..', '..');
export const BENCH_DIR = join(ROOT, '.bench');

/** CloudFormation short forms appear in serverless.yml; their values do not matter here. */
const CFN_TAGS = ['!GetAtt', '!Ref', '!Join', '!Sub', '!If', '!Equals', '!Select', '!Split', '!ImportValue', '!FindInMap', '!Base64', '!GetAZs', '!Not', '!And', '!Or', '!Condition'];
const customTags = CFN_TAGS.flatMap((tag) => [
  { tag, resolve: (value: unknown) => value },
  { tag, collection: 'seq' as const, resolve: (value: unknown) => value },
  { tag, collection: 'map' as const, resolve: (value: unknown) => value },
]);

/** serverless-esbuild's own keys, which it strips before handing the rest to esbuild (its bundle.js). */
const PLUGIN_KEYS = [
  'concurrency', 'zipConcurrency', 'exclude', 'nativeZip', 'packager', 'packagePath', 'watch', 'keepOutputDirectory',
  'packagerOptions', 'installExtraArgs', 'outputFileExtension', 'outputBuildFolder', 'outputWorkFolder', 'nodeExternals',
  'skipBuild', 'skipRebuild', 'skipBuildExcludeFns', 'stripEntryResolveExtensions', 'disposeContext', 'config',
];
const RESOLVE_EXTENSIONS = ['.ts', '.js', '.mjs', '.cjs', '.tsx', '.jsx', '.mts', '.cts'];

export interface FunctionEntry {
  name: string;
  handler: string;
  /** Source file relative to the repo, e.g. functions/onboarding/create.ts. */
  entry: string;
}

/** `local` or `realto`: serverless.yml builds each stack for its one mode (custom.mode, esbuild `define`). */
export type Mode = 'local' | 'realto';

export interface ServerlessBuild {
  mode: Mode;
  functions: FunctionEntry[];
  options: esbuild.BuildOptions;
  outputFileExtension: string;
  raw: Record<string, unknown>;
}

export function readServerlessBuild(mode: Mode = 'local'): ServerlessBuild {
  const document = parse(readFileSync(join(ROOT, 'serverless.yml'), 'utf8'), { customTags }) as {
    custom?: { esbuild?: Record<string, unknown> };
    functions: Record<string, { handler: string }>;
  };
  const raw = { ...document.custom?.esbuild };
  if (raw.config) throw new Error('custom.esbuild.config (a JS config file) is not supported by the benchmark');
  // serverless-esbuild's defaults, overridden by custom.esbuild (arrays replace, as ramda mergeDeepRight does).
  const merged: Record<string, unknown> = { bundle: true, target: 'node18', external: [], exclude: ['aws-sdk'], platform: 'node', outputFileExtension: '.js', ...raw };
  const exclude = (merged.exclude as string[]).filter((entry) => typeof entry === 'string');
  const external = [...(merged.external as string[]), ...(exclude.includes('*') ? [] : exclude)];
  const outputFileExtension = merged.outputFileExtension as string;
  const options: Record<string, unknown> = Object.fromEntries(Object.entries(merged).filter(([key]) => !PLUGIN_KEYS.includes(key)));
  options.external = external;
  // `${self:custom.mode}` is a Serverless variable; the benchmark builds each mode itself.
  if (options.define) {
    options.define = Object.fromEntries(Object.entries(options.define as Record<string, string>)
      .map(([name, value]) => [name, value.replaceAll('${self:custom.mode}', mode)]));
  }
  if (outputFileExtension !== '.js') options.outExtension = { '.js': outputFileExtension };

  const functions = Object.entries(document.functions).map(([name, { handler }]) => {
    const base = handler.slice(0, handler.lastIndexOf('.'));
    const extension = RESOLVE_EXTENSIONS.find((candidate) => existsSync(join(ROOT, base + candidate)));
    if (!extension) throw new Error(`no source file for handler ${handler} of function ${name}`);
    return { name, handler, entry: base + extension };
  });
  return { mode, functions, options: options as esbuild.BuildOptions, outputFileExtension, raw };
}

export interface BuiltBundle {
  entry: string;
  file: string;
  bytes: number;
  /** The largest inputs (by package), for explaining a size. */
  largestInputs: Array<{ path: string; bytes: number }>;
  /** Packages left external that the bundle imports (loaded from the runtime at cold start). */
  externalImports: string[];
}

async function build(entry: string, outRoot: string, options: esbuild.BuildOptions, outputFileExtension: string): Promise<BuiltBundle> {
  const result = await esbuild.build({
    ...options,
    absWorkingDir: ROOT,
    entryPoints: [entry],
    outdir: join(outRoot, dirname(entry)),
    metafile: true,
    logLevel: 'silent',
  });
  const file = join(outRoot, entry.slice(0, entry.lastIndexOf('.')) + outputFileExtension);
  const output = Object.entries(result.metafile.outputs).find(([path]) => join(ROOT, path) === file);
  const inputs = output ? Object.entries(output[1].inputs).map(([path, { bytesInOutput }]) => ({ path, bytes: bytesInOutput })) : [];
  const packages = new Map<string, number>();
  for (const { path, bytes } of inputs) {
    const match = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(path);
    const key = match ? match[1]! : path;
    packages.set(key, (packages.get(key) ?? 0) + bytes);
  }
  const largestInputs = [...packages].map(([path, bytes]) => ({ path, bytes })).sort((a, b) => b.bytes - a.bytes).slice(0, 6);
  const externalImports = [...new Set((output?.[1].imports ?? []).filter((entry) => entry.external && !entry.path.startsWith('node:')).map((entry) => entry.path))].sort();
  return { entry, file, bytes: statSync(file).size, largestInputs, externalImports };
}

export interface Bundles {
  config: ServerlessBuild;
  /** By source entry (several functions share one file). */
  byEntry: Map<string, BuiltBundle>;
  sdkBundled: BuiltBundle & { functionName: string };
}

/** `probeFunction`: the function also built with the SDK bundled. */
export async function buildBundles(probeFunction: string, mode: Mode = 'local'): Promise<Bundles> {
  const config = readServerlessBuild(mode);
  const outRoot = join(BENCH_DIR, `bundles-${mode}`);
  rmSync(outRoot, { recursive: true, force: true });
  const sdkRoot = join(BENCH_DIR, `sdk-bundled-${mode}`);
  rmSync(sdkRoot, { recursive: true, force: true });
  const entries = [...new Set(config.functions.map((fn) => fn.entry))];
  const built = await Promise.all(entries.map((entry) => build(entry, outRoot, config.options, config.outputFileExtension)));
  const probe = config.functions.find((fn) => fn.name === probeFunction);
  if (!probe) throw new Error(`no function ${probeFunction} in serverless.yml`);
  const sdkBundled = await build(probe.entry, sdkRoot, {
    ...config.options,
    external: (config.options.external ?? []).filter((pattern) => !pattern.startsWith('@aws-sdk')),
  }, config.outputFileExtension);
  return {
    config,
    byEntry: new Map(built.map((bundle) => [bundle.entry, bundle])),
    sdkBundled: { ...sdkBundled, functionName: probe.name },
  };
}

/** Imports the module given as argv[2] and prints ms since the process started, and ms of the import alone. */
const PROBE = `const started = performance.now();
await import(process.argv[2]);
const ready = performance.now();
process.stdout.write(JSON.stringify({ sinceStart: ready, importMs: ready - started }));
`;
const HELLO = 'export const handler = async () => ({ statusCode: 200, body: "hello" });\n';

export interface InitSubject {
  label: string;
  file: string;
  nodeOptions?: string;
  /** Added to the function's environment (proxy mode's settings). */
  env?: Record<string, string>;
}

export interface InitResult {
  label: string;
  runs: number;
  /** Median ms from process start until the module has been imported. */
  initMs: number;
  /** Median ms of the import itself. */
  importMs: number;
}

/** The environment a deployed function starts with, as far as its configuration goes. */
export function childEnv(nodeOptions?: string): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    STAGE: 'dev',
    AWS_REGION: 'eu-west-1',
    DYNAMODB_ENDPOINT: 'http://127.0.0.1:1',
    LOG_LEVEL: 'SILENT',
    POWERTOOLS_LOG_LEVEL: 'SILENT',
    POWERTOOLS_METRICS_DISABLED: 'true',
    POWERTOOLS_SERVICE_NAME: 'onboarding',
    ...(nodeOptions ? { NODE_OPTIONS: nodeOptions } : {}),
  };
}

export function helloModule(): string {
  return benchModule('hello.mjs', HELLO);
}

/** A module written into .bench/ (inside the repo, so bare imports resolve from node_modules). */
export function benchModule(name: string, source: string): string {
  mkdirSync(BENCH_DIR, { recursive: true });
  const file = join(BENCH_DIR, name);
  writeFileSync(file, source);
  return file;
}

/** Fresh `node` processes, round-robin over the subjects so drift hits all alike; medians of `runs`. */
export function measureColdInit(subjects: readonly InitSubject[], runs: number): InitResult[] {
  mkdirSync(BENCH_DIR, { recursive: true });
  const probe = join(BENCH_DIR, 'init-probe.mjs');
  writeFileSync(probe, PROBE);
  const samples = subjects.map(() => ({ init: [] as number[], importMs: [] as number[] }));
  // One untimed round first: file-system cache, as a warm Lambda host would have it.
  for (const round of [-1, ...range(runs)]) {
    subjects.forEach((subject, index) => {
      const child = spawnSync(process.execPath, [probe, pathToFileURL(subject.file).href], {
        cwd: ROOT, env: { ...childEnv(subject.nodeOptions), ...subject.env }, encoding: 'utf8', timeout: 30_000,
      });
      if (child.status !== 0) {
        throw new Error(`cold init of ${relative(ROOT, subject.file)} failed (exit ${child.status}):\n${child.stderr}`);
      }
      if (round < 0) return;
      const { sinceStart, importMs } = JSON.parse(child.stdout) as { sinceStart: number; importMs: number };
      samples[index]!.init.push(sinceStart);
      samples[index]!.importMs.push(importMs);
    });
  }
  return subjects.map((subject, index) => ({
    label: subject.label,
    runs,
    initMs: median(samples[index]!.init),
    importMs: median(samples[index]!.importMs),
  }));
}
