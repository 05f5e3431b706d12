import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import * as esbuild from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KIND_ROUTES } from '../../lib/app/function-table.ts';
import { ALL_KINDS } from '../../lib/kinds/index.ts';
import { childEnv } from '../../scripts/bench/bundles.ts';
import { type Mode, ROOT, readServerlessBuild } from '../../scripts/local/build.ts';
import { readStack } from '../../scripts/stack.ts';

/**
 * Each stack is built for its one mode (serverless.yml: custom.mode feeds esbuild's `define`): what a
 * deployed function of each mode carries, built exactly as serverless.yml configures esbuild.
 */
const outRoot = join(ROOT, '.bench', `test-bundles-${process.pid}`);
const built: Record<Mode, string> = { local: '', realto: '' };

beforeAll(async () => {
  for (const mode of ['local', 'realto'] as const) {
    const { options, outputFileExtension } = readServerlessBuild(mode);
    const outdir = join(outRoot, mode);
    mkdirSync(outdir, { recursive: true });
    // Laid out as deployed (functions/<path>.mjs), which is what `npm run stack` reads from a trace.
    await esbuild.build({ ...options, absWorkingDir: ROOT, entryPoints: ['functions/entity-onboarding/create.ts'], outbase: ROOT, outdir, logLevel: 'silent' });
    built[mode] = join(outdir, `functions/entity-onboarding/create${outputFileExtension}`);
  }
}, 60_000);

afterAll(() => rmSync(outRoot, { recursive: true, force: true }));

/** Starts a bundle the way Lambda's cold start does (import), in a fresh Node with the given environment. */
function coldStart(file: string, env: Record<string, string>) {
  return spawnSync(process.execPath, ['--input-type=module', '-e', `await import(${JSON.stringify(pathToFileURL(file).href)})`], {
    cwd: ROOT,
    env: { ...childEnv(), ...env },
    encoding: 'utf8',
    timeout: 30_000,
  });
}

describe('bundles built per mode', () => {
  it('ships the Realto client only in a proxy-mode stack', () => {
    expect(readFileSync(built.local, 'utf8')).not.toContain('/v1/authentication');
    expect(readFileSync(built.realto, 'utf8')).toContain('/v1/authentication');
  });

  it('starts each bundle in the mode it was built for', () => {
    expect(coldStart(built.local, {}).status).toBe(0);
    expect(coldStart(built.realto, { ONBOARDING_MODE: 'realto', REALTO_CLIENT_ID: 'client', REALTO_CLIENT_SECRET: 'secret' }).status).toBe(0);
  });

  it.each(['local', 'realto'] as const)("in %s mode, carries in each kind's five functions that kind and no other", async (mode) => {
    const { options, outputFileExtension } = readServerlessBuild(mode);
    const outdir = join(outRoot, `kinds-${mode}`);
    const handlers = KIND_ROUTES.flatMap((routes) => Object.values(routes)).map((route) => route.handler.slice(0, route.handler.lastIndexOf('.')));
    await esbuild.build({
      ...options,
      sourcemap: false,
      absWorkingDir: ROOT,
      entryPoints: handlers.map((file) => `${file}.ts`),
      outbase: ROOT,
      outdir,
      logLevel: 'silent',
    });
    for (const routes of KIND_ROUTES) {
      for (const route of Object.values(routes)) {
        const own = ALL_KINDS.find((kind) => route.http.path.startsWith(`/v1/${kind.path}`))!;
        const file = route.handler.slice(0, route.handler.lastIndexOf('.'));
        const text = readFileSync(join(outdir, `${file}${outputFileExtension}`), 'utf8');
        expect(text, `${route.function} carries its kind`).toContain(own.noun);
        for (const other of ALL_KINDS.filter((kind) => kind !== own)) expect(text, `${route.function} carries ${other.noun}`).not.toContain(other.noun);
      }
    }
  });

  it('carries the delivery engine only in the webhook endpoint functions that send now, and in each page function only its own page', async () => {
    const { options, outputFileExtension } = readServerlessBuild('local');
    const outdir = join(outRoot, 'trimmed');
    const endpoints = ['create', 'list', 'get', 'update', 'delete', 'rotate-secret', 'deliveries', 'test', 'retry'];
    const entries = [...endpoints.map((name) => `functions/webhook-endpoints/${name}`), 'functions/pages/consent', 'functions/pages/guided'];
    const { metafile } = await esbuild.build({
      ...options,
      absWorkingDir: ROOT,
      entryPoints: entries.map((entry) => `${entry}.ts`),
      outbase: ROOT,
      outdir,
      metafile: true,
      logLevel: 'silent',
    });
    // Names are minified in the bundles (serverless.yml): esbuild's own account says which modules each carries.
    // A module counts as carried from 1 KB: the endpoints API takes one constant of the engine's module.
    const carries = (entry: string, module: string) => {
      const output = metafile.outputs[relative(ROOT, join(outdir, `${entry}${outputFileExtension}`))]!;
      return (output.inputs[module]?.bytesInOutput ?? 0) > 1024;
    };
    for (const name of endpoints) {
      const sends = name === 'test' || name === 'retry';
      expect(carries(`functions/webhook-endpoints/${name}`, 'lib/events/delivery.ts'), `webhook-endpoints/${name} carries the delivery engine`).toBe(sends);
    }
    expect(carries('functions/pages/consent', 'lib/pages/consent.ts')).toBe(true);
    expect(carries('functions/pages/consent', 'lib/pages/guided.ts')).toBe(false);
    expect(carries('functions/pages/guided', 'lib/pages/guided.ts')).toBe(true);
    expect(carries('functions/pages/guided', 'lib/pages/consent.ts')).toBe(false);
  });

  it('refuses to start a local-mode bundle whose environment says proxy mode, rather than run without the platform', () => {
    const started = coldStart(built.local, { ONBOARDING_MODE: 'realto', REALTO_CLIENT_ID: 'client', REALTO_CLIENT_SECRET: 'secret' });
    expect(started.status).not.toBe(0);
    expect(started.stderr).toContain('built for ONBOARDING_MODE=local but runs with realto');
  });

  it("reads a minified bundle's stack trace back to the source file and line (npm run stack)", async () => {
    const started = coldStart(built.local, { ONBOARDING_MODE: 'realto' });
    expect(started.stderr).toMatch(/functions\/entity-onboarding\/create\.mjs:\d+:\d+/);
    const read = await readStack(started.stderr);
    const [, file, line] = /\[(lib\/[\w/-]+\.ts):(\d+):\d+\]/.exec(read) ?? [];
    expect(file, read).toBe('lib/config/settings.ts');
    expect(readFileSync(join(ROOT, file!), 'utf8').split('\n')[Number(line) - 1]).toContain('throw new ConfigError(');
  });
});
