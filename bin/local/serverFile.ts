import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

/**
 * Where `npm start` records the URL it listens on, so `npm run sign` in another terminal targets that server
 * whatever PORT that terminal has. `LOCAL_SERVER_FILE` moves it (tests do).
 */
const serverFile = () => process.env.LOCAL_SERVER_FILE ?? '.data/server.json';

/** Records the running server's URL and process, for the other local commands. */
export const recordServer = (url: string): void => {
  const file = serverFile();
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, JSON.stringify({ url, pid: process.pid }));
};

/** Forgets the record, if it is this process's. */
export const forgetServer = (): void => {
  if (recordedServer()?.pid === process.pid) rmSync(serverFile(), { force: true });
};

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
};

/** The URL of the `npm start` that is running now, if one recorded itself and is still alive. */
export const recordedServer = (): { url: string; pid: number } | undefined => {
  try {
    const record = JSON.parse(readFileSync(serverFile(), 'utf8')) as { url?: unknown; pid?: unknown };
    if (typeof record.url !== 'string' || typeof record.pid !== 'number' || !alive(record.pid)) return undefined;
    return { url: record.url, pid: record.pid };
  } catch {
    return undefined;
  }
};
