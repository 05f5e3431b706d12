import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { expect } from 'vitest';
import document from '../../lib/http/openapi.json' with { type: 'json' };
import type { Route } from '../../lib/http/route.ts';

/**
 * Every answer a test sees from a wrapped handler is checked against the OpenAPI document the service
 * serves (lib/http/openapi.json): its status must be documented for the route, its media type too, and
 * its body must match the schema. So the document cannot promise what the code does not do.
 */
const ajv = new Ajv2020({ strict: false, allErrors: true });
(addFormats as unknown as (ajv: Ajv2020) => void)(ajv);
ajv.addSchema(document, 'openapi.json');

const pointer = (...parts: string[]) => parts.map((part) => part.replaceAll('~', '~0').replaceAll('/', '~1')).join('/');
const validators = new Map<string, ReturnType<typeof ajv.compile>>();

export interface Answer {
  status: number;
  headers: Record<string, string>;
  body: unknown;
}

export function expectDocumented(route: Route, answer: Answer): void {
  const operation = (document.paths as Record<string, Record<string, { responses: Record<string, { content?: Record<string, unknown> }> }>>)[route.http.path]?.[
    route.http.method.toLowerCase()
  ];
  const where = `${route.http.method} ${route.http.path} → ${answer.status}`;
  expect(operation, `${route.http.method} ${route.http.path} is not in the OpenAPI document`).toBeDefined();
  const declared = operation!.responses[String(answer.status)] as { $ref?: string; content?: Record<string, unknown> } | undefined;
  expect(declared, `${where} is not documented`).toBeDefined();
  // A shared response (components.responses) is followed to where it is declared.
  const location = declared!.$ref
    ? declared!.$ref.slice(2).split('/')
    : ['paths', route.http.path, route.http.method.toLowerCase(), 'responses', String(answer.status)];
  const response = declared!.$ref ? location.reduce<any>((node, part) => node[part], document) : declared;
  const mediaType = (answer.headers['content-type'] ?? '').split(';')[0]!.trim();
  if (!response!.content) {
    // Documented without content (a 204): nothing may come.
    expect({ mediaType, body: answer.body }, `${where}: documented without a body`).toEqual({ mediaType: '', body: undefined });
    return;
  }
  expect(Object.keys(response!.content ?? {}), `${where}: media type ${mediaType} is not documented`).toContain(mediaType);
  const key = `${route.http.path}|${route.http.method}|${answer.status}|${mediaType}`;
  let validate = validators.get(key);
  if (!validate) {
    const [first, ...rest] = location;
    validate = ajv.compile({ $ref: `openapi.json#/${declared!.$ref ? location.join('/') : pointer(first!, ...rest)}/content/${pointer(mediaType)}/schema` });
    validators.set(key, validate);
  }
  const valid = validate(answer.body);
  expect(valid, `${where}: the body does not match the document: ${ajv.errorsText(validate.errors)}\n${JSON.stringify(answer.body).slice(0, 500)}`).toBe(true);
}
