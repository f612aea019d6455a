import type { Portfolio } from '../../functions/domain/config.js';
import { addDays, dateInZone } from '../../functions/domain/dates.js';
import { demoFeed } from '../../functions/domain/demoFeed.js';
import { localSecrets } from '../../functions/adapters/webhookSecrets.js';
import { getJson, postDelivery } from './webhookClient.js';

/** True when the portfolio has no stored metrics in the last 400 days. */
export const hasNoMetrics = async (url: string, token: string, portfolio: Portfolio, now: Date): Promise<boolean> => {
  const today = dateInZone(now, portfolio.timezone);
  const answer = await getJson(url, `/portfolios/${portfolio.id}/metrics?from=${addDays(today, -399)}&to=${today}`, token);
  if (answer.status !== 200) throw new Error(`could not read demo metrics: ${JSON.stringify(answer.body)}`);
  return (answer.body as { metrics: unknown[] }).metrics.length === 0;
};

/**
 * Replays the demo feed through the signed webhook path, one delivery per day as a daily poller would:
 * 60 days × every channel, ending yesterday in the portfolio's time zone. Returns the records accepted.
 */
export const replayDemoFeed = async (url: string, portfolio: Portfolio, now: Date, days = 60): Promise<number> => {
  const yesterday = addDays(dateInZone(now, portfolio.timezone), -1);
  const records = demoFeed(portfolio, yesterday, days);
  const [secret] = await localSecrets('generic');
  let accepted = 0;
  for (let d = days - 1; d >= 0; d -= 1) {
    const date = addDays(yesterday, -d);
    const answer = await postDelivery(url, 'generic', {
      portfolioId: portfolio.id,
      deliveryId: `demo-${date}`,
      records: records.filter((r) => r.date === date),
    }, secret!);
    if (answer.status !== 202) throw new Error(`demo delivery for ${date} was refused: ${JSON.stringify(answer.body)}`);
    accepted += (answer.body as { accepted: number }).accepted;
  }
  return accepted;
};
