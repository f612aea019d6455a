import { httpHandler, json } from '../adapters/http.js';
import { openApiDocument } from '../adapters/openapi.js';

/** Generated once per cold start: it depends only on the code. */
const document = openApiDocument();

/** `GET /openapi.json`: the API's OpenAPI 3.1 description. */
export const handler = httpHandler(async () => json(200, document, { 'cache-control': 'public, max-age=300' }));
