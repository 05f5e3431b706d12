import { writeFileSync } from 'node:fs';
import { ROUTES } from '../lib/app/function-table.ts';
import { buildOpenApiDocument } from '../lib/http/openapi.ts';
import { ALL_KINDS } from '../lib/kinds/index.ts';

/**
 * `npm run openapi`: writes lib/http/openapi.json from the route table and the kinds, the document the OpenAPI function
 * serves. test/http/route-table.test.ts fails when the file and the table disagree.
 */
export const OPENAPI_FILE = new URL('../lib/http/openapi.json', import.meta.url);

export function renderOpenApiDocument(): string {
  return `${JSON.stringify(buildOpenApiDocument(ROUTES, ALL_KINDS), null, 2)}\n`;
}

if (import.meta.main) {
  writeFileSync(OPENAPI_FILE, renderOpenApiDocument());
  console.log('lib/http/openapi.json written from the route table');
}
