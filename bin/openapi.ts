import { writeFileSync } from 'node:fs';
import { openApiDocument } from '../functions/adapters/openapi.js';
import { parseCli } from './cli.js';

/** `npm run openapi`: writes the OpenAPI 3.1 document the API serves at `/openapi.json` to docs/openapi.json. */
parseCli(
  'npm run openapi\n\nWrites the OpenAPI 3.1 document (generated from the route table and the zod schemas) to docs/openapi.json.',
  {},
);
writeFileSync('docs/openapi.json', `${JSON.stringify(openApiDocument(), null, 2)}\n`);
console.log('wrote docs/openapi.json');
