import { writeFileSync } from 'node:fs';
import { ROUTES } from '../lib/app/function-table.ts';
import { buildOpenApiDocument } from '../lib/http/openapi.ts';
import { ALL_KINDS } from '../lib/kinds/index.ts';

/**
 * `npm run openapi`: writes the OpenAPI document from the route table and the kinds, twice: as
 * lib/http/openapi.json for people and tools (the linters, the test client), and as the text the OpenAPI
 * function serves (lib/http/openapi-document.ts; a string costs a cold start a fraction of what the same
 * document costs as an object literal). test/http/route-table.test.ts fails when either disagrees with the table.
 */
export const OPENAPI_FILE = new URL('../lib/http/openapi.json', import.meta.url);
export const SERVED_FILE = new URL('../lib/http/openapi-document.ts', import.meta.url);

export function renderOpenApiDocument(): string {
  return `${JSON.stringify(buildOpenApiDocument(ROUTES, ALL_KINDS), null, 2)}\n`;
}

export function renderServedDocument(document = renderOpenApiDocument()): string {
  return [
    '// Written by `npm run openapi` from the route table: lib/http/openapi.json as the text the OpenAPI function serves.',
    `export const OPENAPI_DOCUMENT = ${JSON.stringify(JSON.stringify(JSON.parse(document)))};`,
    '',
  ].join('\n');
}

if (import.meta.main) {
  const document = renderOpenApiDocument();
  writeFileSync(OPENAPI_FILE, document);
  writeFileSync(SERVED_FILE, renderServedDocument(document));
  console.log('lib/http/openapi.json and lib/http/openapi-document.ts written from the route table');
}
