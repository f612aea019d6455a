import '../bin/local/localEnv.js';
import autocannon from 'autocannon';
import { parseCli } from '../bin/cli.js';
import { startDynamoLocal } from '../bin/local/dynamoLocal.js';
import { startLocalRuntime } from '../bin/local/runtime.js';
import { getJson, postDelivery } from '../bin/local/webhookClient.js';
import { progress } from '../bin/progress.js';
import { signatureHeader } from '../functions/adapters/signature.js';
import { LOCAL_DEV_SECRET } from '../functions/adapters/webhookSecrets.js';
import { addDays } from '../functions/domain/dates.js';
import { toMicros } from '../functions/domain/money.js';
import { seededRandom } from '../functions/domain/random.js';

/**
 * `npm run load [-- --seconds 20 --connections 8]`: signed deliveries against the local runtime on loopback
 * for a bounded time. One delivery in five resends an earlier one (same deliveryId) and one in five restates
 * an earlier day with a higher revision. Afterwards the stored totals must equal, to the micro, what the
 * acknowledged deliveries imply: the highest acknowledged revision of each day, nothing lost, nothing twice.
 */
const { values } = parseCli(
  `npm run load [-- --seconds 20 --connections 8]

Drives signed deliveries (with resends and restatements) at the local API with autocannon, then checks the
stored totals equal the acknowledged ones to the micro.`,
  { seconds: { type: 'string', default: '20' }, connections: { type: 'string', default: '8' } },
);
const CHANNELS = ['search', 'social', 'video', 'display', 'affiliate', 'podcast'];
const FIRST_DAY = '2001-01-01';

interface Sent {
  readonly body: string;
  readonly key: string;
  readonly revision: number;
  readonly spendMicros: number;
  readonly conversions: number;
}

/** What autocannon keeps per connection: the delivery in flight on it. */
interface Connection {
  delivery?: Sent;
}

const random = seededRandom(7);
const sent: Sent[] = [];
const acknowledged = new Map<string, { revision: number; spendMicros: number; conversions: number }>();
const counts = { fresh: 0, duplicate: 0, restatement: 0, accepted202: 0, conflict409: 0, other4xx: 0, errors5xx: 0 };
const answered = new Set<Sent>();
let nextDay = 0;

/** The day's expected value: the highest revision acknowledged so far. */
const acknowledge = (delivery: Sent) => {
  const known = acknowledged.get(delivery.key);
  if (!known || known.revision < delivery.revision) acknowledged.set(delivery.key, delivery);
};
const revisions = new Map<string, number>();

/** The next delivery: a new day, a resend of an earlier delivery, or a restatement of an earlier day. */
const plan = (): Sent => {
  const roll = random();
  if (sent.length > 10 && roll < 0.2) {
    counts.duplicate += 1;
    return sent[Math.floor(random() * sent.length)]!;
  }
  let channelId: string;
  let date: string;
  if (sent.length > 10 && roll < 0.4) {
    counts.restatement += 1;
    [channelId, date] = sent[Math.floor(random() * sent.length)]!.key.split('|') as [string, string];
  } else {
    counts.fresh += 1;
    channelId = CHANNELS[nextDay % CHANNELS.length]!;
    date = addDays(FIRST_DAY, Math.floor(nextDay / CHANNELS.length));
    nextDay += 1;
  }
  const key = `${channelId}|${date}`;
  const revision = (revisions.get(key) ?? 0) + 1;
  revisions.set(key, revision);
  const spend = Math.round(random() * 1_000_000) / 100;
  const conversions = Math.floor(random() * 50);
  const body = JSON.stringify({
    portfolioId: 'demo',
    deliveryId: `load-${key}-r${revision}`,
    records: [{ channelId, date, spend, conversions, revision }],
  });
  const delivery = { body, key, revision, spendMicros: toMicros(spend), conversions };
  sent.push(delivery);
  return delivery;
};

const main = async () => {
  const dynamo = await startDynamoLocal();
  const runtime = await startLocalRuntime({ dynamoEndpoint: dynamo.endpoint, tablePrefix: 'load-', schedules: false });
  try {
    const report = progress();
    const started = Date.now();
    const ticker = setInterval(
      () => report.step(Math.round((Date.now() - started) / 1000), Number(values.seconds), 'Load (seconds)'),
      1000,
    );
    const result = await autocannon({
      url: `${runtime.url}/webhooks/generic`,
      connections: Number(values.connections),
      duration: Number(values.seconds),
      requests: [
        {
          method: 'POST',
          setupRequest: (request, context) => {
            const delivery = plan();
            (context as Connection).delivery = delivery;
            return {
              ...request,
              body: delivery.body,
              headers: {
                'content-type': 'application/json',
                'x-signature': signatureHeader([LOCAL_DEV_SECRET], delivery.body, Math.floor(Date.now() / 1000)),
              },
            };
          },
          onResponse: (status, _body, context) => {
            const delivery = (context as Connection).delivery!;
            answered.add(delivery);
            if (status === 202) {
              counts.accepted202 += 1;
              acknowledge(delivery);
            } else if (status === 409) counts.conflict409 += 1;
            else if (status >= 500) counts.errors5xx += 1;
            else counts.other4xx += 1;
          },
        },
      ],
    });
    clearInterval(ticker);
    report.end();

    // Requests still in flight when the time ran out may have been stored without their answer being seen:
    // send each of those once more (idempotent by deliveryId) so every planned delivery has a known answer.
    const unanswered = [...new Set(sent)].filter((d) => !answered.has(d));
    for (const delivery of unanswered) {
      const answer = await postDelivery(runtime.url, 'generic', delivery.body, LOCAL_DEV_SECRET);
      if (answer.status === 202) acknowledge(delivery);
      else throw new Error(`resend of ${delivery.key} r${delivery.revision} answered ${answer.status}`);
    }

    // Expected totals per channel from the acknowledged deliveries; stored totals through the metrics API.
    const expected = new Map<string, { spendMicros: number; conversions: number }>();
    for (const [key, value] of acknowledged) {
      const channel = key.split('|')[0]!;
      const sum = expected.get(channel) ?? { spendMicros: 0, conversions: 0 };
      expected.set(channel, { spendMicros: sum.spendMicros + value.spendMicros, conversions: sum.conversions + value.conversions });
    }
    const lastDay = addDays(FIRST_DAY, Math.ceil(nextDay / CHANNELS.length));
    let mismatches = 0;
    for (const channel of CHANNELS) {
      let stored = { spendMicros: 0, conversions: 0, days: 0 };
      for (let from = FIRST_DAY; from <= lastDay; from = addDays(from, 400)) {
        const to = addDays(from, 399);
        const answer = await getJson(runtime.url, `/portfolios/demo/metrics?channel=${channel}&from=${from}&to=${to}`, runtime.apiToken);
        for (const m of (answer.body as { metrics: { spend: number; conversions: number }[] }).metrics) {
          stored = {
            spendMicros: stored.spendMicros + toMicros(m.spend),
            conversions: stored.conversions + m.conversions,
            days: stored.days + 1,
          };
        }
      }
      const want = expected.get(channel) ?? { spendMicros: 0, conversions: 0 };
      const ok = want.spendMicros === stored.spendMicros && want.conversions === stored.conversions;
      if (!ok) mismatches += 1;
      console.log(
        `  ${channel.padEnd(10)} expected spend ${(want.spendMicros / 1e6).toFixed(2)} conv ${want.conversions}; stored ${(stored.spendMicros / 1e6).toFixed(2)} conv ${stored.conversions} over ${stored.days} days ${ok ? 'ok' : 'MISMATCH'}`,
      );
    }
    console.log(`
Load: ${values.seconds} s, ${values.connections} connections, loopback
  requests        ${result.requests.total} (${result.requests.average.toFixed(0)}/s); planned ${counts.fresh} new days, ${counts.duplicate} resends, ${counts.restatement} restatements
  latency         p50 ${result.latency.p50} ms, p99 ${result.latency.p99} ms, max ${result.latency.max} ms
  after the run   ${unanswered.length} in-flight deliveries resent to learn their answer
  answers         202: ${counts.accepted202}, 409 (resend while the first was in flight): ${counts.conflict409}, other 4xx: ${counts.other4xx}, 5xx: ${counts.errors5xx}, transport errors: ${result.errors}, timeouts: ${result.timeouts}
  totals          ${mismatches === 0 ? 'equal to the acknowledged deliveries for every channel: zero lost, zero double counted' : `${mismatches} channel(s) differ`}`);
    if (mismatches > 0 || counts.errors5xx > 0 || counts.other4xx > 0) process.exitCode = 1;
  } finally {
    await runtime.close();
    await dynamo.stop();
  }
};

await main();
