import { config } from 'zod/mini';
import en from 'zod/v4/locales/en.js';

/**
 * zod, as every schema of the system uses it: `import * as z from './schema.js'`. It is the tree-shakable
 * `zod/mini` (a bundle keeps only the schema kinds and checks it uses, about 20 KB where the chainable
 * classic API costs about 190 KB), set to answer with the English messages the API documents.
 */
config(en());

export * from 'zod/mini';
