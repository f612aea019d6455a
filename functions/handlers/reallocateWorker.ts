import type { LoadedConfig } from '../adapters/configFile.js';
import { portfolioJobWorker } from '../adapters/jobWorker.js';
import { logger, recordSnapshot } from '../adapters/observability.js';
import type { ReallocationRunner } from '../application/reallocatePortfolio.js';
import { deployedConfig } from '../wiring/config.js';
import { deployedReallocator } from '../wiring/reallocator.js';

export interface WorkerDependencies {
  readonly config: LoadedConfig;
  readonly reallocator: ReallocationRunner;
}

/** The reallocate queue's consumer: the scheduled run of one portfolio for one window per message. */
export const createWorkerHandler = ({ config, reallocator }: WorkerDependencies) =>
  portfolioJobWorker(config, 'reallocate', async (portfolio, { window }) => {
    const { snapshot, created } = await reallocator.run(portfolio, { kind: 'schedule', window });
    if (created) recordSnapshot(snapshot);
    logger.info(created ? 'reallocated on schedule' : 'schedule window already done', {
      portfolioId: portfolio.id,
      window,
      snapshotId: snapshot.snapshotId,
    });
  });

export const handler = createWorkerHandler({ config: deployedConfig, reallocator: deployedReallocator() });
