import { AllocationInput } from '../../functions/domain/allocation/schemas.js';

/**
 * An AllocationInput for a small test portfolio ('p', USD, UTC) with the given budget, channels, history
 * and any other portfolio fields: the boilerplate every allocator test would otherwise repeat.
 */
export const portfolioInput = ({
  budget,
  channels,
  history,
  asOf,
  portfolio = {},
}: {
  budget: Record<string, unknown>;
  channels: Record<string, unknown>[];
  history: unknown[];
  asOf: string;
  portfolio?: Record<string, unknown>;
}): AllocationInput =>
  AllocationInput.parse({
    portfolio: { id: 'p', name: 'p', currency: 'USD', timezone: 'UTC', budget, channels, ...portfolio },
    history,
    asOf,
  });
