import { randomBytes } from 'node:crypto';
import { allocate } from '../domain/allocation/allocate.js';
import { assertFeasible, feasibilityIssues } from '../domain/allocation/feasibility.js';
import type { AllocationInput } from '../domain/allocation/schemas.js';
import type { Portfolio } from '../domain/config.js';
import { snapshotEvent } from '../domain/events.js';
import { inputHashOf, type Snapshot, snapshotId, type Trigger, watermarkOf } from '../domain/snapshots.js';
import { currentAllocationInput } from './currentAllocationInput.js';
import type { Clock, EventPublisher, MetricsReader, SnapshotStore, StopLossSource } from './ports.js';

/** How long a run may hold the right to publish a snapshot's event before a retry may take it over. */
const PUBLICATION_LEASE_MS = 60_000;

/** A portfolio without stop-loss alerts (benchmarks and simulations). */
export const noStopLosses: StopLossSource = { openStopLosses: async () => [] };

export interface ReallocatorDependencies {
  readonly metrics: MetricsReader;
  readonly allocations: SnapshotStore;
  readonly stopLosses: StopLossSource;
  readonly events: EventPublisher;
  readonly clock: Clock;
  readonly configHash: string;
}

/** What a run did: made a snapshot, or found the one its schedule window already made. */
export interface RunResult {
  readonly snapshot: Snapshot;
  readonly created: boolean;
}

/** Runs reallocations; what the handlers depend on. */
export interface ReallocationRunner {
  run(portfolio: Portfolio, trigger: Trigger): Promise<RunResult>;
}

/**
 * One reallocation of one portfolio: read → allocate → write the snapshot → advance `LATEST` → publish.
 * Each step after the write is safe to repeat, so a run that dies after the write (a Lambda timeout) is
 * completed by its retry: the window marker finds the snapshot, `LATEST` only moves forward, and the event
 * is published unless the bus already accepted it.
 */
export class Reallocator implements ReallocationRunner {
  constructor(private readonly deps: ReallocatorDependencies) {}

  async run(portfolio: Portfolio, trigger: Trigger): Promise<RunResult> {
    const { allocations } = this.deps;
    await this.publishLatestLeftUnpublished(portfolio.id);
    if (trigger.kind === 'schedule') {
      const existing = await allocations.windowSnapshotId(portfolio.id, trigger.window);
      if (existing) return { snapshot: await this.complete(portfolio.id, existing), created: false };
    }
    const { snapshot, input } = await this.decide(portfolio, trigger);
    // The input first, so every snapshot can be replayed (GET …/allocations/{id}/input); a reused snapshot's
    // input is the one its source already kept (equal hashes, equal inputs).
    if (snapshot.computation === 'solved') await allocations.saveInput(portfolio.id, snapshot.snapshotId, input);
    const written = await allocations.create(snapshot);
    if (!written.created) return { snapshot: await this.complete(portfolio.id, written.existing), created: false };
    await this.finish(snapshot);
    return { snapshot, created: true };
  }

  /** Builds the snapshot: solved, or reused from `LATEST` when the allocator's input has not changed. */
  private async decide(portfolio: Portfolio, trigger: Trigger): Promise<{ snapshot: Snapshot; input: AllocationInput }> {
    const { clock, configHash } = this.deps;
    const now = clock();
    // Only an on-demand run with a stated reason places the reserve; the schedule never does.
    const release = trigger.kind === 'on-demand' && trigger.releaseReserve !== undefined;
    const { input, latest } = await currentAllocationInput(this.deps, portfolio, now, release);
    // The hash covers the config's, so a plan is never reused across a config change.
    const inputHash = inputHashOf(input, configHash);
    // Solved or reused, nothing is written that breaks today's config: a plan is reused only when it is feasible.
    const reuse = latest !== null && latest.inputHash === inputHash && feasibilityIssues(latest.allocation, input).length === 0;
    const allocation = reuse ? latest.allocation : assertFeasible(allocate(input, { timer: () => performance.now() }), input);
    const snapshot: Snapshot = {
      snapshotId: snapshotId(now, randomBytes(3).toString('hex')),
      portfolioId: portfolio.id,
      createdAt: now.toISOString(),
      configHash,
      watermark: watermarkOf(input),
      inputHash,
      computation: reuse ? 'reused' : 'solved',
      // The solved snapshot whose decision and input are reused, however many reuses ago: only a solved one
      // keeps its input, so a replay of a reuse of a reuse finds it in one read.
      ...(reuse ? { reusedFrom: latest.reusedFrom ?? latest.snapshotId } : {}),
      trigger,
      allocation,
    };
    return { snapshot, input };
  }

  /**
   * `LATEST` moves before the event goes out, so an on-demand run that died between the two (no queue retries
   * it) leaves a plan in force that was never published. The next run publishes it first: every reader that
   * asks for published plans (the day's starting plan, the snapshot list) then sees the plan that was in force.
   */
  private async publishLatestLeftUnpublished(portfolioId: string): Promise<void> {
    const { allocations } = this.deps;
    // Two small reads on every run; the snapshot itself (parts and all) only in the rare case it is needed.
    const id = await allocations.latestSnapshotId(portfolioId);
    if (id === null || (await allocations.isPublished(portfolioId, id))) return;
    const snapshot = await allocations.get(portfolioId, id);
    if (snapshot) await this.finish(snapshot);
  }

  /** Finishes a snapshot another attempt wrote: the steps after the write are idempotent. */
  private async complete(portfolioId: string, id: string): Promise<Snapshot> {
    const snapshot = await this.deps.allocations.get(portfolioId, id);
    if (!snapshot) throw new Error(`window marker points at missing snapshot ${portfolioId}/${id}`);
    await this.finish(snapshot);
    return snapshot;
  }

  private async finish(snapshot: Snapshot): Promise<void> {
    const { allocations, events, clock } = this.deps;
    await allocations.advanceLatest(snapshot.portfolioId, snapshot.snapshotId);
    if (await allocations.isPublished(snapshot.portfolioId, snapshot.snapshotId)) return;
    // Two deliveries of one window can finish the same snapshot at once: only the one holding the claim
    // publishes, so the event goes out once.
    const now = clock();
    const until = new Date(now.getTime() + PUBLICATION_LEASE_MS).toISOString();
    if (!(await allocations.claimPublication(snapshot.portfolioId, snapshot.snapshotId, now.toISOString(), until))) return;
    await events.publish([snapshotEvent(snapshot, clock().toISOString())]);
    await allocations.markPublished(snapshot.portfolioId, snapshot.snapshotId, clock().toISOString());
  }
}
