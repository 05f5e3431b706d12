import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { DynamoDBClient, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from '../../scripts/local/build.ts';
import { DEV_TENANT_ID, DEV_TENANT_NAME, devToken } from '../../scripts/local/dev-token.ts';
import { findStack } from '../../scripts/local/stacks.ts';
import { type Stack, startStack, stopStack } from '../support/local-stack.ts';

/**
 * The end user's pages as people use them: `npm start`, then Debian's Chromium driven
 * by playwright-core clicks through a consent and a guided session. A screenshot of every page, at a
 * phone's width (375 px) and a desktop's, lands in test-results/ (the CI artifact, not committed).
 *
 * Without Chromium the tests are skipped, and say so; on CI (CI=true) a missing Chromium fails the run:
 * .ci/run installs it.
 */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const haveChromium = existsSync(CHROMIUM);
const onCi = process.env.CI === 'true';
const SCREENSHOTS = join(ROOT, 'test-results', 'pages');
const STACKS_DIR = join(ROOT, '.local', `stacks-browser-${process.pid}`);
const shell = (extra: Record<string, string> = {}) => ({ PATH: process.env.PATH!, HOME: process.env.HOME ?? ROOT, LOCAL_STACKS_DIR: STACKS_DIR, ...extra });

if (!haveChromium) {
  console.warn(`\n  Browser tests SKIPPED: no Chromium at ${CHROMIUM}. Install it with: apt-get install -y chromium (or set CHROMIUM_PATH).\n`);
}

let stack: Stack | undefined;
let browser: Browser | undefined;
/** The integrator's own page, where the end user is sent back to: it shows the query it was given. */
let integrator: Server | undefined;
let integratorUrl: string;
let authorization: string;
let api: string;

beforeAll(async () => {
  if (!haveChromium) return;
  mkdirSync(SCREENSHOTS, { recursive: true });
  integrator = createServer((request, response) => {
    response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    response.end(
      `<!doctype html><title>Back at the integrator</title><h1>Back at the integrator</h1><p id="query">${new URL(request.url!, 'http://x').search.replace(/[<>&"]/g, '')}</p>`,
    );
  });
  await new Promise<void>((resolve) => integrator!.listen(0, '127.0.0.1', resolve));
  integratorUrl = `http://127.0.0.1:${(integrator.address() as AddressInfo).port}/onboarded?ref=42`;
  authorization = `Bearer ${await devToken({ tenantId: DEV_TENANT_ID }, {})}`;
  [stack, browser] = await Promise.all([startStack(shell(), 90_000), chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] })]);
  api = `http://127.0.0.1:${stack.port}`;
}, 150_000);

afterAll(async () => {
  await browser?.close();
  await stopStack(stack);
  await new Promise((resolve) => (integrator ? integrator.close(resolve) : resolve(undefined)));
  rmSync(STACKS_DIR, { recursive: true, force: true });
});

async function call(method: string, path: string, body?: unknown) {
  const response = await fetch(`${api}${path}`, {
    method,
    headers: { authorization, ...(body ? { 'content-type': 'application/json' } : {}) },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  return { status: response.status, body: (await response.json()) as any };
}

const transitionsOf = async (kind: 'collectives' | 'entities', id: string) =>
  (await call('GET', `/v1/onboarding/${kind}/${id}/transitions`)).body.data as any[];

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

/** Does what submits a form and waits for the page it leads to (after a 303, the same address may load again). */
async function andLoad(page: Page, act: () => Promise<void>) {
  const loaded = page.waitForEvent('load');
  await act();
  await loaded;
}

/** A new tab that counts any script the page runs and any dialog it opens: the pages have none. */
async function newTab() {
  const context = await browser!.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  const dialogs: string[] = [];
  page.on('dialog', (dialog) => {
    dialogs.push(dialog.message());
    void dialog.dismiss();
  });
  return { page, dialogs };
}

/** The guided session's link, as the README has a newcomer get it: `npm run guided -- --manufacturer …`. */
async function guidedLink(...args: string[]): Promise<{ id: string; url: string }> {
  const { stdout } = await promisify(execFile)(process.execPath, ['scripts/guided.ts', '--port', String(stack!.port), ...args], { cwd: ROOT, env: shell() });
  const [first, url] = stdout.trim().split('\n');
  return { id: /^session ([0-9a-f-]{36})/.exec(first!)![1]!, url: url! };
}

describe.skipIf(!haveChromium && !onCi)("the end user's pages in Chromium", () => {
  it('given CI, then Chromium is there: browser tests never skip on CI', () => {
    expect(haveChromium, `no Chromium at ${CHROMIUM}: .ci/run installs it (apt-get install -y chromium)`).toBe(true);
  });

  it("given a consent link, when the end user approves, then the integrator's page gets the request's id and Processing, and the trail has the end user's transition", async () => {
    const created = await call('POST', '/v1/onboarding/collectives', { name: 'Home on Elm Street', type: 'Household', returnUrl: integratorUrl });
    const { page, dialogs } = await newTab();

    const opened = await page.goto(created.body.action.redirectLink);

    expect(opened!.status()).toBe(200);
    await expect.poll(() => page.locator('h1').textContent()).toContain(`${DEV_TENANT_NAME} asks to connect your energy data`);
    expect(await page.locator('dl').textContent()).toContain('Home on Elm Street');
    await screenshot(page, 'consent-pending');
    await page.getByRole('button', { name: 'Approve' }).click();
    await page.waitForURL(/\/onboarded\?/);
    const back = new URL(page.url());
    expect(Object.fromEntries(back.searchParams)).toEqual({ ref: '42', onboardingRequestId: created.body.id, status: 'Processing' });
    expect(await page.locator('h1').textContent()).toBe('Back at the integrator');
    const trail = await transitionsOf('collectives', created.body.id);
    expect(trail.map((record) => record.to)).toEqual(['Pending', 'Processing']);
    expect(trail[1]).toMatchObject({ actor: { type: 'enduser' }, source: 'consent' });
    expect(dialogs).toEqual([]);
  });

  it('given a consent link without a return address, when the end user declines by keyboard, then the page says it is not connected, with no buttons, and the request is Canceled with ConsentDeclined', async () => {
    const created = await call('POST', '/v1/onboarding/entities', { type: 'HeatPump', manufacturer: 'Daikin', model: 'Altherma 3' });
    const { page } = await newTab();
    await page.goto(created.body.action.redirectLink);
    expect(await page.locator('dl').textContent()).toContain('Daikin');

    // Keyboard only: Tab reaches the buttons in order, Enter presses the focused one.
    const focused = () => page.evaluate('document.activeElement && document.activeElement.textContent');
    for (let presses = 0; presses < 10 && (await focused()) !== 'Decline'; presses++) await page.keyboard.press('Tab');
    await andLoad(page, () => page.keyboard.press('Enter'));

    expect(await page.locator('h1').textContent()).toBe('Not connected');
    expect(await page.getByRole('button').count()).toBe(0);
    await screenshot(page, 'consent-declined');
    const request = (await call('GET', `/v1/onboarding/entities/${created.body.id}`)).body;
    expect(request.status).toBe('Canceled');
    expect(request.errors.map((error: { code: string }) => error.code)).toEqual(['ConsentDeclined']);
    expect((await transitionsOf('entities', created.body.id)).at(-1)).toMatchObject({ actor: { type: 'enduser' }, source: 'consent', to: 'Canceled' });
  });

  it('given a consent page open in two tabs, when the end user approves in one and declines in the other, then the second records nothing and shows the status', async () => {
    const created = await call('POST', '/v1/onboarding/collectives', { name: 'Cottage', type: 'Household' });
    const first = await newTab();
    const second = await newTab();
    await first.page.goto(created.body.action.redirectLink);
    await second.page.goto(created.body.action.redirectLink);

    await andLoad(first.page, () => first.page.getByRole('button', { name: 'Approve' }).click());
    const [late] = await Promise.all([
      second.page.waitForResponse((response) => response.request().method() === 'POST'),
      second.page.getByRole('button', { name: 'Decline' }).click(),
    ]);

    expect(late.status()).toBe(409);
    expect(await second.page.locator('[role=status]').textContent()).toContain('Nothing was changed');
    expect(await second.page.locator('h1').textContent()).toContain('Approved');
    await screenshot(second.page, 'consent-already-decided');
    expect((await transitionsOf('collectives', created.body.id)).map((record) => record.to)).toEqual(['Pending', 'Processing']);
  });

  it('given a link with one character changed, then the page says the link does not work, and nothing is recorded', async () => {
    const created = await call('POST', '/v1/onboarding/collectives', { name: 'Flat 3', type: 'Household' });
    const link = created.body.action.redirectLink as string;
    const tampered = `${link.slice(0, -1)}${link.endsWith('A') ? 'B' : 'A'}`;
    const { page } = await newTab();

    const opened = await page.goto(tampered);

    expect(opened!.status()).toBe(404);
    expect(await page.locator('h1').textContent()).toBe('This link does not work');
    expect(await page.getByRole('button').count()).toBe(0);
    await screenshot(page, 'link-not-valid');
    expect((await transitionsOf('collectives', created.body.id)).map((record) => record.to)).toEqual(['Pending']);
  });

  it('given a name made of markup, then the page shows it as text and runs no script', async () => {
    const name = '<img src=x onerror="document.title=\'pwned\';alert(1)">';
    const created = await call('POST', '/v1/onboarding/collectives', { name, type: 'Household' });
    const { page, dialogs } = await newTab();

    await page.goto(created.body.action.redirectLink);

    expect(await page.locator('dd', { hasText: 'onerror' }).textContent()).toBe(name);
    expect(await page.locator('img').count()).toBe(0);
    expect(await page.title()).not.toBe('pwned');
    expect(dialogs).toEqual([]);
    await screenshot(page, 'consent-markup-as-text');
  });

  it('given a guided session from npm run guided, when the end user picks the type, enters the device and consents, then one Entity request is in Processing and the session names it', async () => {
    const session = await guidedLink('--manufacturer', 'Vaillant', '--company', 'Sunny Power Ltd');
    const { page } = await newTab();

    await page.goto(session.url);
    expect(await page.locator('h1').textContent()).toBe('Sunny Power Ltd asks to connect your Vaillant device');
    await screenshot(page, 'guided-form');
    await page.getByLabel('Type of device').selectOption({ label: 'Heat pump' });
    await page.getByLabel('Model').fill('aroTHERM plus');
    await page.getByLabel('Serial number').fill('VA-2024-000123');
    await page.getByRole('checkbox').check();
    await andLoad(page, () => page.getByRole('button', { name: 'Connect my device' }).click());

    expect(await page.locator('h1').textContent()).toBe('Thank you');
    await screenshot(page, 'guided-thank-you');
    const found = (await call('GET', `/v1/guided-onboarding-sessions/${session.id}`)).body;
    expect(found.onboardingRequest).toMatchObject({ requestType: 'Entity', status: 'Processing' });
    expect(found.onboardingRequest.data.entity.information).toMatchObject({
      manufacturer: 'Vaillant',
      model: 'aroTHERM plus',
      reference: 'VA-2024-000123',
      type: 'HeatPump',
    });
    const trail = await transitionsOf('entities', found.onboardingRequest.id);
    expect(trail.map((record) => [record.to, record.actor.type, record.source])).toEqual([
      ['Pending', 'enduser', 'consent'],
      ['Processing', 'enduser', 'consent'],
    ]);
  });

  it('given a guided session for a car with a return address, when the form is sent twice from two tabs, then one request exists and the second tab shows it', async () => {
    const session = await guidedLink('--manufacturer', 'Tesla', '--entity-type', 'EV', '--return-url', integratorUrl);
    const first = await newTab();
    const second = await newTab();
    for (const { page } of [first, second]) {
      await page.goto(session.url);
      await page.getByLabel('Model').fill('Model Y');
      await page.getByLabel('Vehicle identification number (VIN)').fill('5YJYGDEE1MF000001');
      await page.getByRole('checkbox').check();
    }

    await first.page.getByRole('button', { name: 'Connect my device' }).click();
    await first.page.waitForURL(/\/onboarded\?/);
    await andLoad(second.page, () => second.page.getByRole('button', { name: 'Connect my device' }).click());

    const back = new URL(first.page.url());
    expect(back.searchParams.get('status')).toBe('Processing');
    expect(await second.page.locator('h1').textContent()).toBe('Already submitted');
    await screenshot(second.page, 'guided-already-submitted');
    const found = (await call('GET', `/v1/guided-onboarding-sessions/${session.id}`)).body;
    expect(found.onboardingRequest.id).toBe(back.searchParams.get('onboardingRequestId'));
    const ofTenant = (await call('GET', '/v1/onboarding/entities?pageSize=100')).body.data as Array<{ data: { entity: { information: { vin: string } } } }>;
    expect(ofTenant.filter((request) => request.data.entity.information.vin === '5YJYGDEE1MF000001')).toHaveLength(1);
  });

  it('given a guided session that has expired, then its page says so and takes nothing', async () => {
    const session = await guidedLink('--manufacturer', 'SMA', '--entity-type', 'Inverter', '--expires-in-minutes', '5');
    const { page } = await newTab();
    await page.goto(session.url);
    await page.getByLabel('Model').fill('Sunny Boy 5.0');
    await page.getByLabel('Serial number').fill('SMA-0001');
    await page.getByRole('checkbox').check();
    // Five minutes are too long to wait: the session's expiry is moved into the past in the stack's table.
    const { dynamoEndpoint, tableName } = withStacksDir(() => findStack(stack!.port));
    const dynamo = new DynamoDBClient({ endpoint: dynamoEndpoint, region: 'eu-west-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
    await dynamo.send(
      new UpdateItemCommand({
        TableName: tableName,
        Key: { pk: { S: `SESSION#${session.id}` }, sk: { S: 'SESSION' } },
        UpdateExpression: 'SET expiresAt = :past',
        ExpressionAttributeValues: { ':past': { S: new Date(Date.now() - 60_000).toISOString() } },
      }),
    );
    dynamo.destroy();

    const [sent] = await Promise.all([
      page.waitForResponse((response) => response.request().method() === 'POST'),
      page.getByRole('button', { name: 'Connect my device' }).click(),
    ]);

    expect(sent.status()).toBe(410);
    expect(await page.locator('h1').textContent()).toBe('This link has expired');
    await screenshot(page, 'guided-expired');
    const found = (await call('GET', `/v1/guided-onboarding-sessions/${session.id}`)).body;
    expect(found).toMatchObject({ expired: true, onboardingRequest: null });
    expect((await page.goto(session.url))!.status()).toBe(410);
  });
});

/** The stacks registry of this file's `npm start`, not the developer's. */
function withStacksDir<T>(read: () => T): T {
  const before = process.env.LOCAL_STACKS_DIR;
  process.env.LOCAL_STACKS_DIR = STACKS_DIR;
  try {
    return read();
  } finally {
    if (before === undefined) delete process.env.LOCAL_STACKS_DIR;
    else process.env.LOCAL_STACKS_DIR = before;
  }
}
