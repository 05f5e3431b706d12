import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { compactVerify, createLocalJWKSet } from 'jose';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from '../../scripts/local/build.ts';
import { DEV_TENANT_ID, DEV_TENANT_NAME, devToken } from '../../scripts/local/dev-token.ts';
import { type Stack, startStack, stopStack } from '../support/local-stack.ts';

/**
 * The end user keeping proof of their decision, as a person does it: `npm start`, then Debian's Chromium
 * driven by playwright-core opens a consent link, approves, lands on the decided page, clicks "Download your
 * consent receipt", and the file it saves verifies with jose under the key set the stack serves at
 * /.well-known/jwks.json. A screenshot of the decided page, at a phone's width (375 px) and a desktop's,
 * lands in test-results/pages/ beside the other pages' (the CI artifact, not committed).
 *
 * Without Chromium the tests are skipped, and say so; on CI (CI=true) a missing Chromium fails the run.
 */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const haveChromium = existsSync(CHROMIUM);
const onCi = process.env.CI === 'true';
const SCREENSHOTS = join(ROOT, 'test-results', 'pages');
const STACKS_DIR = join(ROOT, '.local', `stacks-consent-receipt-${process.pid}`);
const shell = (extra: Record<string, string> = {}) => ({ PATH: process.env.PATH!, HOME: process.env.HOME ?? ROOT, LOCAL_STACKS_DIR: STACKS_DIR, ...extra });

if (!haveChromium) {
  console.warn(`\n  Browser tests SKIPPED: no Chromium at ${CHROMIUM}. Install it with: apt-get install -y chromium (or set CHROMIUM_PATH).\n`);
}

let stack: Stack | undefined;
let browser: Browser | undefined;
let authorization: string;
let api: string;

beforeAll(async () => {
  if (!haveChromium) return;
  mkdirSync(SCREENSHOTS, { recursive: true });
  authorization = `Bearer ${await devToken({ tenantId: DEV_TENANT_ID }, {})}`;
  [stack, browser] = await Promise.all([startStack(shell(), 90_000), chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] })]);
  api = `http://127.0.0.1:${stack.port}`;
}, 150_000);

afterAll(async () => {
  await browser?.close();
  await stopStack(stack);
  rmSync(STACKS_DIR, { recursive: true, force: true });
});

/** A call to the stack's API as the integrator makes it; the body as text (a receipt is not JSON). */
async function call(method: string, path: string, body?: unknown, headers: Record<string, string> = { authorization }) {
  const response = await fetch(`${api}${path}`, {
    method,
    headers: { ...headers, ...(body ? { 'content-type': 'application/json' } : {}) },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  return { status: response.status, contentType: response.headers.get('content-type') ?? '', text: await response.text() };
}

/** Every page the end user sees, at a phone's width and a desktop's. */
async function screenshot(page: Page, name: string) {
  for (const [label, width] of [
    ['375', 375],
    ['desktop', 1280],
  ] as const) {
    await page.setViewportSize({ width, height: 800 });
    await page.screenshot({ path: join(SCREENSHOTS, `${name}-${label}.png`), fullPage: true });
  }
  await page.setViewportSize({ width: 1280, height: 800 });
}

/** Does what submits a form and waits for the page it leads to (after a 303, the same address loads again). */
async function andLoad(page: Page, act: () => Promise<void>) {
  const loaded = page.waitForEvent('load');
  await act();
  await loaded;
}

describe.skipIf(!haveChromium && !onCi)("the end user's consent receipt in Chromium", () => {
  it('given CI, then Chromium is there: browser tests never skip on CI', () => {
    expect(haveChromium, `no Chromium at ${CHROMIUM}: .ci/run installs it (apt-get install -y chromium)`).toBe(true);
  });

  it('given a consent link without a return address, when the end user approves and clicks "Download your consent receipt", then the saved file is the signed receipt of that decision and verifies under the served key set', async () => {
    const created = await call('POST', '/v1/onboarding/collectives', { name: 'Home on Birch Lane', type: 'Household' });
    expect(created.status).toBe(201);
    const request = JSON.parse(created.text) as { id: string; action: { redirectLink: string } };
    const context = await browser!.newContext({ viewport: { width: 1280, height: 800 }, acceptDownloads: true });
    const page = await context.newPage();
    await page.goto(request.action.redirectLink);
    expect(await page.getByRole('link', { name: 'Download your consent receipt' }).count()).toBe(0);

    await andLoad(page, () => page.getByRole('button', { name: 'Approve' }).click());

    // Back on the page itself, now decided: its status, no buttons, and the receipt to keep.
    expect(new URL(page.url()).pathname).toBe(new URL(request.action.redirectLink).pathname);
    expect(await page.locator('h1').textContent()).toContain('Approved');
    expect(await page.getByRole('button').count()).toBe(0);
    const receiptLink = page.getByRole('link', { name: 'Download your consent receipt' });
    await expect.poll(() => receiptLink.count()).toBe(1);
    await screenshot(page, 'consent-receipt-decided');
    const [download] = await Promise.all([page.waitForEvent('download'), receiptLink.click()]);
    expect(download.suggestedFilename()).toMatch(/\.jws$/);
    const saved = readFileSync((await download.path())!, 'utf8');

    // The file is a compact JWS that verifies under the key set anyone can fetch, with no token.
    const keys = await call('GET', '/.well-known/jwks.json', undefined, {});
    expect(keys.status).toBe(200);
    const { payload, protectedHeader } = await compactVerify(saved.trim(), createLocalJWKSet(JSON.parse(keys.text)), { algorithms: ['ES256'] });
    expect(protectedHeader).toMatchObject({ alg: 'ES256', typ: 'consent-receipt+jws' });
    const claims = JSON.parse(new TextDecoder().decode(payload));
    const trail = JSON.parse((await call('GET', `/v1/onboarding/collectives/${request.id}/transitions`)).text).data as Array<{
      version: number;
      hash: string;
      actor: { id: string };
    }>;
    expect(claims).toMatchObject({
      decision: 'given',
      request: { id: request.id, requestType: 'Collective', version: 2 },
      trailHead: trail[1]!.hash,
      controller: { id: DEV_TENANT_ID, name: DEV_TENANT_NAME },
      principal: { id: trail[1]!.actor.id },
      evidence: { channel: 'consent-link' },
    });
    // The same receipt the integrator gets from the API.
    const fromApi = await call('GET', `/v1/onboarding/collectives/${request.id}/consent-receipt`);
    expect(fromApi.status).toBe(200);
    expect(fromApi.contentType).toMatch(/^application\/jose\b/);
    expect(saved).toBe(fromApi.text);
    await context.close();
  });
});
