import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { bundledConfigBytes, SMALLEST_CODE_BYTES } from '../../../functions/adapters/configFile.js';
import { FUNCTIONS } from '../../../lib/api.js';
import { bundleFunction } from '../../../lib/bundler.js';

/** Inside the repository, so bundles resolve packages from node_modules as the stack's bundling does. */
const OUT = '.bench/test-config-bundle';
const CONFIG = 'config/budget.config.json';
afterAll(() => rmSync(OUT, { recursive: true, force: true }));

describe("the config's share of a function bundle", () => {
  it('leaves the config no more room than the code of the smallest function that bundles it leaves', () => {
    const code = Object.values(FUNCTIONS).flatMap((definition) => {
      const outfile = `${OUT}/${definition.id}.cjs`;
      const output = bundleFunction(definition.entry, outfile).outputs[outfile]!;
      const config = output.inputs[CONFIG];
      return config ? [{ id: definition.id, bytes: output.bytes - config.bytesInOutput }] : [];
    });
    expect(code.length).toBeGreaterThan(0);
    const smallest = Math.min(...code.map((c) => c.bytes));
    // Were the code to shrink below the figure, config:check would refuse configs that fit: lower it then.
    expect(smallest).toBeGreaterThanOrEqual(SMALLEST_CODE_BYTES);
  }, 120_000);

  it('estimates a big config at its minified JSON, a little above what esbuild writes for it', () => {
    const shipped = JSON.parse(readFileSync(CONFIG, 'utf8'));
    const big = {
      ...shipped,
      portfolios: Array.from({ length: 200 }, (_, p) => ({
        ...shipped.portfolios[0],
        id: `p${p}`,
        groups: [],
        channels: Array.from({ length: 20 }, (_, c) => ({
          id: `c${c}`,
          platform: 'generic',
          base: 10,
          max: 5000,
          sourceIds: { generic: [`${p}-${c}`] },
        })),
      })),
    };
    mkdirSync(OUT, { recursive: true });
    writeFileSync(`${OUT}/big.json`, JSON.stringify(big, null, 2));
    writeFileSync(`${OUT}/entry.ts`, "import raw from './big.json' with { type: 'json' };\nexport const config = raw;\n");
    const outfile = `${OUT}/entry.cjs`;
    const bundled = bundleFunction(`${OUT}/entry.ts`, outfile).outputs[outfile]!.inputs[`${OUT}/big.json`]!.bytesInOutput;
    const estimate = bundledConfigBytes(big);
    expect(estimate).toBeGreaterThanOrEqual(bundled);
    expect(estimate).toBeLessThanOrEqual(1.25 * bundled);
  }, 60_000);
});
