import raw from '../../config/budget.config.json' with { type: 'json' };
import { type LoadedConfig, parseConfig } from '../adapters/loadedConfig.js';

/**
 * The config a deploy applies. esbuild bundles the JSON into each function, so a deploy carries its own
 * validated config (no 4 KB environment variable); `cdk synth` has already rejected an invalid one, with
 * the file checks of `configFile.ts`, which a function has no use for and does not bundle. Validated once
 * per cold start.
 */
export const deployedConfig: LoadedConfig = parseConfig(raw, 'config/budget.config.json');
