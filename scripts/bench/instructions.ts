import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { ROOT } from '../local/build.ts';
import { assertNode24 } from '../local/node-version.ts';
import { buildBundles, buildSdkBaseline, childEnv, PROXY_ENV } from './bundles.ts';
import { median } from './stats.ts';

/**
 * npm run bench:instructions [-- --mode local|realto] [--runs N | --exact] [name-filter ...]
 * Each function's cold start in instructions executed (valgrind's callgrind, from apt), over the SDK-only
 * handler of the same clients loaded the same way: the median of `runs` fresh processes (3 by default). A count moves far less
 * than a wall-clock reading, but not never: now and then a run does a garbage collection or a compilation
 * more (a few million), which the median leaves out.
 */
const { values: args, positionals: filters } = parseArgs({
  options: { mode: { type: 'string', default: 'local' }, runs: { type: 'string', default: '3' }, exact: { type: 'boolean', default: false } },
  allowPositionals: true,
});
const mode = args.mode === 'realto' ? 'realto' : 'local';

assertNode24();
if (spawnSync('valgrind', ['--version']).status !== 0) {
  process.stderr.write('valgrind is not installed (apt-get install -y valgrind)\n');
  process.exit(2);
}

const probe = join(ROOT, '.bench', 'instructions-probe.mjs');
mkdirSync(join(ROOT, '.bench'), { recursive: true });
writeFileSync(probe, 'await import(process.argv[2]);\n');

/**
 * --exact: V8 made deterministic (no optimizing tiers, GC on a fixed schedule), so one run gives the same
 * count every time: for comparing two versions of the code to the last instruction. The tiers left out do
 * run in Lambda, so its figures sit a little under the default's.
 */
const V8_FLAGS = args.exact ? ['--predictable', '--no-maglev', '--no-turbofan'] : [];
const runs = args.exact ? 1 : Math.max(1, Number(args.runs) || 1);

/** Instructions a fresh process executes to import the bundle, in millions: the median of `runs`. */
const instructions = (file: string, env: Record<string, string> = {}) => median(Array.from({ length: runs }, () => once(file, env)));

function once(file: string, env: Record<string, string>): number {
  const run = spawnSync(
    'valgrind',
    ['--tool=callgrind', '--callgrind-out-file=/dev/null', process.execPath, '--single-threaded', ...V8_FLAGS, probe, pathToFileURL(file).href],
    { cwd: ROOT, env: { ...childEnv(), ...env }, encoding: 'utf8', timeout: 300_000 },
  );
  const refs = /refs:\s+([\d,]+)/.exec(run.stderr)?.[1];
  if (run.status !== 0 || !refs) throw new Error(`valgrind on ${file} failed (exit ${run.status}):\n${run.stderr.slice(-2000)}`);
  return Number(refs.replaceAll(',', '')) / 1e6;
}

const baselines = new Map<string, number>();
for (const bundle of await buildBundles(mode)) {
  const name = bundle.entry.replace(/^functions\/|\.ts$/g, '');
  if (filters.length && !filters.some((filter) => name.includes(filter))) continue;
  const baseline = await buildSdkBaseline(bundle.sdkAtStart, 'local');
  if (!baselines.has(baseline.label)) {
    baselines.set(baseline.label, instructions(baseline.file));
    if (bundle.sdkAtStart.length) {
      // What the functions' way of loading the SDK (require, lib/store/sdk.ts) saves over import statements.
      const imported = await buildSdkBaseline(bundle.sdkAtStart, 'local', 'import');
      const cost = instructions(imported.file);
      process.stdout.write(
        `SDK-only handler, ${baseline.label}: ${baselines.get(baseline.label)!.toFixed(1)} M with require, ${cost.toFixed(1)} M with import statements\n`,
      );
    }
  }
  const base = baselines.get(baseline.label)!;
  const own = instructions(bundle.file, mode === 'realto' ? PROXY_ENV : {});
  process.stdout.write(
    `${name.padEnd(40)} ${(own - base).toFixed(1).padStart(7)} M over ${baseline.label} (${base.toFixed(1)} M), ratio x${(own / base).toFixed(3)}, ${(bundle.bytes / 1024).toFixed(1)} KB\n`,
  );
}
