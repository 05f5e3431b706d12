import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { DynamoDBClient, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import type { AxeResults, Result } from 'axe-core';
import { type Browser, type BrowserContext, chromium, type Page, type Response } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { catalogue, LANGUAGE_NAMES, LANGUAGES, type Language } from '../../lib/pages/texts/index.ts';
import { ROOT } from '../../scripts/local/build.ts';
import { DEV_TENANT_ID, DEV_TENANT_NAME, devToken } from '../../scripts/local/dev-token.ts';
import { findStack } from '../../scripts/local/stacks.ts';
import { type Stack, startStack, stopStack } from '../support/local-stack.ts';

/**
 * The end user's pages against what docs/pages.md promises a person: every page, in English, Dutch,
 * German and French, has `lang` on `<html>`, no axe-core violation of WCAG 2.0/2.1/2.2 A and AA (nor of
 * axe's best practices), nothing that scrolls sideways at 360 px, every control at least 24×24 px, and the
 * whole of a consent and of a guided form done with the keyboard alone. `npm start`, then Debian's
 * Chromium driven by playwright-core, as test/browser/pages.test.ts does; a screenshot of every page in
 * every language at 360 and 1280 px lands in test-results/pages/, named `<page>-<lang>-<width>.png`.
 *
 * Without Chromium the tests are skipped, and say so; on CI (CI=true) a missing Chromium fails the run.
 */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const haveChromium = existsSync(CHROMIUM);
const onCi = process.env.CI === 'true';
const SCREENSHOTS = join(ROOT, 'test-results', 'pages');
const STACKS_DIR = join(ROOT, '.local', `stacks-accessibility-${process.pid}`);
const shell = (extra: Record<string, string> = {}) => ({ PATH: process.env.PATH!, HOME: process.env.HOME ?? ROOT, LOCAL_STACKS_DIR: STACKS_DIR, ...extra });

/** axe-core's own build, injected into the page under test. */
const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
/** WCAG 2.0, 2.1 and 2.2, levels A and AA, and axe's best practices (the pages have none of their violations either). */
const AXE_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice'];
const NARROW = 360;
const WIDE = 1280;
/** WCAG 2.2's 2.5.8 Target Size (Minimum), in CSS px. */
const TARGET = 24;

// What runs inside the page (page.evaluate): this project compiles without the DOM's types.
declare const document: any;
declare const window: any;
declare function getComputedStyle(element: any): any;

if (!haveChromium) {
  console.warn(`\n  Browser tests SKIPPED: no Chromium at ${CHROMIUM}. Install it with: apt-get install -y chromium (or set CHROMIUM_PATH).\n`);
}

/** Controls under 24×24 px that pass by the spacing exception alone: listed after the run, to keep an eye on. */
const SPACED_ONLY = new Set<string>();

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
  if (SPACED_ONLY.size > 0) console.info(`Under ${TARGET}×${TARGET} px, passing by WCAG 2.2's spacing exception:\n  ${[...SPACED_ONLY].join('\n  ')}`);
  await browser?.close();
  await stopStack(stack);
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

/** A new Pending collective request without a return address: the link to its consent page. */
async function consentLink(): Promise<string> {
  const created = await call('POST', '/v1/onboarding/collectives', { name: 'Home on Elm Street', type: 'Household' });
  expect(created.status).toBe(201);
  return created.body.action.redirectLink;
}

/** A new guided session that asks for the type of device too (the longest form): its id and link. */
async function guidedSession(extra: Record<string, unknown> = {}): Promise<{ id: string; url: string }> {
  const created = await call('POST', '/v1/guided-onboarding-sessions', { companyName: 'Sunny Power Ltd', manufacturer: 'Vaillant', ...extra });
  expect(created.status).toBe(201);
  return { id: created.body.id, url: created.body.url };
}

/** A session's expiry moved into the past in the stack's table: five minutes, the shortest, are too long to wait. */
async function expire(sessionId: string) {
  const { dynamoEndpoint, tableName } = withStacksDir(() => findStack(stack!.port));
  const dynamo = new DynamoDBClient({ endpoint: dynamoEndpoint, region: 'eu-west-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  await dynamo.send(
    new UpdateItemCommand({
      TableName: tableName,
      Key: { pk: { S: `SESSION#${sessionId}` }, sk: { S: 'SESSION' } },
      UpdateExpression: 'SET expiresAt = :past',
      ExpressionAttributeValues: { ':past': { S: new Date(Date.now() - 60_000).toISOString() } },
    }),
  );
  dynamo.destroy();
}

const inLanguage = (link: string, language: Language) => `${link}?lang=${language}`;

/** A form sent from somewhere else (another tab's earlier submit): only its status matters. */
async function postForm(url: string, fields: Record<string, string>): Promise<number> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(fields),
    redirect: 'manual',
  });
  await response.arrayBuffer();
  return response.status;
}

/** The anti-forgery value the page rendered into its form. */
const formValue = async (page: Page) => (await page.locator('input[name=csrf]').getAttribute('value'))!;

/** Opens a page; its status. */
async function open(page: Page, url: string): Promise<number> {
  return (await page.goto(url))!.status();
}

/** Does what sends a form and waits for the page it leads to; the status of that page (after a 303, of the page it leads to). */
async function send(page: Page, act: () => Promise<void>): Promise<number> {
  let status = 0;
  const seen = (response: Response) => {
    if (response.request().isNavigationRequest() && response.frame() === page.mainFrame()) status = response.status();
  };
  page.on('response', seen);
  const loaded = page.waitForEvent('load');
  await act();
  await loaded;
  page.off('response', seen);
  return status;
}

/** A page that posts to ours without what our page put in its form: a forged form, as any other site could serve one. */
async function forgedForm(page: Page, action: string, fields: Record<string, string>): Promise<number> {
  const inputs = Object.entries(fields)
    .map(([name, value]) => `<input type="hidden" name="${name}" value="${value}">`)
    .join('');
  await page.setContent(`<!doctype html><title>Elsewhere</title><form method="post" action="${action}">${inputs}<button>Send</button></form>`);
  return send(page, () => page.getByRole('button', { name: 'Send' }).click());
}

/** A page the end user can see, and how to get a browser tab to it in a language. */
interface PageKind {
  name: string;
  status: number;
  /** Gets the tab to the page, in the language; the status of the page shown. */
  reach: (page: Page, language: Language) => Promise<number>;
}

const GUIDED_FIELDS = ['entityType', 'model', 'identifier', 'consent'] as const;

const PAGES: PageKind[] = [
  { name: 'consent-pending', status: 200, reach: async (page, language) => open(page, inLanguage(await consentLink(), language)) },
  {
    name: 'consent-approved',
    status: 200,
    reach: async (page, language) => {
      await open(page, inLanguage(await consentLink(), language));
      const status = await send(page, () => page.locator('button[value=approve]').click());
      expect(await page.locator('a[download]').count(), 'the decided page links to the consent receipt').toBe(1);
      return status;
    },
  },
  {
    name: 'consent-declined',
    status: 200,
    reach: async (page, language) => {
      await open(page, inLanguage(await consentLink(), language));
      return send(page, () => page.locator('button[value=decline]').click());
    },
  },
  {
    name: 'consent-decided-twice',
    status: 409,
    reach: async (page, language) => {
      const link = inLanguage(await consentLink(), language);
      await open(page, link);
      // Approved in another tab meanwhile; this tab, still showing the buttons, declines.
      expect(await postForm(link, { decision: 'approve', csrf: await formValue(page) })).toBe(303);
      return send(page, () => page.locator('button[value=decline]').click());
    },
  },
  { name: 'guided-form', status: 200, reach: async (page, language) => open(page, inLanguage((await guidedSession()).url, language)) },
  {
    name: 'guided-errors',
    status: 400,
    reach: async (page, language) => {
      await open(page, inLanguage((await guidedSession()).url, language));
      expect(await page.getByRole('checkbox').isChecked()).toBe(false);
      const status = await send(page, () => page.locator('button[type=submit]').click());
      // Each error is at its field: the field is marked invalid and described by its message, which the summary links to.
      for (const field of GUIDED_FIELDS) {
        const control = page.locator(`#${field}`);
        expect(await control.getAttribute('aria-invalid'), field).toBe('true');
        expect((await control.getAttribute('aria-describedby'))?.split(' '), field).toContain(`${field}-error`);
        const message = (await page.locator(`#${field}-error`).textContent())!;
        expect(await page.locator(`.summary a[href="#${field}"]`).textContent(), field).toBe(message);
      }
      return status;
    },
  },
  {
    name: 'guided-done',
    status: 200,
    reach: async (page, language) => {
      const session = await guidedSession({ returnUrl: 'https://example.com/onboarded?ref=42' });
      const link = inLanguage(session.url, language);
      await open(page, link);
      const sent = { entityType: 'HeatPump', model: 'aroTHERM plus', identifier: 'VA-2024-000123', consent: 'yes', csrf: await formValue(page) };
      expect(await postForm(link, sent)).toBe(303);
      const status = await open(page, link);
      expect(await page.locator('a[download]').count(), 'the thank-you page links to the consent receipt').toBe(1);
      return status;
    },
  },
  {
    name: 'guided-submitted-twice',
    status: 409,
    reach: async (page, language) => {
      const link = inLanguage((await guidedSession({ entityType: 'EV' })).url, language);
      await open(page, link);
      await page.locator('#model').fill('Model Y');
      await page.locator('#identifier').fill('5YJYGDEE1MF000001');
      await page.getByRole('checkbox').check();
      // Sent from another tab meanwhile.
      expect(await postForm(link, { model: 'Model Y', identifier: '5YJYGDEE1MF000001', consent: 'yes', csrf: await formValue(page) })).toBe(303);
      return send(page, () => page.locator('button[type=submit]').click());
    },
  },
  {
    name: 'error-404-forged-link',
    status: 404,
    reach: async (page, language) => {
      const link = await consentLink();
      return open(page, inLanguage(`${link.slice(0, -1)}${link.endsWith('A') ? 'B' : 'A'}`, language));
    },
  },
  {
    name: 'error-410-expired-session',
    status: 410,
    reach: async (page, language) => {
      const session = await guidedSession();
      await expire(session.id);
      return open(page, inLanguage(session.url, language));
    },
  },
  {
    name: 'error-403-forged-form',
    status: 403,
    reach: async (page, language) => forgedForm(page, inLanguage(await consentLink(), language), { decision: 'approve', csrf: 'not-the-value-of-this-page' }),
  },
  {
    name: 'error-400-form-without-anti-forgery-value',
    status: 400,
    reach: async (page, language) => forgedForm(page, inLanguage(await consentLink(), language), { decision: 'approve' }),
  },
];

/** The page at a width: how wide its content is, and every control smaller than 24×24 px that WCAG 2.2's spacing exception does not save. */
async function layoutAt(page: Page, width: number) {
  await page.setViewportSize({ width, height: 800 });
  return page.evaluate((target: number) => {
    const controls = [...document.querySelectorAll('a[href], button, input:not([type="hidden"]), select, textarea, summary, [tabindex]:not([tabindex="-1"])')]
      .map((element: any) => ({ element, box: element.getBoundingClientRect() }))
      .filter(({ box }: any) => box.width > 0 && box.height > 0);
    const undersized = controls.filter(({ box }: any) => box.width < target || box.height < target);
    const centre = (box: any) => ({ x: box.left + box.width / 2, y: box.top + box.height / 2 });
    const distanceToBox = (point: { x: number; y: number }, box: any) =>
      Math.hypot(Math.max(box.left - point.x, 0, point.x - box.right), Math.max(box.top - point.y, 0, point.y - box.bottom));
    // 2.5.8's exception: a 24 px circle centred on an undersized target meets no other target, nor the circle of another undersized one.
    const spaced = (control: any) =>
      controls.every((other: any) => {
        if (other === control) return true;
        const here = centre(control.box);
        if (distanceToBox(here, other.box) < target / 2) return false;
        if (!undersized.includes(other)) return true;
        const there = centre(other.box);
        return Math.hypot(here.x - there.x, here.y - there.y) >= target;
      });
    const describe = ({ element, box }: any) =>
      `<${element.tagName.toLowerCase()}> "${element.textContent.trim().replace(/\s+/g, ' ').slice(0, 60)}" (${box.width.toFixed(1)}×${box.height.toFixed(1)} px)`;
    return {
      scrollWidth: document.documentElement.scrollWidth as number,
      tooSmall: undersized.filter((control: any) => !spaced(control)).map(describe) as string[],
      spacedOnly: undersized.filter(spaced).map(describe) as string[],
    };
  }, TARGET);
}

/** Asserts the page at a width: no sideways scroll, no target too small. */
async function expectFits(page: Page, width: number, where: string) {
  const layout = await layoutAt(page, width);
  if (width <= NARROW) expect(layout.scrollWidth, `${where}: the page scrolls sideways at ${width} px`).toBeLessThanOrEqual(width);
  expect(layout.tooSmall, `${where} at ${width} px: controls under ${TARGET}×${TARGET} px, not saved by the spacing exception`).toEqual([]);
  for (const control of layout.spacedOnly) SPACED_ONLY.add(`${where} at ${width} px: ${control}`);
}

const describeViolations = (violations: Result[]) =>
  violations
    .map(
      (violation) =>
        `${violation.id} (${violation.impact}): ${violation.help}\n${violation.nodes
          .map((node) => `    ${node.target.join(' ')}: ${node.failureSummary?.replace(/\s+/g, ' ')}`)
          .join('\n')}`,
    )
    .join('\n');

/** axe-core's verdict on the page as it is now, at a width. */
async function expectNoAxeViolations(page: Page, width: number, where: string) {
  await page.setViewportSize({ width, height: 800 });
  const results: AxeResults = await page.evaluate(
    (tags: string[]) => window.axe.run(window.document, { runOnly: { type: 'tag', values: tags }, resultTypes: ['violations'] }),
    AXE_TAGS,
  );
  expect(
    results.violations.map((violation) => violation.id),
    `${where} at ${width} px:\n${describeViolations(results.violations)}`,
  ).toEqual([]);
  // axe ran its rules here, not nothing: contrast and target size were checked.
  const checked = results.passes.map((rule) => rule.id);
  expect(checked, where).toContain('color-contrast');
  expect(checked, where).toContain('target-size');
}

async function screenshot(page: Page, name: string, width: number) {
  await page.setViewportSize({ width, height: 800 });
  await page.screenshot({ path: join(SCREENSHOTS, `${name}-${width}.png`), fullPage: true });
}

/** What has the keyboard's focus, and how the page shows it. */
async function focused(page: Page) {
  return page.evaluate(() => {
    const element = document.activeElement;
    if (!element || element === document.body) return null;
    const style = getComputedStyle(element);
    return {
      name: `${element.tagName.toLowerCase()}${element.id ? `#${element.id}` : ''}${element.tagName === 'A' || element.tagName === 'BUTTON' ? `:${element.textContent.trim()}` : ''}`,
      href: element.getAttribute('href') as string | null,
      outline: `${style.outlineStyle} ${style.outlineWidth} ${style.outlineColor}`,
      visible: style.outlineStyle !== 'none' && Number.parseFloat(style.outlineWidth) >= 2 && style.outlineColor !== 'rgba(0, 0, 0, 0)',
    };
  });
}

/** Tab from wherever the focus is, round the page once: each control reached, in order, and each must show its focus. */
async function tabStops(page: Page): Promise<string[]> {
  const stops: string[] = [];
  for (let presses = 0; presses < 30; presses++) {
    await page.keyboard.press('Tab');
    const now = await focused(page);
    if (!now || stops.includes(now.name)) break;
    expect(now.visible, `${now.name} shows no visible focus (outline: ${now.outline})`).toBe(true);
    stops.push(now.name);
  }
  return stops;
}

/** Presses Tab until the control named is focused (at most once round the page). */
async function tabTo(page: Page, name: string) {
  for (let presses = 0; presses < 30; presses++) {
    if ((await focused(page))?.name === name) return;
    await page.keyboard.press('Tab');
  }
  throw new Error(`Tab never reached ${name}`);
}

const LANGUAGE_LINKS = (language: Language) => LANGUAGES.filter((other) => other !== language).map((other) => `a:${LANGUAGE_NAMES[other]}`);

async function newContext(options: Parameters<Browser['newContext']>[0] = {}): Promise<BrowserContext> {
  return browser!.newContext({ viewport: { width: WIDE, height: 800 }, locale: 'en-GB', ...options });
}

describe.skipIf(!haveChromium && !onCi)("the end user's pages for everyone, in Chromium", () => {
  it('given CI, then Chromium is there: browser tests never skip on CI', () => {
    expect(haveChromium, `no Chromium at ${CHROMIUM}: .ci/run installs it (apt-get install -y chromium)`).toBe(true);
  });

  describe.each(PAGES)('the $name page', (kind) => {
    it.each(LANGUAGES)(
      `in %s: has lang, fits 360 px with no control under 24×24 px, and axe-core finds no WCAG 2.2 AA violation`,
      async (language) => {
        const where = `${kind.name} (${language})`;
        // As a person sees it: the page's Content-Security-Policy in force.
        const context = await newContext();
        try {
          const page = await context.newPage();
          expect(await kind.reach(page, language), where).toBe(kind.status);
          expect(await page.locator('html').getAttribute('lang'), where).toBe(language);
          expect(await page.locator('footer [aria-current=true]').getAttribute('lang'), where).toBe(language);
          // The page's one style was allowed by its hash: what the screenshots show is what people get.
          expect(await page.evaluate(() => getComputedStyle(document.body).backgroundColor), where).toBe('rgb(243, 245, 247)');
          await expectFits(page, WIDE, where);
          await screenshot(page, `${kind.name}-${language}`, WIDE);
          await expectFits(page, NARROW, where);
          await screenshot(page, `${kind.name}-${language}`, NARROW);
        } finally {
          await context.close();
        }
        // For axe only: the pages' Content-Security-Policy allows no script, so this context bypasses it to inject axe-core.
        const audited = await newContext({ bypassCSP: true });
        try {
          const page = await audited.newPage();
          expect(await kind.reach(page, language), where).toBe(kind.status);
          await page.addScriptTag({ content: AXE_SOURCE });
          await expectNoAxeViolations(page, WIDE, where);
          await expectNoAxeViolations(page, NARROW, where);
        } finally {
          await audited.close();
        }
      },
      90_000,
    );
  });

  it('given a consent link, when the end user uses only the keyboard, then Tab reaches every control in order with a visible focus, Space approves, and Enter downloads the receipt', async () => {
    const context = await newContext({ viewport: { width: NARROW, height: 800 } });
    try {
      const page = await context.newPage();
      await page.goto(await consentLink());
      const texts = catalogue('en').consent;

      expect(await tabStops(page)).toEqual([`a:${texts.howItWorks}`, `button:${texts.approve}`, `button:${texts.decline}`, ...LANGUAGE_LINKS('en')]);
      await tabTo(page, `button:${texts.approve}`);
      await page.screenshot({ path: join(SCREENSHOTS, `consent-pending-focus-en-${NARROW}.png`), fullPage: true });
      await send(page, () => page.keyboard.press('Space'));

      expect(await page.locator('h1').textContent()).toBe(texts.decided.Processing);
      expect(await tabStops(page)).toEqual([`a:${texts.receipt}`, ...LANGUAGE_LINKS('en')]);
      await tabTo(page, `a:${texts.receipt}`);
      const [download] = await Promise.all([page.waitForEvent('download'), page.keyboard.press('Enter')]);
      expect(download.suggestedFilename()).toMatch(/^consent-receipt-.*\.jws$/);
    } finally {
      await context.close();
    }
  });

  it('given a guided session, when the end user uses only the keyboard, then the errors link to their fields, and the form is completed and sent', async () => {
    const session = await guidedSession();
    const context = await newContext({ viewport: { width: NARROW, height: 800 } });
    try {
      const page = await context.newPage();
      await page.goto(session.url);
      const texts = catalogue('en').guided;
      const fields = ['select#entityType', 'input#model', 'input#identifier', 'input#consent', `button:${texts.submit}`];
      expect(await tabStops(page)).toEqual([...fields, ...LANGUAGE_LINKS('en')]);

      // Sent with nothing filled and the box not ticked: a summary first, each line a link to its field.
      await tabTo(page, `button:${texts.submit}`);
      expect(await send(page, () => page.keyboard.press('Enter'))).toBe(400);
      const summary = page.locator('.summary a');
      expect(await summary.evaluateAll((links: any[]) => links.map((link) => link.getAttribute('href')))).toEqual(GUIDED_FIELDS.map((field) => `#${field}`));
      const lines = (await summary.allTextContents()).map((text) => `a:${text.trim()}`);
      expect(await tabStops(page)).toEqual([...lines, ...fields, ...LANGUAGE_LINKS('en')]);
      await tabTo(page, lines[0]!);
      await page.screenshot({ path: join(SCREENSHOTS, `guided-errors-focus-en-${NARROW}.png`), fullPage: true });
      for (const field of GUIDED_FIELDS) {
        // Enter on the summary's line moves the focus to the field it names.
        for (let presses = 0; presses < 30 && (await focused(page))?.href !== `#${field}`; presses++) await page.keyboard.press('Tab');
        await page.keyboard.press('Enter');
        expect((await focused(page))?.name, field).toMatch(new RegExp(`#${field}$`));
      }

      // Now filled in with keys alone: the type by arrow keys, the text typed, the box ticked with Space, sent with Enter.
      await tabTo(page, 'select#entityType');
      for (let presses = 0; presses < 12 && (await page.locator('#entityType').inputValue()) !== 'HeatPump'; presses++) await page.keyboard.press('ArrowDown');
      expect(await page.locator('#entityType').inputValue()).toBe('HeatPump');
      await page.keyboard.press('Tab');
      await page.keyboard.type('aroTHERM plus');
      await page.keyboard.press('Tab');
      await page.keyboard.type('VA-2024-000123');
      await page.keyboard.press('Tab');
      expect((await focused(page))?.name).toBe('input#consent');
      await page.keyboard.press('Space');
      expect(await page.locator('#consent').isChecked()).toBe(true);
      await page.keyboard.press('Tab');
      expect(await send(page, () => page.keyboard.press('Enter'))).toBe(200);

      expect(await page.locator('h1').textContent()).toBe(texts.thanks);
      const found = (await call('GET', `/v1/guided-onboarding-sessions/${session.id}`)).body;
      expect(found.onboardingRequest).toMatchObject({ status: 'Processing', data: { entity: { information: { model: 'aroTHERM plus', type: 'HeatPump' } } } });
      expect(await tabStops(page)).toEqual([`a:${texts.receipt}`, ...LANGUAGE_LINKS('en')]);
    } finally {
      await context.close();
    }
  });

  it('given a browser that asks for nl-BE, when it opens a consent link and a forged one without ?lang, then both pages are in Dutch', async () => {
    const context = await newContext({ locale: 'nl-BE' });
    try {
      const page = await context.newPage();
      const link = await consentLink();
      const opened = (await page.goto(link))!;

      expect(await opened.request().headerValue('accept-language')).toMatch(/^nl-BE\b/);
      expect(await page.locator('html').getAttribute('lang')).toBe('nl');
      expect(await page.locator('h1').textContent()).toBe(catalogue('nl').consent.heading(DEV_TENANT_NAME));
      expect(await page.locator('footer [aria-current=true]').textContent()).toBe(LANGUAGE_NAMES.nl);
      expect(await page.locator('button[value=approve]').textContent()).toBe(catalogue('nl').consent.approve);

      expect(await open(page, `${link.slice(0, -1)}${link.endsWith('A') ? 'B' : 'A'}`)).toBe(404);
      expect(await page.locator('html').getAttribute('lang')).toBe('nl');
      expect(await page.locator('h1').textContent()).toBe(catalogue('nl').errors[404].title);
    } finally {
      await context.close();
    }
  });

  it('given a browser that asks for nl-BE, when the end user picks Français in the footer and approves, then the page switches and the decided page is still in French', async () => {
    const context = await newContext({ locale: 'nl-BE' });
    try {
      const page = await context.newPage();
      const link = await consentLink();
      await page.goto(link);
      for (const other of LANGUAGES.filter((language) => language !== 'nl')) {
        const switcher = page.getByRole('link', { name: LANGUAGE_NAMES[other], exact: true });
        expect(await switcher.getAttribute('lang')).toBe(other);
        expect(await switcher.getAttribute('hreflang')).toBe(other);
      }

      await send(page, () => page.getByRole('link', { name: LANGUAGE_NAMES.fr, exact: true }).click());

      expect(new URL(page.url()).search).toBe('?lang=fr');
      expect(await page.locator('html').getAttribute('lang')).toBe('fr');
      expect(await page.locator('h1').textContent()).toBe(catalogue('fr').consent.heading(DEV_TENANT_NAME));

      await send(page, () => page.getByRole('button', { name: catalogue('fr').consent.approve }).click());

      expect(new URL(page.url()).pathname).toBe(new URL(link).pathname);
      expect(new URL(page.url()).search).toBe('?lang=fr');
      expect(await page.locator('html').getAttribute('lang')).toBe('fr');
      expect(await page.locator('h1').textContent()).toBe(catalogue('fr').consent.decided.Processing);
      expect(await page.getByRole('link', { name: catalogue('fr').consent.receipt }).count()).toBe(1);
    } finally {
      await context.close();
    }
  });

  it('given a guided session opened in English, when the end user picks Deutsch in the footer and sends the form, then the thank-you page is in German', async () => {
    const session = await guidedSession();
    const context = await newContext();
    try {
      const page = await context.newPage();
      await page.goto(session.url);
      expect(await page.locator('html').getAttribute('lang')).toBe('en');

      await send(page, () => page.getByRole('link', { name: LANGUAGE_NAMES.de, exact: true }).click());
      const texts = catalogue('de').guided;
      expect(await page.locator('html').getAttribute('lang')).toBe('de');
      await page.getByLabel(texts.type).selectOption({ label: catalogue('de').devices.HeatPump });
      await page.getByLabel(texts.model, { exact: true }).fill('aroTHERM plus');
      await page.getByLabel(texts.identifiers.any.label).fill('VA-2024-000123');
      await page.getByRole('checkbox').check();
      await send(page, () => page.getByRole('button', { name: texts.submit }).click());

      expect(new URL(page.url()).search).toBe('?lang=de');
      expect(await page.locator('html').getAttribute('lang')).toBe('de');
      expect(await page.locator('h1').textContent()).toBe(texts.thanks);
    } finally {
      await context.close();
    }
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
