import { recordedServer } from './local/serverFile.js';

/**
 * `npm run allocate -- --snapshot ID`: replays a snapshot. The input it was decided from is read from the
 * running local server (`GET /portfolios/{id}/allocations/{snapshotId}/input`), solved again here exactly as
 * `--input` solves a file, and its channel totals are compared with the snapshot's.
 */

/** The server `npm start` runs: PORT when this terminal sets it, else the URL it recorded, else its default port. */
export const localServerUrl = (): string =>
  process.env.PORT ? `http://localhost:${process.env.PORT}` : (recordedServer()?.url ?? 'http://localhost:3000');

/** Why a replay could not start: exit 1 when no server answered, 2 when the server refused. */
export class ReplayError extends Error {
  constructor(
    message: string,
    readonly exitCode: 1 | 2,
  ) {
    super(message);
  }
}

export interface StoredSnapshot {
  readonly portfolioId: string;
  /** The AllocationInput as the server answered it, byte for byte. */
  readonly inputText: string;
  readonly totals: readonly { readonly channelId: string; readonly total: number }[];
}

const get = async (url: string, token: string): Promise<Response> => {
  try {
    return await fetch(url, { headers: { authorization: `Bearer ${token}`, accept: 'application/json' } });
  } catch (error) {
    const cause = (error as Error).cause ?? (error as Error).message;
    throw new ReplayError(`no server answered at ${new URL(url).origin} (${String(cause)}); start one with npm start`, 1);
  }
};

/**
 * The snapshot's stored input and its channel totals, from the first of `portfolioIds` that has it (a
 * snapshot id names one portfolio's snapshot; without `--portfolio` each portfolio of the config is asked).
 */
export const fetchSnapshot = async (
  baseUrl: string,
  token: string,
  portfolioIds: readonly string[],
  snapshotId: string,
): Promise<StoredSnapshot> => {
  const root = baseUrl.replace(/\/+$/, '');
  const unknown: string[] = [];
  for (const portfolioId of portfolioIds) {
    const path = `${root}/portfolios/${encodeURIComponent(portfolioId)}/allocations/${encodeURIComponent(snapshotId)}`;
    const snapshot = await get(path, token);
    if (snapshot.status === 404) {
      const { error } = (await snapshot.json().catch(() => ({}))) as { error?: { code?: string } };
      if (error?.code === 'unknown-portfolio') unknown.push(portfolioId);
      continue;
    }
    if (!snapshot.ok) throw new ReplayError(`${snapshot.status}: ${await snapshot.text()}`, snapshot.status >= 500 ? 1 : 2);
    const { allocation } = (await snapshot.json()) as { allocation: { channels: { channelId: string; total: number }[] } };
    const input = await get(`${path}/input`, token);
    if (!input.ok) throw new ReplayError(`${input.status}: ${await input.text()}`, input.status >= 500 ? 1 : 2);
    return {
      portfolioId,
      inputText: await input.text(),
      totals: allocation.channels.map((c) => ({ channelId: c.channelId, total: c.total })),
    };
  }
  const named = (ids: readonly string[]) => ids.map((id) => `"${id}"`).join(', ');
  if (unknown.length === portfolioIds.length) throw new ReplayError(`the server at ${root} has no portfolio ${named(unknown)}`, 2);
  throw new ReplayError(`no snapshot "${snapshotId}" in portfolio ${named(portfolioIds.filter((id) => !unknown.includes(id)))}`, 2);
};

/** Where a replay's channel totals differ from the snapshot's, one line each; empty when they are equal. */
export const totalsDiffer = (
  stored: readonly { readonly channelId: string; readonly total: number }[],
  replayed: readonly { readonly channelId: string; readonly total: number }[],
): string[] => {
  const again = new Map(replayed.map((c) => [c.channelId, c.total]));
  const lines = stored
    .filter((c) => again.get(c.channelId) !== c.total)
    .map((c) => `${c.channelId}: ${c.total} in the snapshot, ${again.get(c.channelId) ?? 'absent'} replayed`);
  const known = new Set(stored.map((c) => c.channelId));
  for (const c of replayed) if (!known.has(c.channelId)) lines.push(`${c.channelId}: absent from the snapshot, ${c.total} replayed`);
  return lines;
};
