import { execFile, spawn } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from '../../scripts/local/build.ts';
import { DEV_TENANT_ID, devToken } from '../../scripts/local/dev-token.ts';
import { type Stack, startStack, stopStack } from '../support/local-stack.ts';
import { type FakeRealto, startFakeRealto } from '../upstream/fake-realto.ts';

/**
 * `npm start` as a newcomer runs it, twice in one checkout: a local stack and a proxy one on other ports.
 * Each builds into its own folder and registers itself, so neither breaks the other, and the commands
 * (audit:verify) find the one they are pointed at, or say plainly why they cannot.
 */

/** The environment of a fresh shell (nothing of the test run's own settings), with stacks registered apart. */
const STACKS_DIR = join(ROOT, '.local', `stacks-test-${process.pid}`);
const shell = (extra: Record<string, string> = {}) => ({ PATH: process.env.PATH!, HOME: process.env.HOME ?? ROOT, LOCAL_STACKS_DIR: STACKS_DIR, ...extra });

const start = (extra: Record<string, string>) => startStack(shell(extra));
const stop = stopStack;

const auditVerify = (...args: string[]) =>
  promisify(execFile)(process.execPath, ['scripts/audit-verify.ts', ...args], { cwd: ROOT, env: shell() }).then(
    ({ stdout, stderr }) => ({ code: 0, out: stdout + stderr }),
    (error: { code: number; stdout: string; stderr: string }) => ({ code: error.code, out: error.stdout + error.stderr }),
  );

let fake: FakeRealto;
let local: Stack | undefined;
let proxy: Stack | undefined;
let authorization: string;

beforeAll(async () => {
  fake = await startFakeRealto();
  authorization = `Bearer ${await devToken({ tenantId: DEV_TENANT_ID }, {})}`;
  [local, proxy] = await Promise.all([
    start({}),
    start({ ONBOARDING_MODE: 'realto', REALTO_BASE_URL: fake.baseUrl, REALTO_CLIENT_ID: fake.clientId, REALTO_CLIENT_SECRET: fake.clientSecret }),
  ]);
}, 120_000);

afterAll(async () => {
  await Promise.all([stop(local), stop(proxy)]);
  await fake?.close();
  rmSync(STACKS_DIR, { recursive: true, force: true });
});

const create = (stack: Stack) =>
  fetch(`http://127.0.0.1:${stack.port}/v1/onboarding/collectives`, {
    method: 'POST',
    headers: { authorization, 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'Home', type: 'Household' }),
  });

describe('npm start, twice in one checkout', () => {
  it('serves a local stack and a proxy stack side by side, each in its own mode', async () => {
    expect(local!.output()).toContain('(local mode');
    expect(proxy!.output()).toContain('(realto mode');
    const [inLocal, inProxy] = await Promise.all([create(local!), create(proxy!)]);
    expect([inLocal.status, inProxy.status]).toEqual([201, 201]);
    expect(fake.authCalls).toBeGreaterThan(0);
    expect(existsSync(join(ROOT, '.local', 'build', String(local!.port)))).toBe(true);
    expect(existsSync(join(ROOT, '.local', 'build', String(proxy!.port)))).toBe(true);
  });

  it('lets audit:verify find the stack it is pointed at by port, and refuse to guess between two', async () => {
    const audited = await auditVerify('--port', String(local!.port));
    expect(audited.code, audited.out).toBe(0);
    expect(audited.out).toMatch(new RegExp(`local stack on port ${local!.port} \\(local mode`));
    expect(audited.out).toMatch(/\d+ request\(s\) checked in onboarding-dev, 0 problem\(s\)/);
    const guessing = await auditVerify();
    expect(guessing.code).toBe(2);
    expect(guessing.out).toContain('Several local stacks are running');
  });

  it("walks the README's offboarding journey in both stacks: onboard an entity, offboard it, read both trails, audit both", async () => {
    for (const stack of [local!, proxy!]) {
      const api = (path: string, init: RequestInit = {}) =>
        fetch(`http://127.0.0.1:${stack.port}${path}`, {
          ...init,
          headers: { authorization, 'content-type': 'application/json' },
        }).then(async (response) => ({ status: response.status, body: (await response.json()) as any }));
      const webhook = (...args: string[]) =>
        promisify(execFile)(process.execPath, ['scripts/webhook.ts', '--port', String(stack.port), ...args], { cwd: ROOT, env: shell() });

      const onboarding = await api('/v1/onboarding/entities', { method: 'POST', body: JSON.stringify({ type: 'Battery', manufacturer: 'Tesla' }) });
      expect(onboarding.status).toBe(201);
      const succeeded = await webhook('--id', onboarding.body.id, '--status', 'Succeeded');
      const entityId = /entity id: ([0-9a-f-]{36})/.exec(succeeded.stdout)?.[1];
      expect(succeeded.stdout).toContain('"outcome":"applied"');
      expect(entityId).toBeDefined();

      const offboarding = await api('/v1/offboarding/entities', { method: 'POST', body: JSON.stringify({ entityId }) });
      expect(offboarding).toMatchObject({ status: 201, body: { status: 'Pending', data: { entityId } } });
      const done = await webhook('--id', offboarding.body.id, '--status', 'Succeeded', '--type', 'offboarding');
      expect(done.stdout).toContain('"outcome":"applied"');

      const onboardingTrail = await api(`/v1/onboarding/entities/${onboarding.body.id}/transitions`);
      const offboardingTrail = await api(`/v1/offboarding/entities/${offboarding.body.id}/transitions`);
      expect(onboardingTrail.body.data.map((record: { to: string }) => record.to)).toEqual(['Pending', 'Succeeded']);
      expect(offboardingTrail.body.data.map((record: { to: string }) => record.to)).toEqual(['Pending', 'Succeeded']);
      for (const id of [onboarding.body.id, offboarding.body.id]) {
        const audited = await auditVerify('--port', String(stack.port), '--id', id);
        expect(audited.code, audited.out).toBe(0);
      }
    }
  });

  it("runs the outbound events' whole path in both stacks: npm run events:listen subscribes, and gets each transition signed within seconds", async () => {
    for (const stack of [local!, proxy!]) {
      const listener = spawn(process.execPath, ['scripts/events-listen.ts', '--port', '0', '--stack', String(stack.port)], {
        cwd: ROOT,
        env: shell(),
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let output = '';
      listener.stdout!.on('data', (chunk: Buffer) => {
        output += chunk.toString();
      });
      listener.stderr!.on('data', (chunk: Buffer) => {
        output += chunk.toString();
      });
      const until = async (pattern: RegExp, what: string) => {
        const deadline = Date.now() + 15_000;
        while (!pattern.test(output)) {
          if (Date.now() > deadline || listener.exitCode !== null) throw new Error(`${what} not seen in:\n${output}`);
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
      };
      try {
        await until(/Listening at http:\/\/127\.0\.0\.1:\d+\/events/, "the listener's ready line");
        const created = await create(stack);
        const { id } = (await created.json()) as { id: string };
        const committed = Date.now();
        await until(new RegExp(`onboarding\\.status\\.updated evt_${id}_1 signature verified request ${id} \\(new\\) → Pending`), 'the event of the create');
        expect(Date.now() - committed).toBeLessThan(10_000);
      } finally {
        const exited = new Promise((resolve) => listener.once('exit', resolve));
        listener.kill('SIGINT');
        await exited;
      }
      // Ctrl-C unsubscribed it.
      const endpoints = (await fetch(`http://127.0.0.1:${stack.port}/v1/webhook-endpoints`, { headers: { authorization } }).then((response) =>
        response.json(),
      )) as { data: unknown[] };
      expect(endpoints.data).toEqual([]);
    }
  });

  it('when both stop, leaves no build folder behind, and audit:verify says that none runs', async () => {
    await Promise.all([stop(local), stop(proxy)]);
    expect(existsSync(join(ROOT, '.local', 'build', String(local!.port)))).toBe(false);
    const none = await auditVerify();
    expect(none.code).toBe(2);
    expect(none.out).toContain('No local stack is running in this checkout');
  });
});
