import { createHmac, randomUUID } from 'node:crypto';
import { SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import * as webhooks from '../../functions/webhooks/provider-events.ts';
import { DEV_WEBHOOK_SECRET } from '../../lib/config/settings.ts';
import { parseSecrets, sign } from '../../lib/webhooks/signature.ts';
import { store } from '../support/app.ts';
import { TEST_JWT_SECRET } from '../support/fixtures.ts';
import { apiEvent, invoke, type Response, tenant, token } from '../support/http.ts';
import { expectNoLeak, expectProblem, type OnboardingApi, onboardingApi } from '../support/onboarding-api.ts';

/**
 * A catalogue of hostile inputs, each sent through the wrapped handlers (the full middleware stack) as API
 * Gateway would. Every case must be refused with its own 4xx and stable code as RFC 9457 problem+json, show
 * nothing internal, and write nothing: the owner's request, both tenants' lists and the webhook inbox are
 * compared before and after.
 */

interface Party {
  tenantId: string;
  sub: string;
  authorization: string;
  collectives: OnboardingApi;
  entities: OnboardingApi;
}

interface Given {
  /** A tenant with one Pending collective request, `target`. */
  owner: Party;
  /** A fresh tenant with nothing, the attacker in cross-tenant cases. */
  stranger: Party;
  target: string;
  /** What a case's `prepare` set up (ids, tokens) before the "before" snapshot. */
  prepared: Record<string, string>;
  /** The webhook message id a case sent, to check it was not remembered. */
  messageId?: string;
}

interface HostileCase {
  name: string;
  status: number;
  code: string;
  /** A JSON pointer the problem's `errors` must name. */
  path?: string;
  prepare?: (given: Given) => Promise<Record<string, string>>;
  send: (given: Given) => Promise<Response>;
  /** What else the answer must show, beyond its status and code. */
  check?: (answer: Response, given: Given) => void;
}

const COLLECTIVE = { name: 'Home', type: 'Household' };
const ENTITY = { type: 'Battery', manufacturer: 'Tesla' };
const JSON_TYPE = { 'content-type': 'application/json' };
const WEBHOOK_KEY = parseSecrets(DEV_WEBHOOK_SECRET)[0]!;
const CORRELATION_ID = /^[\w.:-]{1,128}$/;

const nowSeconds = () => Math.floor(Date.now() / 1000);
const base64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
const nested = (depth: number, open: string, close: string, leaf = '1') => `${open.repeat(depth)}${leaf}${close.repeat(depth)}`;

/** A JSON object padded with a `properties.blob` to exactly `bytes` bytes. */
function jsonOfSize(bytes: number, base: object = COLLECTIVE): string {
  const empty = JSON.stringify({ ...base, properties: { blob: '' } });
  return JSON.stringify({ ...base, properties: { blob: 'x'.repeat(bytes - Buffer.byteLength(empty)) } });
}

/** A JSON body from raw text, so keys JSON.stringify would drop or merge (`__proto__`, duplicates) survive. */
function rawCreate(api: OnboardingApi, text: string, headers: Record<string, string> = JSON_TYPE) {
  return api.create(undefined, { rawBody: text, headers });
}

/** A body sent as API Gateway sends binary: base64 of the exact bytes. */
function bytesCreate(api: OnboardingApi, bytes: Buffer) {
  return api.create(undefined, { rawBody: bytes.toString('base64'), isBase64Encoded: true, headers: JSON_TYPE });
}

function claims(tenantId: string, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    sub: 'integrator-1',
    tenant_id: tenantId,
    scope: 'onboarding:read onboarding:write',
    iss: 'onboarding-local',
    aud: 'onboarding-api',
    iat: nowSeconds(),
    exp: nowSeconds() + 600,
    ...overrides,
  };
}

/** A JWT built by hand, for headers and signatures the token() helper will not make. */
function handmadeJwt(header: object, payload: object, signature: 'HS256' | 'HS512' | 'none' = 'HS256'): string {
  const signingInput = `${base64url(header)}.${base64url(payload)}`;
  if (signature === 'none') return `${signingInput}.`;
  const mac = createHmac(signature === 'HS256' ? 'sha256' : 'sha512', TEST_JWT_SECRET)
    .update(signingInput)
    .digest('base64url');
  return `${signingInput}.${mac}`;
}

/** A correctly signed HS256 token with any claims at all (scope as an array, exp as a string...). */
function signedWith(payload: Record<string, unknown>): Promise<string> {
  return new SignJWT(payload).setProtectedHeader({ alg: 'HS256', typ: 'JWT' }).sign(new TextEncoder().encode(TEST_JWT_SECRET));
}

const bearer = (jwt: string) => `Bearer ${jwt}`;

/** The collective API with this Authorization header value (undefined sends none). */
const callerWith = (authorization: string | undefined) => onboardingApi('collectives', authorization);

function statusEvent(data: Record<string, unknown>, overrides: Record<string, unknown> = {}): string {
  return JSON.stringify({ type: 'onboarding.status.updated', timestamp: new Date().toISOString(), data, ...overrides });
}

interface Delivery {
  body: string | Buffer;
  messageId?: string;
  timestamp?: number | string;
  key?: Buffer;
  signature?: string;
  base64?: boolean;
  omit?: Array<'webhook-id' | 'webhook-timestamp' | 'webhook-signature'>;
  headers?: Record<string, string>;
}

/** One POST /v1/webhooks/onboarding, signed with the service's key unless told otherwise. */
function deliver(g: Given, delivery: Delivery): Promise<Response> {
  const messageId = delivery.messageId ?? `msg_${randomUUID().replaceAll('-', '')}`;
  if (/^[\x21-\x7e]{1,256}$/.test(messageId)) g.messageId = messageId;
  const timestamp = delivery.timestamp ?? nowSeconds();
  const bytes = Buffer.from(delivery.body);
  const headers: Record<string, string> = {
    'webhook-id': messageId,
    'webhook-timestamp': String(timestamp),
    'webhook-signature': delivery.signature ?? sign(delivery.key ?? WEBHOOK_KEY, messageId, timestamp, bytes),
    ...JSON_TYPE,
    ...delivery.headers,
  };
  for (const name of delivery.omit ?? []) delete headers[name];
  return invoke(
    webhooks.handler,
    apiEvent({
      method: 'POST',
      path: '/v1/webhooks/onboarding',
      headers,
      rawBody: delivery.base64 ? bytes.toString('base64') : bytes.toString('utf8'),
      isBase64Encoded: delivery.base64 ?? false,
    }),
  );
}

async function party(): Promise<Party> {
  const caller = await tenant();
  return { ...caller, collectives: onboardingApi('collectives', caller.authorization), entities: onboardingApi('entities', caller.authorization) };
}

async function given(): Promise<Given & { baseline: Snapshot }> {
  const [owner, stranger] = await Promise.all([party(), party()]);
  const created = await owner.collectives.create(COLLECTIVE);
  expect(created.status).toBe(201);
  const { id, updated } = created.body;
  return {
    owner,
    stranger,
    target: id,
    prepared: {},
    baseline: {
      ownerCollectives: [[id, 'Pending', 1, updated]],
      ownerEntities: [],
      strangerCollectives: [],
      strangerEntities: [],
      target: { status: 'Pending', version: 1, updated, etag: '"1"' },
      trail: [[1, null, 'Pending']],
    },
  };
}

type Snapshot = Awaited<ReturnType<typeof snapshot>>;

/** Everything a refused call could have written: both tenants' lists, and the target's state and trail. */
async function snapshot({ owner, stranger, target }: Given) {
  const listed = async (api: OnboardingApi) => {
    const page = await api.list({ pageSize: '100' });
    expect(page.status).toBe(200);
    return page.body.data.map((request: { id: string; status: string; version: number; updated: string }) => [
      request.id,
      request.status,
      request.version,
      request.updated,
    ]);
  };
  const [ownerCollectives, ownerEntities, strangerCollectives, strangerEntities, request, trail] = await Promise.all([
    listed(owner.collectives),
    listed(owner.entities),
    listed(stranger.collectives),
    listed(stranger.entities),
    owner.collectives.get(target),
    owner.collectives.history(target, { pageSize: '100' }),
  ]);
  return {
    ownerCollectives,
    ownerEntities,
    strangerCollectives,
    strangerEntities,
    target: { status: request.body.status, version: request.body.version, updated: request.body.updated, etag: request.headers.etag },
    trail: trail.body.data.map((record: { version: number; from: string | null; to: string }) => [record.version, record.from, record.to]),
  };
}

const CONTENT_TYPES: HostileCase[] = [
  {
    name: 'a JSON body sent as text/plain',
    status: 415,
    code: 'unsupported_media_type',
    send: (g) => rawCreate(g.owner.collectives, JSON.stringify(COLLECTIVE), { 'content-type': 'text/plain' }),
  },
  {
    name: 'a form-urlencoded body',
    status: 415,
    code: 'unsupported_media_type',
    send: (g) => rawCreate(g.owner.collectives, 'name=Home&type=Household', { 'content-type': 'application/x-www-form-urlencoded' }),
  },
  {
    name: 'a multipart/form-data body',
    status: 415,
    code: 'unsupported_media_type',
    send: (g) =>
      rawCreate(
        g.owner.collectives,
        '--xyz\r\nContent-Disposition: form-data; name="name"\r\n\r\nHome\r\n--xyz\r\nContent-Disposition: form-data; name="type"\r\n\r\nHousehold\r\n--xyz--\r\n',
        { 'content-type': 'multipart/form-data; boundary=xyz' },
      ),
  },
  {
    name: 'a JSON body without any Content-Type',
    status: 415,
    code: 'unsupported_media_type',
    send: (g) => g.owner.collectives.create(undefined, { rawBody: JSON.stringify(COLLECTIVE) }),
  },
  {
    name: 'Content-Type application/jsonx',
    status: 415,
    code: 'unsupported_media_type',
    send: (g) => rawCreate(g.owner.collectives, JSON.stringify(COLLECTIVE), { 'content-type': 'application/jsonx' }),
  },
  {
    name: 'Content-Type application/json with a latin-1 charset',
    status: 415,
    code: 'unsupported_media_type',
    send: (g) => rawCreate(g.owner.collectives, JSON.stringify(COLLECTIVE), { 'content-type': 'application/json; charset=iso-8859-1' }),
  },
  {
    name: 'Content-Type listing two media types',
    status: 415,
    code: 'unsupported_media_type',
    send: (g) => rawCreate(g.owner.collectives, JSON.stringify(COLLECTIVE), { 'content-type': 'application/json, text/plain' }),
  },
  {
    name: 'an entity body sent as application/xml',
    status: 415,
    code: 'unsupported_media_type',
    send: (g) => rawCreate(g.owner.entities, '<entity type="Battery"/>', { 'content-type': 'application/xml' }),
  },
];

const MALFORMED_JSON: HostileCase[] = [
  { name: 'JSON truncated after a key', status: 400, code: 'malformed_json', send: (g) => rawCreate(g.owner.collectives, '{"name":"Home","type":') },
  {
    name: 'JSON missing its closing brace',
    status: 400,
    code: 'malformed_json',
    send: (g) => rawCreate(g.owner.collectives, '{"name":"Home","type":"Household"'),
  },
  { name: 'JSON truncated inside a string', status: 400, code: 'malformed_json', send: (g) => rawCreate(g.owner.collectives, '{"name":"Ho') },
  { name: 'a lone opening brace', status: 400, code: 'malformed_json', send: (g) => rawCreate(g.owner.collectives, '{') },
  {
    name: 'valid JSON followed by garbage',
    status: 400,
    code: 'malformed_json',
    send: (g) => rawCreate(g.owner.collectives, '{"name":"Home","type":"Household"}}'),
  },
  {
    name: 'two JSON documents back to back',
    status: 400,
    code: 'malformed_json',
    send: (g) => rawCreate(g.owner.collectives, '{"name":"Home","type":"Household"}{"name":"Away","type":"Fleet"}'),
  },
  {
    name: 'JSON with a comment',
    status: 400,
    code: 'malformed_json',
    send: (g) => rawCreate(g.owner.collectives, '{"name":"Home", /* x */ "type":"Household"}'),
  },
  { name: 'single-quoted pseudo-JSON', status: 400, code: 'malformed_json', send: (g) => rawCreate(g.owner.collectives, "{'name':'Home','type':'Household'}") },
  {
    name: 'NaN as a value',
    status: 400,
    code: 'malformed_json',
    send: (g) => rawCreate(g.owner.collectives, '{"name":"Home","type":"Household","properties":NaN}'),
  },
  { name: 'a whitespace-only body', status: 400, code: 'malformed_json', send: (g) => rawCreate(g.owner.collectives, ' \n\t ') },
];

const HUGE_BODIES: HostileCase[] = [
  { name: 'a body of 64 KiB + 1 byte', status: 413, code: 'payload_too_large', send: (g) => rawCreate(g.owner.collectives, jsonOfSize(64 * 1024 + 1)) },
  { name: 'a body of 1 MiB', status: 413, code: 'payload_too_large', send: (g) => rawCreate(g.owner.collectives, jsonOfSize(1024 * 1024)) },
  {
    name: 'a base64-encoded body that decodes to 64 KiB + 1 byte',
    status: 413,
    code: 'payload_too_large',
    send: (g) => bytesCreate(g.owner.collectives, Buffer.from(jsonOfSize(64 * 1024 + 1))),
  },
  {
    name: 'a base64-encoded body of 1 MiB',
    status: 413,
    code: 'payload_too_large',
    send: (g) => bytesCreate(g.owner.collectives, Buffer.from(jsonOfSize(1024 * 1024))),
  },
  {
    name: 'a body under 64 Ki characters but over 64 KiB in UTF-8 bytes',
    status: 413,
    code: 'payload_too_large',
    send: (g) => g.owner.collectives.create({ ...COLLECTIVE, properties: { blob: 'é'.repeat(40_000) } }),
  },
  {
    name: 'an entity body of 64 KiB + 1 byte',
    status: 413,
    code: 'payload_too_large',
    send: (g) => rawCreate(g.owner.entities, jsonOfSize(64 * 1024 + 1, ENTITY)),
  },
  {
    name: 'a 1 MiB body on cancel',
    status: 413,
    code: 'payload_too_large',
    send: (g) => g.owner.collectives.cancel(g.target, { rawBody: jsonOfSize(1024 * 1024), headers: JSON_TYPE }),
  },
];

const PROTOTYPE_KEYS: HostileCase[] = [
  {
    name: 'a top-level "__proto__" key',
    status: 400,
    code: 'validation_failed',
    path: '/__proto__',
    send: (g) => rawCreate(g.owner.collectives, '{"__proto__":{"polluted":true},"name":"Home","type":"Household"}'),
  },
  {
    name: 'a top-level "constructor" key',
    status: 400,
    code: 'validation_failed',
    path: '/constructor',
    send: (g) => rawCreate(g.owner.collectives, '{"constructor":{"prototype":{"polluted":true}},"name":"Home","type":"Household"}'),
  },
  {
    name: 'a top-level "prototype" key',
    status: 400,
    code: 'validation_failed',
    path: '/prototype',
    send: (g) => rawCreate(g.owner.collectives, '{"prototype":{"polluted":true},"name":"Home","type":"Household"}'),
  },
  {
    name: 'a top-level "__proto__" key in an entity body',
    status: 400,
    code: 'validation_failed',
    path: '/__proto__',
    send: (g) => rawCreate(g.owner.entities, '{"type":"Battery","manufacturer":"Tesla","__proto__":{"type":"EV","polluted":true}}'),
  },
  {
    name: 'a "__proto__" key that tries to supply the required name',
    status: 400,
    code: 'validation_failed',
    path: '/__proto__',
    send: (g) => rawCreate(g.owner.collectives, '{"type":"Household","__proto__":{"name":"Home"}}'),
  },
  {
    name: 'name as an object with a "__proto__" key',
    status: 400,
    code: 'validation_failed',
    path: '/name',
    send: (g) => rawCreate(g.owner.collectives, '{"name":{"__proto__":{"polluted":true}},"type":"Household"}'),
  },
  {
    name: 'owner as an object with "constructor.prototype"',
    status: 400,
    code: 'validation_failed',
    path: '/owner',
    send: (g) => rawCreate(g.owner.collectives, '{"name":"Home","type":"Household","owner":{"constructor":{"prototype":{"polluted":true}}}}'),
  },
  {
    name: 'tenantId as an object with a "__proto__" key',
    status: 400,
    code: 'validation_failed',
    path: '/tenantId',
    send: (g) => rawCreate(g.owner.collectives, '{"name":"Home","type":"Household","tenantId":{"__proto__":{"polluted":true}}}'),
  },
  {
    name: 'a "__proto__" query parameter on list',
    status: 400,
    code: 'validation_failed',
    path: '/__proto__',
    send: (g) => g.owner.collectives.list({ ['__proto__']: 'polluted' }),
  },
  {
    name: 'a signed webhook whose data."__proto__" tries to supply the status',
    status: 400,
    code: 'validation_failed',
    path: '/data/status',
    send: (g) =>
      deliver(g, {
        body: `{"type":"onboarding.status.updated","timestamp":"${new Date().toISOString()}","data":{"id":"${g.target}","__proto__":{"status":"Succeeded","polluted":true}}}`,
      }),
  },
];

const DEEP_NESTING: HostileCase[] = [
  {
    name: 'properties nested 10,000 arrays deep',
    status: 400,
    code: 'validation_failed',
    path: '/properties',
    send: (g) => rawCreate(g.owner.collectives, `{"name":"Home","type":"Household","properties":${nested(10_000, '[', ']')}}`),
  },
  {
    name: 'properties nested 10,000 objects deep',
    status: 400,
    code: 'validation_failed',
    path: '/properties',
    send: (g) => rawCreate(g.owner.collectives, `{"name":"Home","type":"Household","properties":${nested(10_000, '{"a":', '}')}}`),
  },
  {
    name: 'properties nested one level over the limit (17)',
    status: 400,
    code: 'validation_failed',
    path: '/properties',
    send: (g) => rawCreate(g.owner.collectives, `{"name":"Home","type":"Household","properties":${nested(17, '[', ']')}}`),
  },
  {
    name: 'entity properties nested 10,000 objects deep',
    status: 400,
    code: 'validation_failed',
    path: '/properties',
    send: (g) => rawCreate(g.owner.entities, `{"type":"Battery","manufacturer":"Tesla","properties":${nested(10_000, '{"a":', '}')}}`),
  },
  {
    name: 'name nested 10,000 arrays deep',
    status: 400,
    code: 'validation_failed',
    path: '/name',
    send: (g) => rawCreate(g.owner.collectives, `{"name":${nested(10_000, '[', ']')},"type":"Household"}`),
  },
  {
    name: 'an unknown field nested 10,000 objects deep',
    status: 400,
    code: 'validation_failed',
    path: '/extra',
    send: (g) => rawCreate(g.owner.collectives, `{"name":"Home","type":"Household","extra":${nested(10_000, '{"a":', '}')}}`),
  },
  {
    name: 'a signed Succeeded webhook whose data.entity nests 10,000 arrays deep',
    status: 400,
    code: 'validation_failed',
    prepare: async (g) => {
      const created = await g.owner.entities.create(ENTITY);
      expect(created.status).toBe(201);
      return { entityId: created.body.id };
    },
    send: (g) =>
      deliver(g, {
        body: `{"type":"onboarding.status.updated","timestamp":"${new Date().toISOString()}","data":{"id":"${g.prepared.entityId}","status":"Succeeded","entity":{"x":${nested(10_000, '[', ']')}}}}`,
      }),
  },
];

const collectiveBytes = (name: Buffer) => Buffer.concat([Buffer.from('{"name":"'), name, Buffer.from('","type":"Household"}')]);

const INVALID_UNICODE: HostileCase[] = [
  {
    name: 'a base64 body with the bytes 0xff 0xfe in name',
    status: 400,
    code: 'malformed_json',
    send: (g) => bytesCreate(g.owner.collectives, collectiveBytes(Buffer.from([0xff, 0xfe]))),
  },
  {
    name: 'a base64 body in UTF-16LE with a byte-order mark',
    status: 400,
    code: 'malformed_json',
    send: (g) => bytesCreate(g.owner.collectives, Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(JSON.stringify(COLLECTIVE), 'utf16le')])),
  },
  {
    name: 'an overlong UTF-8 encoding of "/" (0xc0 0xaf)',
    status: 400,
    code: 'malformed_json',
    send: (g) => bytesCreate(g.owner.collectives, collectiveBytes(Buffer.from([0x2e, 0x2e, 0xc0, 0xaf]))),
  },
  {
    name: 'a truncated multi-byte UTF-8 sequence',
    status: 400,
    code: 'malformed_json',
    send: (g) => bytesCreate(g.owner.collectives, collectiveBytes(Buffer.from([0x48, 0xe2, 0x82]))),
  },
  {
    name: 'a UTF-8-encoded surrogate half (0xed 0xa0 0x80)',
    status: 400,
    code: 'malformed_json',
    send: (g) => bytesCreate(g.owner.collectives, collectiveBytes(Buffer.from([0xed, 0xa0, 0x80]))),
  },
  {
    name: 'a text body holding a raw lone surrogate',
    status: 400,
    code: 'malformed_json',
    send: (g) => rawCreate(g.owner.collectives, '{"name":"Home\ud800","type":"Household"}'),
  },
  {
    name: 'a lone high surrogate escape "\\ud800" in name',
    status: 400,
    code: 'validation_failed',
    path: '/name',
    send: (g) => rawCreate(g.owner.collectives, '{"name":"Home\\ud800","type":"Household"}'),
  },
  {
    name: 'a lone surrogate escape in manufacturer',
    status: 400,
    code: 'validation_failed',
    path: '/manufacturer',
    send: (g) => rawCreate(g.owner.entities, '{"type":"Battery","manufacturer":"Tes\\ud800la"}'),
  },
  {
    name: 'a lone low surrogate escape "\\udc00" in model',
    status: 400,
    code: 'validation_failed',
    path: '/model',
    send: (g) => rawCreate(g.owner.entities, '{"type":"Battery","manufacturer":"Tesla","model":"\\udc00"}'),
  },
  {
    name: 'a signed webhook with the bytes 0xff 0xfe inside an error message',
    status: 400,
    code: 'malformed_json',
    send: (g) => {
      const [before, after] = statusEvent({ id: g.target, status: 'Failed', errors: [{ code: 'X', message: '#' }] }).split('#');
      return deliver(g, { body: Buffer.concat([Buffer.from(before!), Buffer.from([0xff, 0xfe]), Buffer.from(after!)]), base64: true });
    },
  },
];

const CONTROL_CHARACTERS: HostileCase[] = [
  {
    name: 'a NUL byte in name',
    status: 400,
    code: 'validation_failed',
    path: '/name',
    send: (g) => g.owner.collectives.create({ ...COLLECTIVE, name: 'Home\u0000' }),
  },
  {
    name: 'CR LF and a fake header in name',
    status: 400,
    code: 'validation_failed',
    path: '/name',
    send: (g) => g.owner.collectives.create({ ...COLLECTIVE, name: 'Home\r\nX-Injected: 1' }),
  },
  {
    name: 'an ANSI escape sequence in name',
    status: 400,
    code: 'validation_failed',
    path: '/name',
    send: (g) => g.owner.collectives.create({ ...COLLECTIVE, name: '\u001b[31mHome\u001b[0m' }),
  },
  {
    name: 'DEL (0x7f) in name',
    status: 400,
    code: 'validation_failed',
    path: '/name',
    send: (g) => g.owner.collectives.create({ ...COLLECTIVE, name: 'Ho\u007fme' }),
  },
  {
    name: 'a C1 control character (NEL, U+0085) in name',
    status: 400,
    code: 'validation_failed',
    path: '/name',
    send: (g) => g.owner.collectives.create({ ...COLLECTIVE, name: 'Ho\u0085me' }),
  },
  {
    name: 'a NUL byte in manufacturer',
    status: 400,
    code: 'validation_failed',
    path: '/manufacturer',
    send: (g) => g.owner.entities.create({ ...ENTITY, manufacturer: 'Tes\u0000la' }),
  },
  {
    name: 'a tab in manufacturer',
    status: 400,
    code: 'validation_failed',
    path: '/manufacturer',
    send: (g) => g.owner.entities.create({ ...ENTITY, manufacturer: 'Tes\tla' }),
  },
  {
    name: 'a line feed in reference',
    status: 400,
    code: 'validation_failed',
    path: '/reference',
    send: (g) => g.owner.entities.create({ ...ENTITY, reference: 'ref\nrm -rf /' }),
  },
  {
    name: 'CR LF in returnUrl',
    status: 400,
    code: 'validation_failed',
    path: '/returnUrl',
    send: (g) => g.owner.collectives.create({ ...COLLECTIVE, returnUrl: 'https://example.com/\r\nLocation: https://evil.example' }),
  },
  {
    name: 'CR LF in the manufacturer list filter',
    status: 400,
    code: 'validation_failed',
    path: '/manufacturer',
    send: (g) => g.owner.entities.list({ manufacturer: 'Tesla\r\nX: 1' }),
  },
];

const OVERLONG: HostileCase[] = [
  {
    name: 'name of 201 characters',
    status: 400,
    code: 'validation_failed',
    path: '/name',
    send: (g) => g.owner.collectives.create({ ...COLLECTIVE, name: 'n'.repeat(201) }),
  },
  {
    name: 'manufacturer of 101 characters',
    status: 400,
    code: 'validation_failed',
    path: '/manufacturer',
    send: (g) => g.owner.entities.create({ ...ENTITY, manufacturer: 'm'.repeat(101) }),
  },
  {
    name: 'returnUrl of 2049 characters',
    status: 400,
    code: 'validation_failed',
    path: '/returnUrl',
    send: (g) => g.owner.collectives.create({ ...COLLECTIVE, returnUrl: `https://example.com/${'a'.repeat(2049 - 'https://example.com/'.length)}` }),
  },
  {
    name: 'vin of 33 characters',
    status: 400,
    code: 'validation_failed',
    path: '/vin',
    send: (g) => g.owner.entities.create({ ...ENTITY, vin: 'V'.repeat(33) }),
  },
  {
    name: 'ean of 65 characters',
    status: 400,
    code: 'validation_failed',
    path: '/ean',
    send: (g) => g.owner.entities.create({ ...ENTITY, ean: '8'.repeat(65) }),
  },
  {
    name: 'email of 255 characters',
    status: 400,
    code: 'validation_failed',
    path: '/email',
    send: (g) => g.owner.entities.create({ ...ENTITY, email: `${'e'.repeat(243)}@example.com` }),
  },
  { name: 'an empty name', status: 400, code: 'validation_failed', path: '/name', send: (g) => g.owner.collectives.create({ ...COLLECTIVE, name: '' }) },
  {
    name: 'a manufacturer list filter of 101 characters',
    status: 400,
    code: 'validation_failed',
    path: '/manufacturer',
    send: (g) => g.owner.entities.list({ manufacturer: 'm'.repeat(101) }),
  },
  {
    name: 'a continuationToken of 2049 characters',
    status: 400,
    code: 'validation_failed',
    path: '/continuationToken',
    send: (g) => g.owner.collectives.list({ continuationToken: 't'.repeat(2049) }),
  },
];

const WRONG_TYPES: HostileCase[] = [
  { name: 'name as a number', status: 400, code: 'validation_failed', path: '/name', send: (g) => g.owner.collectives.create({ ...COLLECTIVE, name: 42 }) },
  {
    name: 'name as an array',
    status: 400,
    code: 'validation_failed',
    path: '/name',
    send: (g) => g.owner.collectives.create({ ...COLLECTIVE, name: ['Home'] }),
  },
  {
    name: 'name as an object',
    status: 400,
    code: 'validation_failed',
    path: '/name',
    send: (g) => g.owner.collectives.create({ ...COLLECTIVE, name: { value: 'Home' } }),
  },
  { name: 'name as null', status: 400, code: 'validation_failed', path: '/name', send: (g) => g.owner.collectives.create({ ...COLLECTIVE, name: null }) },
  { name: 'name as a boolean', status: 400, code: 'validation_failed', path: '/name', send: (g) => g.owner.collectives.create({ ...COLLECTIVE, name: true }) },
  {
    name: 'a lower-case collective type "household"',
    status: 400,
    code: 'validation_failed',
    path: '/type',
    send: (g) => g.owner.collectives.create({ ...COLLECTIVE, type: 'household' }),
  },
  {
    name: 'a lower-case entity type "battery"',
    status: 400,
    code: 'validation_failed',
    path: '/type',
    send: (g) => g.owner.entities.create({ ...ENTITY, type: 'battery' }),
  },
  {
    name: 'type as an array of a valid value',
    status: 400,
    code: 'validation_failed',
    path: '/type',
    send: (g) => g.owner.collectives.create({ ...COLLECTIVE, type: ['Household'] }),
  },
  {
    name: 'an entity type sent to the collectives endpoint',
    status: 400,
    code: 'validation_failed',
    path: '/type',
    send: (g) => g.owner.collectives.create({ ...COLLECTIVE, type: 'Battery' }),
  },
  {
    name: 'manufacturer as a number',
    status: 400,
    code: 'validation_failed',
    path: '/manufacturer',
    send: (g) => g.owner.entities.create({ ...ENTITY, manufacturer: 7 }),
  },
  {
    name: 'tenantId as a number',
    status: 400,
    code: 'validation_failed',
    path: '/tenantId',
    send: (g) => g.owner.collectives.create({ ...COLLECTIVE, tenantId: 42 }),
  },
  {
    name: 'collectiveId as a path',
    status: 400,
    code: 'validation_failed',
    path: '/collectiveId',
    send: (g) => g.owner.collectives.create({ ...COLLECTIVE, collectiveId: '../../etc/passwd' }),
  },
  {
    name: 'an email carrying a Bcc header',
    status: 400,
    code: 'validation_failed',
    path: '/email',
    send: (g) => g.owner.entities.create({ ...ENTITY, email: 'a@example.com\r\nBcc: victim@example.com' }),
  },
  {
    name: 'returnUrl as a number',
    status: 400,
    code: 'validation_failed',
    path: '/returnUrl',
    send: (g) => g.owner.collectives.create({ ...COLLECTIVE, returnUrl: 443 }),
  },
];

const PAGE_SIZES: HostileCase[] = [
  ...['0', '101', '-1', '1.5', '1e2', 'ten', '25abc', ' 25', '', '025', '10,20', '0x19', 'Infinity'].map(
    (pageSize): HostileCase => ({
      name: `list pageSize ${JSON.stringify(pageSize)}`,
      status: 400,
      code: 'validation_failed',
      path: '/pageSize',
      send: (g) => g.owner.collectives.list({ pageSize }),
    }),
  ),
  ...['0', '101', '1e2', '-1'].map(
    (pageSize): HostileCase => ({
      name: `history pageSize ${JSON.stringify(pageSize)}`,
      status: 400,
      code: 'validation_failed',
      path: '/pageSize',
      send: (g) => g.owner.collectives.history(g.target, { pageSize }),
    }),
  ),
  { name: 'entity list pageSize "1000"', status: 400, code: 'validation_failed', path: '/pageSize', send: (g) => g.owner.entities.list({ pageSize: '1000' }) },
];

const RETURN_URLS: HostileCase[] = [
  ['a javascript: returnUrl', 'javascript:alert(document.cookie)'],
  ['a javascript: returnUrl that ends like https', 'javascript:alert(1)//https://example.com'],
  ['an ftp: returnUrl', 'ftp://example.com/file'],
  ['a plain-http returnUrl on a public host', 'http://example.com/done'],
  ['a file: returnUrl', 'file:///etc/passwd'],
  ['a data: returnUrl', 'data:text/html,<script>alert(1)</script>'],
  ['an http returnUrl on a host that starts with localhost', 'http://localhost.evil.example/done'],
  ['an http returnUrl with 127.0.0.1 as userinfo', 'http://127.0.0.1@evil.example/done'],
  ['a protocol-relative returnUrl', '//evil.example/done'],
  ['a returnUrl that is not a URL', 'not a url'],
  ['a returnUrl with a space in the host', 'https://exa mple.com/'],
].map(
  ([name, returnUrl]): HostileCase => ({
    name: name!,
    status: 400,
    code: 'validation_failed',
    path: '/returnUrl',
    send: (g) => g.owner.collectives.create({ ...COLLECTIVE, returnUrl }),
  }),
);

/** Each bad credential, carrying the owner's tenant, tries to cancel the owner's request (or create for the owner). */
const TOKENS: HostileCase[] = [
  {
    name: 'a truncated token',
    status: 401,
    code: 'unauthorized',
    send: async (g) => callerWith(bearer((await token({ tenantId: g.owner.tenantId })).slice(0, -10))).cancel(g.target),
  },
  {
    name: 'a token with an extra segment',
    status: 401,
    code: 'unauthorized',
    send: async (g) => callerWith(bearer(`${await token({ tenantId: g.owner.tenantId })}.eyJ4IjoxfQ`)).cancel(g.target),
  },
  {
    name: 'an alg "none" token',
    status: 401,
    code: 'unauthorized',
    send: (g) => callerWith(bearer(handmadeJwt({ alg: 'none', typ: 'JWT' }, claims(g.owner.tenantId), 'none'))).cancel(g.target),
  },
  {
    name: 'an alg "none" token that keeps a signature',
    status: 401,
    code: 'unauthorized',
    send: (g) => callerWith(bearer(`${handmadeJwt({ alg: 'none', typ: 'JWT' }, claims(g.owner.tenantId), 'none')}c2ln`)).cancel(g.target),
  },
  {
    name: 'an HS512 token signed with the right secret',
    status: 401,
    code: 'unauthorized',
    send: (g) => callerWith(bearer(handmadeJwt({ alg: 'HS512', typ: 'JWT' }, claims(g.owner.tenantId), 'HS512'))).cancel(g.target),
  },
  {
    name: 'an RS256 header over an HS256 signature',
    status: 401,
    code: 'unauthorized',
    send: (g) => callerWith(bearer(handmadeJwt({ alg: 'RS256', typ: 'JWT' }, claims(g.owner.tenantId)))).cancel(g.target),
  },
  {
    name: 'a token with an unknown critical header',
    status: 401,
    code: 'unauthorized',
    send: (g) =>
      callerWith(bearer(handmadeJwt({ alg: 'HS256', typ: 'JWT', crit: ['x-unknown'], 'x-unknown': true }, claims(g.owner.tenantId)))).cancel(g.target),
  },
  {
    name: 'an expired token',
    status: 401,
    code: 'unauthorized',
    send: async (g) => callerWith(bearer(await token({ tenantId: g.owner.tenantId, expiresIn: nowSeconds() - 60 }))).cancel(g.target),
  },
  {
    name: 'a token not valid before an hour from now',
    status: 401,
    code: 'unauthorized',
    send: async (g) => callerWith(bearer(await token({ tenantId: g.owner.tenantId, notBefore: nowSeconds() + 3600 }))).cancel(g.target),
  },
  {
    name: 'a token for another audience',
    status: 401,
    code: 'unauthorized',
    send: async (g) => callerWith(bearer(await token({ tenantId: g.owner.tenantId, audience: 'another-api' }))).cancel(g.target),
  },
  {
    name: 'a token from another issuer',
    status: 401,
    code: 'unauthorized',
    send: async (g) => callerWith(bearer(await token({ tenantId: g.owner.tenantId, issuer: 'https://evil.example' }))).cancel(g.target),
  },
  {
    name: 'a token signed with another secret',
    status: 401,
    code: 'unauthorized',
    send: async (g) =>
      callerWith(bearer(await token({ tenantId: g.owner.tenantId, secret: 'an-entirely-different-secret-of-32-bytes-or-more' }))).cancel(g.target),
  },
  {
    name: "a stranger's valid token with the payload swapped for the owner's tenant",
    status: 401,
    code: 'unauthorized',
    send: async (g) => {
      const [header, , signature] = (await token({ tenantId: g.stranger.tenantId })).split('.');
      return callerWith(bearer(`${header}.${base64url(claims(g.owner.tenantId))}.${signature}`)).cancel(g.target);
    },
  },
  {
    name: 'a token without tenant_id',
    status: 401,
    code: 'unauthorized',
    send: async (_g) => callerWith(bearer(await token({ omit: ['tenant_id'] }))).create(COLLECTIVE),
  },
  {
    name: 'a token whose tenant_id is not a uuid',
    status: 401,
    code: 'unauthorized',
    send: async (g) => callerWith(bearer(await token({ tenantId: `${g.owner.tenantId}-x` }))).cancel(g.target),
  },
  {
    name: 'a token whose tenant_id is a number',
    status: 401,
    code: 'unauthorized',
    send: async (g) => callerWith(bearer(await signedWith(claims(g.owner.tenantId, { tenant_id: 42 })))).create(COLLECTIVE),
  },
  {
    name: 'a token whose tenant_id is a list of uuids',
    status: 401,
    code: 'unauthorized',
    send: async (g) => callerWith(bearer(await signedWith(claims(g.owner.tenantId, { tenant_id: [g.owner.tenantId] })))).cancel(g.target),
  },
  {
    name: 'a token whose exp is a string',
    status: 401,
    code: 'unauthorized',
    send: async (g) => callerWith(bearer(await signedWith(claims(g.owner.tenantId, { exp: String(nowSeconds() + 600) })))).cancel(g.target),
  },
  {
    name: 'a token whose sub is 257 characters',
    status: 401,
    code: 'unauthorized',
    send: async (g) => callerWith(bearer(await token({ tenantId: g.owner.tenantId, sub: 's'.repeat(257) }))).cancel(g.target),
  },
  {
    name: 'a token without any scope claim',
    status: 403,
    code: 'forbidden',
    send: async (g) => {
      const { scope: _none, ...unscoped } = claims(g.owner.tenantId);
      return callerWith(bearer(await signedWith(unscoped))).cancel(g.target);
    },
  },
  {
    name: 'a token whose scope is an array',
    status: 403,
    code: 'forbidden',
    send: async (g) => callerWith(bearer(await signedWith(claims(g.owner.tenantId, { scope: ['onboarding:read', 'onboarding:write'] })))).cancel(g.target),
  },
  {
    name: 'a token with comma-separated scopes',
    status: 403,
    code: 'forbidden',
    send: async (g) => callerWith(bearer(await token({ tenantId: g.owner.tenantId, scope: 'onboarding:read,onboarding:write' }))).create(COLLECTIVE),
  },
  {
    name: 'a token with a scope that only starts with onboarding:write',
    status: 403,
    code: 'forbidden',
    send: async (g) => callerWith(bearer(await token({ tenantId: g.owner.tenantId, scope: 'onboarding:writer onboarding:write:all' }))).cancel(g.target),
  },
  {
    name: 'a read-only token that cancels',
    status: 403,
    code: 'forbidden',
    send: async (g) => callerWith(bearer(await token({ tenantId: g.owner.tenantId, scope: 'onboarding:read' }))).cancel(g.target),
  },
  { name: 'no Authorization header', status: 401, code: 'unauthorized', send: (g) => callerWith(undefined).cancel(g.target) },
  {
    name: 'Authorization: Basic',
    status: 401,
    code: 'unauthorized',
    send: (g) => callerWith(`Basic ${Buffer.from(`${g.owner.tenantId}:secret`).toString('base64')}`).cancel(g.target),
  },
  { name: 'Authorization: Bearer with no token', status: 401, code: 'unauthorized', send: (g) => callerWith('Bearer').cancel(g.target) },
  { name: 'Authorization: "Bearer " and only spaces', status: 401, code: 'unauthorized', send: (_g) => callerWith('Bearer    ').create(COLLECTIVE) },
  {
    name: 'two bearer tokens in one header',
    status: 401,
    code: 'unauthorized',
    send: async (g) => callerWith(`${g.owner.authorization} ${g.owner.authorization}`).cancel(g.target),
  },
  {
    name: 'two Authorization headers joined with a comma (as API Gateway merges them)',
    status: 401,
    code: 'unauthorized',
    send: async (g) => callerWith(`${bearer(await token({ tenantId: g.stranger.tenantId }))},${g.owner.authorization}`).cancel(g.target),
  },
  {
    name: 'a bearer token followed by extra words',
    status: 401,
    code: 'unauthorized',
    send: (g) => callerWith(`${g.owner.authorization} please`).cancel(g.target),
  },
  { name: 'an 8 KiB garbage token', status: 401, code: 'unauthorized', send: (g) => callerWith(bearer('A'.repeat(8 * 1024))).cancel(g.target) },
  {
    name: 'a valid token in the query string instead of the header',
    status: 401,
    code: 'unauthorized',
    send: (g) => callerWith(undefined).cancel(g.target, { query: { access_token: g.owner.authorization.slice('Bearer '.length) } }),
  },
];

const FOREIGN_TENANTS: HostileCase[] = [
  { name: "a stranger's get of the owner's request", status: 404, code: 'not_found', send: (g) => g.stranger.collectives.get(g.target) },
  { name: "a stranger's cancel of the owner's request", status: 404, code: 'not_found', send: (g) => g.stranger.collectives.cancel(g.target) },
  { name: "a stranger's history of the owner's request", status: 404, code: 'not_found', send: (g) => g.stranger.collectives.history(g.target) },
  {
    name: "a stranger's cancel of the owner's request id in upper case",
    status: 404,
    code: 'not_found',
    send: (g) => g.stranger.collectives.cancel(g.target.toUpperCase()),
  },
  { name: "a stranger's cancel of the owner's request through /entities", status: 404, code: 'not_found', send: (g) => g.stranger.entities.cancel(g.target) },
  { name: "the owner's collective request fetched under /entities", status: 404, code: 'not_found', send: (g) => g.owner.entities.get(g.target) },
  { name: "the owner's collective request canceled under /entities", status: 404, code: 'not_found', send: (g) => g.owner.entities.cancel(g.target) },
  { name: "the owner's collective request's history under /entities", status: 404, code: 'not_found', send: (g) => g.owner.entities.history(g.target) },
  { name: 'a cancel of an id that does not exist', status: 404, code: 'not_found', send: (g) => g.owner.collectives.cancel(randomUUID()) },
  {
    name: "a stranger's create with the owner's tenantId in the body",
    status: 403,
    code: 'forbidden',
    send: (g) => g.stranger.collectives.create({ ...COLLECTIVE, tenantId: g.owner.tenantId }),
  },
  {
    name: "a stranger's entity create with the owner's tenantId in the body",
    status: 403,
    code: 'forbidden',
    send: (g) => g.stranger.entities.create({ ...ENTITY, tenantId: g.owner.tenantId }),
  },
  {
    name: "a stranger's list with the owner's continuation token",
    status: 400,
    code: 'invalid_continuation_token',
    prepare: async (g) => {
      for (let i = 0; i < 2; i++) expect((await g.owner.collectives.create(COLLECTIVE)).status).toBe(201);
      const first = await g.owner.collectives.list({ pageSize: '1' });
      return { continuationToken: first.body.meta.continuationToken };
    },
    send: (g) => g.stranger.collectives.list({ pageSize: '1', continuationToken: g.prepared.continuationToken! }),
    check: (answer, g) => expect(JSON.stringify(answer.body)).not.toContain(g.target),
  },
];

const PATH_IDS: HostileCase[] = [
  {
    name: 'the id "../../etc/passwd" on get',
    status: 400,
    code: 'validation_failed',
    path: '/onboardingRequestId',
    send: (g) => g.owner.collectives.get('../../etc/passwd'),
  },
  {
    name: 'the id "%2e%2e%2f" on cancel',
    status: 400,
    code: 'validation_failed',
    path: '/onboardingRequestId',
    send: (g) => g.owner.collectives.cancel('%2e%2e%2f'),
  },
  { name: 'the id "a/b" on history', status: 400, code: 'validation_failed', path: '/onboardingRequestId', send: (g) => g.owner.collectives.history('a/b') },
  {
    name: 'the id "<uuid>/../x" on cancel',
    status: 400,
    code: 'validation_failed',
    path: '/onboardingRequestId',
    send: (g) => g.owner.collectives.cancel(`${g.target}/../x`),
  },
  {
    name: 'an id of 10,000 characters on get',
    status: 400,
    code: 'validation_failed',
    path: '/onboardingRequestId',
    send: (g) => g.owner.collectives.get('a'.repeat(10_000)),
  },
  {
    name: 'a real id followed by 5,000 zeros on cancel',
    status: 400,
    code: 'validation_failed',
    path: '/onboardingRequestId',
    send: (g) => g.owner.collectives.cancel(`${g.target}${'0'.repeat(5000)}`),
  },
  {
    name: 'a real id followed by a line feed on cancel',
    status: 400,
    code: 'validation_failed',
    path: '/onboardingRequestId',
    send: (g) => g.owner.collectives.cancel(`${g.target}\n`),
  },
  {
    name: 'a real id followed by a NUL byte on get',
    status: 400,
    code: 'validation_failed',
    path: '/onboardingRequestId',
    send: (g) => g.owner.collectives.get(`${g.target}\u0000`),
  },
  {
    name: 'a NoSQL operator object as the id on history',
    status: 400,
    code: 'validation_failed',
    path: '/onboardingRequestId',
    send: (g) => g.owner.collectives.history('{"$ne":null}'),
  },
  { name: 'an empty id on cancel', status: 400, code: 'validation_failed', path: '/onboardingRequestId', send: (g) => g.owner.collectives.cancel('') },
];

const HEADERS: HostileCase[] = [
  {
    name: 'CR LF in X-Correlation-Id on a refused create',
    status: 400,
    code: 'validation_failed',
    send: (g) => g.owner.collectives.create({ ...COLLECTIVE, status: 'Succeeded' }, { headers: { 'X-Correlation-Id': 'abc\r\nSet-Cookie: session=stolen' } }),
    check: (answer) => {
      expect(answer.headers['x-correlation-id']).not.toContain('Set-Cookie');
      expect(answer.body.correlationId).not.toContain('abc');
    },
  },
  {
    name: 'an X-Correlation-Id of 129 characters on a refused cancel',
    status: 404,
    code: 'not_found',
    send: (g) => g.owner.collectives.cancel(randomUUID(), { headers: { 'X-Correlation-Id': 'c'.repeat(129) } }),
    check: (answer) => expect(answer.headers['x-correlation-id']).not.toBe('c'.repeat(129)),
  },
  {
    name: 'CR LF in Idempotency-Key',
    status: 400,
    code: 'validation_failed',
    path: '/headers/Idempotency-Key',
    send: (g) => g.owner.collectives.create(COLLECTIVE, { headers: { 'Idempotency-Key': 'key\r\nX-Injected: 1' } }),
  },
  {
    name: 'an Idempotency-Key of 256 characters',
    status: 400,
    code: 'validation_failed',
    path: '/headers/Idempotency-Key',
    send: (g) => g.owner.collectives.create(COLLECTIVE, { headers: { 'Idempotency-Key': 'k'.repeat(256) } }),
  },
  {
    name: 'an Idempotency-Key of 10,000 characters',
    status: 400,
    code: 'validation_failed',
    path: '/headers/Idempotency-Key',
    send: (g) => g.owner.entities.create(ENTITY, { headers: { 'Idempotency-Key': 'k'.repeat(10_000) } }),
  },
  {
    name: 'an Idempotency-Key with a space',
    status: 400,
    code: 'validation_failed',
    path: '/headers/Idempotency-Key',
    send: (g) => g.owner.collectives.create(COLLECTIVE, { headers: { 'Idempotency-Key': 'my key' } }),
  },
  {
    name: 'a non-ASCII Idempotency-Key',
    status: 400,
    code: 'validation_failed',
    path: '/headers/Idempotency-Key',
    send: (g) => g.owner.collectives.create(COLLECTIVE, { headers: { 'Idempotency-Key': 'ключ' } }),
  },
  {
    name: 'an empty Idempotency-Key',
    status: 400,
    code: 'validation_failed',
    path: '/headers/Idempotency-Key',
    send: (g) => g.owner.collectives.create(COLLECTIVE, { headers: { 'Idempotency-Key': '' } }),
  },
];

const QUERIES: HostileCase[] = [
  {
    name: 'an unknown sort parameter on list',
    status: 400,
    code: 'validation_failed',
    path: '/sort',
    send: (g) => g.owner.collectives.list({ sort: 'created' }),
  },
  {
    name: 'a tenantId parameter on list',
    status: 400,
    code: 'validation_failed',
    path: '/tenantId',
    send: (g) => g.owner.collectives.list({ tenantId: g.stranger.tenantId }),
  },
  {
    name: 'an entity-only filter on the collective list',
    status: 400,
    code: 'validation_failed',
    path: '/manufacturer',
    send: (g) => g.owner.collectives.list({ manufacturer: 'Tesla' }),
  },
  { name: 'a lower-case status filter', status: 400, code: 'validation_failed', path: '/status', send: (g) => g.owner.collectives.list({ status: 'pending' }) },
  { name: 'a lower-case entity type filter', status: 400, code: 'validation_failed', path: '/type', send: (g) => g.owner.entities.list({ type: 'battery' }) },
  {
    name: 'a query parameter on get',
    status: 400,
    code: 'validation_failed',
    path: '/expand',
    send: (g) => g.owner.collectives.get(g.target, { query: { expand: 'data' } }),
  },
  {
    name: 'a query parameter on cancel',
    status: 400,
    code: 'validation_failed',
    path: '/force',
    send: (g) => g.owner.collectives.cancel(g.target, { query: { force: 'true' } }),
  },
  {
    name: 'a status filter on history',
    status: 400,
    code: 'validation_failed',
    path: '/status',
    send: (g) => g.owner.collectives.history(g.target, { status: 'Pending' }),
  },
  {
    name: 'a garbage continuationToken on history',
    status: 400,
    code: 'invalid_continuation_token',
    send: (g) => g.owner.collectives.history(g.target, { continuationToken: '..' }),
  },
];

const READ_ONLY_AND_UNKNOWN: HostileCase[] = [
  ...(
    [
      ['id', randomUUID()],
      ['status', 'Succeeded'],
      ['version', 99],
      ['data', { tenant: { id: randomUUID() } }],
      ['principalId', 'someone-else'],
      ['created', '2000-01-01T00:00:00.000Z'],
      ['updated', '2000-01-01T00:00:00.000Z'],
      ['errors', [{ code: 'X', message: 'y' }]],
      ['action', { type: 'Consent', redirectLink: 'https://evil.example' }],
      ['requestType', 'Entity'],
    ] as const
  ).map(
    ([field, value], index): HostileCase => ({
      name: `the read-only field "${field}" in a ${index % 2 === 0 ? 'collective' : 'entity'} body`,
      status: 400,
      code: 'validation_failed',
      path: `/${field}`,
      send: (g) => (index % 2 === 0 ? g.owner.collectives.create({ ...COLLECTIVE, [field]: value }) : g.owner.entities.create({ ...ENTITY, [field]: value })),
    }),
  ),
  {
    name: 'an unknown field "isAdmin"',
    status: 400,
    code: 'validation_failed',
    path: '/isAdmin',
    send: (g) => g.owner.collectives.create({ ...COLLECTIVE, isAdmin: true }),
  },
  {
    name: 'a field spelled in another case ("Name")',
    status: 400,
    code: 'validation_failed',
    path: '/Name',
    send: (g) => g.owner.collectives.create({ ...COLLECTIVE, Name: 'Other' }),
  },
  {
    name: 'a collective-only field in an entity body',
    status: 400,
    code: 'validation_failed',
    path: '/name',
    send: (g) => g.owner.entities.create({ ...ENTITY, name: 'Home' }),
  },
  {
    name: 'an entity-only field in a collective body',
    status: 400,
    code: 'validation_failed',
    path: '/vin',
    send: (g) => g.owner.collectives.create({ ...COLLECTIVE, vin: 'WVWZZZ1JZXW000001' }),
  },
];

const BODY_SHAPES: HostileCase[] = [
  { name: 'a create with no body at all', status: 400, code: 'validation_failed', send: (g) => g.owner.collectives.create(undefined, { headers: JSON_TYPE }) },
  { name: 'a create with an empty string body', status: 400, code: 'validation_failed', send: (g) => rawCreate(g.owner.entities, '') },
  { name: 'a create with an empty object', status: 400, code: 'validation_failed', path: '/name', send: (g) => g.owner.collectives.create({}) },
  { name: 'a top-level JSON array', status: 400, code: 'validation_failed', send: (g) => rawCreate(g.owner.collectives, JSON.stringify([COLLECTIVE])) },
  { name: 'a top-level JSON string', status: 400, code: 'validation_failed', send: (g) => rawCreate(g.owner.collectives, '"Home"') },
  { name: 'a top-level JSON number', status: 400, code: 'validation_failed', send: (g) => rawCreate(g.owner.collectives, '42') },
  { name: 'a top-level JSON null', status: 400, code: 'validation_failed', send: (g) => rawCreate(g.owner.collectives, 'null') },
  { name: 'a top-level JSON boolean', status: 400, code: 'validation_failed', send: (g) => rawCreate(g.owner.entities, 'true') },
  { name: 'a cancel with an empty JSON object body', status: 400, code: 'validation_failed', send: (g) => g.owner.collectives.cancel(g.target, { body: {} }) },
  {
    name: 'a cancel with a body that asks for another status',
    status: 400,
    code: 'validation_failed',
    send: (g) => g.owner.collectives.cancel(g.target, { body: { status: 'Succeeded' } }),
  },
  {
    name: 'a cancel with a JSON null body',
    status: 400,
    code: 'validation_failed',
    send: (g) => g.owner.collectives.cancel(g.target, { rawBody: 'null', headers: JSON_TYPE }),
  },
  {
    name: 'a cancel with a text/plain body',
    status: 415,
    code: 'unsupported_media_type',
    send: (g) => g.owner.collectives.cancel(g.target, { rawBody: 'please', headers: { 'content-type': 'text/plain' } }),
  },
  { name: 'a get with a JSON body', status: 400, code: 'validation_failed', send: (g) => g.owner.collectives.get(g.target, { body: { id: g.target } }) },
];

const WEBHOOKS: HostileCase[] = [
  {
    name: 'an unsigned webhook (no webhook headers)',
    status: 401,
    code: 'invalid_signature',
    send: (g) => deliver(g, { body: statusEvent({ id: g.target, status: 'Succeeded' }), omit: ['webhook-id', 'webhook-timestamp', 'webhook-signature'] }),
  },
  {
    name: 'a webhook without webhook-signature',
    status: 401,
    code: 'invalid_signature',
    send: (g) => deliver(g, { body: statusEvent({ id: g.target, status: 'Succeeded' }), omit: ['webhook-signature'] }),
  },
  {
    name: 'a webhook signed with a foreign key',
    status: 401,
    code: 'invalid_signature',
    send: (g) => deliver(g, { body: statusEvent({ id: g.target, status: 'Succeeded' }), key: Buffer.from('a-secret-this-service-never-had') }),
  },
  {
    name: 'a webhook whose body was changed after signing',
    status: 401,
    code: 'invalid_signature',
    send: (g) => {
      const messageId = `msg_${randomUUID()}`;
      const timestamp = nowSeconds();
      const signature = sign(WEBHOOK_KEY, messageId, timestamp, statusEvent({ id: g.target, status: 'Processing' }));
      return deliver(g, { messageId, timestamp, signature, body: statusEvent({ id: g.target, status: 'Succeeded' }) });
    },
  },
  {
    name: 'a webhook signed 10 minutes ago',
    status: 401,
    code: 'invalid_signature',
    send: (g) => deliver(g, { body: statusEvent({ id: g.target, status: 'Succeeded' }), timestamp: nowSeconds() - 600 }),
  },
  {
    name: 'a webhook timestamped 10 minutes in the future',
    status: 401,
    code: 'invalid_signature',
    send: (g) => deliver(g, { body: statusEvent({ id: g.target, status: 'Succeeded' }), timestamp: nowSeconds() + 600 }),
  },
  {
    name: 'a webhook timestamp that is not a number',
    status: 401,
    code: 'invalid_signature',
    send: (g) => deliver(g, { body: statusEvent({ id: g.target, status: 'Succeeded' }), timestamp: 'now' }),
  },
  {
    name: 'a webhook signature "v1," with nothing after it',
    status: 401,
    code: 'invalid_signature',
    send: (g) => deliver(g, { body: statusEvent({ id: g.target, status: 'Succeeded' }), signature: 'v1,' }),
  },
  {
    name: 'a webhook with 200 garbage signatures',
    status: 401,
    code: 'invalid_signature',
    send: (g) =>
      deliver(g, {
        body: statusEvent({ id: g.target, status: 'Succeeded' }),
        signature: Array.from({ length: 200 }, (_, i) => `v1,${Buffer.from(`sig-${i}`).toString('base64')}`).join(' '),
      }),
  },
  {
    name: 'a webhook with a bearer token instead of a signature',
    status: 401,
    code: 'invalid_signature',
    send: (g) =>
      deliver(g, {
        body: statusEvent({ id: g.target, status: 'Succeeded' }),
        omit: ['webhook-id', 'webhook-timestamp', 'webhook-signature'],
        headers: { authorization: g.owner.authorization },
      }),
  },
  {
    name: 'a signed webhook of 64 KiB + 1 byte',
    status: 413,
    code: 'payload_too_large',
    send: (g) => deliver(g, { body: jsonOfSize(64 * 1024 + 1, JSON.parse(statusEvent({ id: g.target, status: 'Succeeded' }))) }),
  },
  {
    name: 'an unsigned webhook of 1 MiB',
    status: 413,
    code: 'payload_too_large',
    send: (g) => deliver(g, { body: 'x'.repeat(1024 * 1024), omit: ['webhook-signature'] }),
  },
  {
    name: 'a signed base64 webhook that decodes to over 64 KiB',
    status: 413,
    code: 'payload_too_large',
    send: (g) => deliver(g, { body: jsonOfSize(70 * 1024, JSON.parse(statusEvent({ id: g.target, status: 'Succeeded' }))), base64: true }),
  },
  { name: 'a signed webhook body that is not JSON', status: 400, code: 'malformed_json', send: (g) => deliver(g, { body: `status=Succeeded&id=${g.target}` }) },
  {
    name: 'a signed webhook body truncated mid-JSON',
    status: 400,
    code: 'malformed_json',
    send: (g) => deliver(g, { body: statusEvent({ id: g.target, status: 'Succeeded' }).slice(0, 40) }),
  },
  {
    name: 'a signed webhook body that is a JSON array',
    status: 400,
    code: 'validation_failed',
    send: (g) => deliver(g, { body: `[${statusEvent({ id: g.target, status: 'Succeeded' })}]` }),
  },
  {
    name: 'a signed webhook of another event type',
    status: 400,
    code: 'validation_failed',
    send: (g) => deliver(g, { body: statusEvent({ id: g.target, status: 'Succeeded' }, { type: 'onboarding.deleted' }) }),
  },
  {
    name: 'a signed webhook with status Pending',
    status: 400,
    code: 'validation_failed',
    path: '/data/status',
    send: (g) => deliver(g, { body: statusEvent({ id: g.target, status: 'Pending' }) }),
  },
  {
    name: 'a signed webhook with a lower-case status',
    status: 400,
    code: 'validation_failed',
    path: '/data/status',
    send: (g) => deliver(g, { body: statusEvent({ id: g.target, status: 'succeeded' }) }),
  },
  {
    name: 'a signed webhook whose data.id is a path',
    status: 400,
    code: 'validation_failed',
    path: '/data/id',
    send: (g) => deliver(g, { body: statusEvent({ id: '../../etc/passwd', status: 'Succeeded' }) }),
  },
  {
    name: 'a signed webhook whose timestamp is not ISO-8601',
    status: 400,
    code: 'validation_failed',
    path: '/timestamp',
    send: (g) => deliver(g, { body: statusEvent({ id: g.target, status: 'Succeeded' }, { timestamp: 'yesterday' }) }),
  },
  {
    name: 'a signed Failed webhook with 51 errors',
    status: 400,
    code: 'validation_failed',
    send: (g) =>
      deliver(g, { body: statusEvent({ id: g.target, status: 'Failed', errors: Array.from({ length: 51 }, (_, i) => ({ code: `E${i}`, message: 'x' })) }) }),
  },
  {
    name: 'a signed webhook for a request id that does not exist',
    status: 404,
    code: 'not_found',
    send: (g) => deliver(g, { body: statusEvent({ id: randomUUID(), status: 'Succeeded' }) }),
  },
  {
    name: 'a signed webhook with a webhook-id of 10,000 characters',
    status: 400,
    code: 'validation_failed',
    path: '/headers/webhook-id',
    send: (g) => deliver(g, { messageId: 'm'.repeat(10_000), body: statusEvent({ id: g.target, status: 'Succeeded' }) }),
  },
  {
    name: 'a signed webhook with CR LF in webhook-id',
    status: 400,
    code: 'validation_failed',
    path: '/headers/webhook-id',
    send: (g) => deliver(g, { messageId: 'msg\r\nX-Injected: 1', body: statusEvent({ id: g.target, status: 'Succeeded' }) }),
  },
];

const CATALOGUE: Record<string, HostileCase[]> = {
  'content types': CONTENT_TYPES,
  'malformed JSON': MALFORMED_JSON,
  'huge bodies': HUGE_BODIES,
  'prototype keys': PROTOTYPE_KEYS,
  'deep nesting': DEEP_NESTING,
  'invalid Unicode': INVALID_UNICODE,
  'control characters': CONTROL_CHARACTERS,
  'overlong strings': OVERLONG,
  'wrong types': WRONG_TYPES,
  'page sizes': PAGE_SIZES,
  'returnUrl schemes': RETURN_URLS,
  'bad and tampered tokens': TOKENS,
  'foreign tenants and types': FOREIGN_TENANTS,
  'path traversal in ids': PATH_IDS,
  'header injection': HEADERS,
  'unknown query parameters': QUERIES,
  'read-only and unknown fields': READ_ONLY_AND_UNKNOWN,
  'body shapes': BODY_SHAPES,
  webhooks: WEBHOOKS,
};

describe('the hostile-input catalogue', () => {
  it('holds at least 60 cases, each with its own name', () => {
    const names = Object.values(CATALOGUE)
      .flat()
      .map((hostile) => hostile.name);
    expect(names.length).toBeGreaterThanOrEqual(60);
    expect(new Set(names).size).toBe(names.length);
  });
});

/** Titles are built here: vitest shortens `$name` interpolations, and each case must be named in full. */
const titled = (cases: HostileCase[]) =>
  cases.map((hostile) => [`given ${hostile.name}, then it is a ${hostile.status} ${hostile.code} problem and nothing is written`, hostile] as const);

describe.concurrent.each(Object.entries(CATALOGUE))('hostile input: %s', (_category, cases) => {
  it.each(titled(cases))('%s', async (_title, hostile) => {
    const g = await given();
    Object.assign(g.prepared, await hostile.prepare?.(g));
    const before = hostile.prepare ? await snapshot(g) : g.baseline;

    const answer = await hostile.send(g);

    expectProblem(answer, hostile.status, hostile.code);
    expect(answer.body.correlationId).toMatch(CORRELATION_ID);
    expect(answer.headers['x-correlation-id']).toBe(answer.body.correlationId);
    expect(JSON.stringify(answer).length, 'the problem is small: it does not reflect the input').toBeLessThan(4096);
    if (hostile.path !== undefined) {
      expect(answer.body.errors).toEqual(expect.arrayContaining([expect.objectContaining({ path: hostile.path })]));
    }
    if (hostile.code === 'unauthorized') expect(answer.headers['www-authenticate']).toMatch(/^Bearer\b/);
    hostile.check?.(answer, g);
    expect(Object.prototype).not.toHaveProperty('polluted');
    expect(await snapshot(g)).toEqual(before);
    expect(before.strangerCollectives.length + before.strangerEntities.length).toBe(0);
    if (g.messageId) expect(await store.findWebhookMessage(g.target, g.messageId), 'the message id was remembered').toBeUndefined();
  });
});

describe('hostile input that is accepted must still be harmless', () => {
  it('given a malformed X-Correlation-Id on a successful get, then it is not echoed and a generated id is used', async () => {
    const g = await given();

    const answer = await g.owner.collectives.get(g.target, { headers: { 'X-Correlation-Id': 'abc\r\nSet-Cookie: session=stolen' } });

    expect(answer.status).toBe(200);
    expect(answer.headers['x-correlation-id']).toMatch(CORRELATION_ID);
    expect(answer.headers['x-correlation-id']).not.toContain('abc');
  });

  it('given "__proto__" and "constructor" keys inside properties (any JSON), then they are kept as plain data and pollute nothing', async () => {
    const { authorization } = await tenant();
    const api = onboardingApi('collectives', authorization);

    const created = await rawCreate(
      api,
      '{"name":"Home","type":"Household","properties":{"__proto__":{"polluted":true},"constructor":{"prototype":{"polluted":true}}}}',
    );

    expect(created.status).toBe(201);
    const stored = (await api.get(created.body.id)).body.data.collective.properties;
    expect(Object.keys(stored)).toEqual(['__proto__', 'constructor']);
    expect(Object.getOwnPropertyDescriptor(stored, '__proto__')?.value).toEqual({ polluted: true });
    expect(Object.prototype).not.toHaveProperty('polluted');
  });

  it.each([
    ['the last of two "type" keys is invalid', '{"name":"Home","type":"Household","type":"Castle"}'],
    ['the last of two "name" keys is valid, the first overlong', `{"name":"${'n'.repeat(201)}","name":"Home","type":"Household"}`],
    ['a read-only key appears twice', '{"name":"Home","type":"Household","status":"Pending","status":"Succeeded"}'],
  ])('given duplicate JSON keys (%s), then the answer is a 201 or a 4xx problem, never a 500, and at most one request exists', async (_case, text) => {
    const { authorization } = await tenant();
    const api = onboardingApi('collectives', authorization);

    const answer = await rawCreate(api, text);

    expect([201, 400]).toContain(answer.status);
    expectNoLeak(answer);
    const listed = (await api.list()).body.data;
    if (answer.status === 201) {
      expect(listed.map((request: { id: string }) => request.id)).toEqual([answer.body.id]);
      expect(answer.body.data.collective).toMatchObject({ name: 'Home', type: 'Household' });
    } else {
      expect(answer.headers['content-type']).toMatch(/^application\/problem\+json\b/);
      expect(listed).toEqual([]);
    }
  });
});
