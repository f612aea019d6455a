import { allocate } from '../functions/domain/allocation/allocate.js';
import { portfolioInput } from './allocator.js';
const input = portfolioInput(100);
for (let i = 0; i < 3; i++) allocate(input);
const t = performance.now();
for (let i = 0; i < 5; i++) allocate(input);
console.log((performance.now() - t) / 5);
