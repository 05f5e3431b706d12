import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import * as esbuild from 'esbuild';
import { parse } from 'yaml';
import { ASYNC_WORKERS, DEFAULT_TIMEOUT_SECONDS, FALLBACK_ROUTE, JOBS, ROUTES, STREAM_CONSUMERS } from '../../lib/app/function-table.ts';

/**
 * The function bundles exactly as `serverless package` builds them (serverless.yml `custom.esbuild`, with
 * serverless-esbuild's own keys removed and `exclude` turned into `external`), for the local runner, the
 * benchmark and the bundle tests: what runs locally is what deploys.
 */
export const ROOT = join(dirname(new URL(import.meta.url).pathname), '..', '..');

/** CloudFormation short forms appear in serverless.yml; their values do not matter here. */
const CFN_TAGS = [
  '!GetAtt',
  '!Ref',
  '!Join',
  '!Sub',
  '!If',
  '!Equals',
  '!Select',
  '!Split',
  '!ImportValue',
  '!FindInMap',
  '!Base64',
  '!GetAZs',
  '!Not',
  '!And',
  '!Or',
  '!Condition',
];
const customTags = CFN_TAGS.flatMap((tag) => [
  { tag, resolve: (value: unknown) => value },
  { tag, collection: 'seq' as const, resolve: (value: unknown) => value },
  { tag, collection: 'map' as const, resolve: (value: unknown) => value },
]);

/** serverless-esbuild's own keys, which it strips before handing the rest to esbuild (its bundle.js). */
const PLUGIN_KEYS = [
  'concurrency',
  'zipConcurrency',
  'exclude',
  'nativeZip',
  'packager',
  'packagePath',
  'watch',
  'keepOutputDirectory',
  'packagerOptions',
  'installExtraArgs',
  'outputFileExtension',
  'outputBuildFolder',
  'outputWorkFolder',
  'nodeExternals',
  'skipBuild',
  'skipRebuild',
  'skipBuildExcludeFns',
  'stripEntryResolveExtensions',
  'disposeContext',
  'config',
];
const RESOLVE_EXTENSIONS = ['.ts', '.js', '.mjs', '.cjs', '.tsx', '.jsx', '.mts', '.cts'];

/** `local` or `realto`: serverless.yml builds each stack for its one mode (custom.mode, esbuild `define`). */
export type Mode = 'local' | 'realto';

export interface FunctionEntry {
  name: string;
  handler: string;
  /** Source file relative to the repo, e.g. functions/entity-onboarding/create.ts. */
  entry: string;
  exportName: string;
  timeoutSeconds: number;
  environment: Record<string, string>;
}

export interface ServerlessBuild {
  mode: Mode;
  functions: FunctionEntry[];
  options: esbuild.BuildOptions;
  outputFileExtension: string;
}

/** Every function of the function table (lib/app/function-table.ts), with its source file. */
export function functionEntries(): FunctionEntry[] {
  const declared = [
    ...ROUTES.map((route) => ({ name: route.function, handler: route.handler, timeoutSeconds: route.timeout ?? DEFAULT_TIMEOUT_SECONDS, environment: {} })),
    // API Gateway's $default route: what no route takes.
    { name: FALLBACK_ROUTE.function, handler: FALLBACK_ROUTE.handler, timeoutSeconds: FALLBACK_ROUTE.timeout ?? DEFAULT_TIMEOUT_SECONDS, environment: {} },
    ...JOBS.map((job) => ({ name: job.function, handler: job.handler, timeoutSeconds: job.timeout, environment: job.environment })),
    ...STREAM_CONSUMERS.map((consumer) => ({
      name: consumer.function,
      handler: consumer.handler,
      timeoutSeconds: consumer.timeout,
      environment: consumer.environment,
    })),
    ...ASYNC_WORKERS.map((worker) => ({ name: worker.function, handler: worker.handler, timeoutSeconds: worker.timeout, environment: worker.environment })),
  ];
  return declared.map((fn) => {
    const base = fn.handler.slice(0, fn.handler.lastIndexOf('.'));
    const extension = RESOLVE_EXTENSIONS.find((candidate) => existsSync(join(ROOT, base + candidate)));
    if (!extension) throw new Error(`no source file for handler ${fn.handler} of function ${fn.name}`);
    return { ...fn, entry: base + extension, exportName: fn.handler.slice(fn.handler.lastIndexOf('.') + 1) };
  });
}

function readServerless() {
  return parse(readFileSync(join(ROOT, 'serverless.yml'), 'utf8'), { customTags }) as {
    custom?: { esbuild?: Record<string, unknown> };
    provider?: { environment?: Record<string, unknown> };
  };
}

/** `provider.environment` as serverless.yml writes it (variables unresolved). */
export const readServerlessEnvironment = (): Record<string, unknown> => readServerless().provider?.environment ?? {};

export function readServerlessBuild(mode: Mode = 'local'): ServerlessBuild {
  const document = readServerless();
  const raw = { ...document.custom?.esbuild };
  if (raw.config) throw new Error('custom.esbuild.config (a JS config file) is not supported by the local build');
  // serverless-esbuild's defaults, overridden by custom.esbuild (arrays replace, as ramda mergeDeepRight does).
  const merged: Record<string, unknown> = {
    bundle: true,
    target: 'node18',
    external: [],
    exclude: ['aws-sdk'],
    platform: 'node',
    outputFileExtension: '.js',
    ...raw,
  };
  const exclude = (merged.exclude as string[]).filter((entry) => typeof entry === 'string');
  const external = [...(merged.external as string[]), ...(exclude.includes('*') ? [] : exclude)];
  const outputFileExtension = merged.outputFileExtension as string;
  const options: Record<string, unknown> = Object.fromEntries(Object.entries(merged).filter(([key]) => !PLUGIN_KEYS.includes(key)));
  options.external = external;
  // `${self:custom.mode}` is a Serverless variable; each mode is built on its own here.
  if (options.define) {
    options.define = Object.fromEntries(
      Object.entries(options.define as Record<string, string>).map(([name, value]) => [name, value.replaceAll('${self:custom.mode}', mode)]),
    );
  }
  if (outputFileExtension !== '.js') options.outExtension = { '.js': outputFileExtension };
  return { mode, functions: functionEntries(), options: options as esbuild.BuildOptions, outputFileExtension };
}

export interface BuiltFunction extends FunctionEntry {
  /** The bundle, absolute. */
  file: string;
}

/**
 * Builds every function of the table for `mode` into `outdir` (inside the repository, so the AWS SDK,
 * left external as in Lambda, resolves from node_modules). One esbuild call for all entries.
 */
export async function buildFunctions(
  outdir: string,
  mode: Mode,
  extra: { sourceMaps?: boolean } = {},
): Promise<{ functions: BuiltFunction[]; metafile: esbuild.Metafile }> {
  const config = readServerlessBuild(mode);
  const entries = [...new Set(config.functions.map((fn) => fn.entry))];
  const result = await esbuild.build({
    ...config.options,
    absWorkingDir: ROOT,
    entryPoints: entries,
    outbase: ROOT,
    outdir,
    metafile: true,
    ...(extra.sourceMaps ? { sourcemap: 'linked' as const } : {}),
    logLevel: 'silent',
  });
  const fileOf = (entry: string) => join(outdir, entry.slice(0, entry.lastIndexOf('.')) + config.outputFileExtension);
  return { functions: config.functions.map((fn) => ({ ...fn, file: fileOf(fn.entry) })), metafile: result.metafile };
}
