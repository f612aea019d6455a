import { request } from 'node:http';
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedHistory } from '../../bin/local/demo.js';
import { idTokenClaims, signLocalToken } from '../../functions/adapters/localSignIn.js';
import { SESSION_COOKIE, SIGN_IN_COOKIE } from '../../functions/adapters/session.js';
import { deployedConfig } from '../../functions/wiring/config.js';
import { startTestRuntime, type TestRuntime } from './harness.js';

/** What a browser, or a person at one, sends to the pages and sign-in routes: never a 500, always the usual headers. */
let runtime: TestRuntime;
const demo = deployedConfig.portfolios.find((p) => p.id === 'demo')!;
const DAY_MS = 86_400_000;

beforeAll(async () => {
  runtime = await startTestRuntime();
});
afterAll(() => runtime.close());

/** A request as a browser makes it: no redirect followed, cookies given as one header. */
const browse = (path: string, { cookie, method = 'GET', body }: { cookie?: string; method?: string; body?: string } = {}) =>
  fetch(`${runtime.url}${path}`, {
    method,
    redirect: 'manual',
    headers: {
      ...(cookie ? { cookie } : {}),
      ...(body ? { 'content-type': 'application/x-www-form-urlencoded' } : {}),
    },
    ...(body ? { body } : {}),
  });
const setCookie = (response: Response, name: string) =>
  response.headers
    .getSetCookie()
    .find((c) => c.startsWith(`${name}=`))
    ?.split(';')[0];

/** Signs `email` in through the local sign-in page, starting from `start`; the session cookie and where the browser landed. */
const signIn = async (email: string, start = '/auth/login', extraCookie = '') => {
  const login = await browse(start, { cookie: extraCookie });
  const attempt = setCookie(login, SIGN_IN_COOKIE)!;
  const picked = await browse(`${login.headers.get('location')}&user=${encodeURIComponent(email)}`);
  const callback = new URL(picked.headers.get('location')!);
  const back = await browse(`${callback.pathname}${callback.search}`, { cookie: [extraCookie, attempt].filter(Boolean).join('; ') });
  return { session: setCookie(back, SESSION_COOKIE)!, landed: back.headers.get('location'), status: back.status };
};

/** A raw request with a Host header of our choosing (fetch would not send an invalid one). */
const rawGet = (path: string, host: string) =>
  new Promise<{ status: number; body: string; location?: string }>((done, fail) => {
    const { port } = new URL(runtime.url);
    const req = request({ host: '127.0.0.1', port, path, headers: { host } }, (res) => {
      let body = '';
      res.on('data', (chunk) => {
        body += chunk;
      });
      res.on('end', () => done({ status: res.statusCode!, body, ...(res.headers.location ? { location: res.headers.location } : {}) }));
    });
    req.on('error', fail);
    req.end();
  });

describe('the dashboard, whatever the age of the latest run', () => {
  it('shows a portfolio whose latest snapshot is older than the pacing window, instead of a 500', async () => {
    // One run three weeks ago and none since: LATEST is older than the 14 days the pacing chart reads.
    expect(await seedHistory(demo, new Date(Date.now() - 20 * DAY_MS), 1, { step: () => undefined, end: () => undefined })).toBe(1);
    const response = await browse(`/dashboard?token=${runtime.apiToken}`);
    expect(response.status).toBe(200);
    const latest = (await runtime.get('/portfolios/demo/allocations/latest')).body as { snapshotId: string };
    expect(await response.text()).toContain(latest.snapshotId);
  });

  it('words a notice a refused approval returns with, and drops a notice code it does not know instead of echoing it', async () => {
    const known = await (await browse(`/dashboard?token=${runtime.apiToken}&notice=not-pending`)).text();
    expect(known).toContain('id="apply-notice"');
    const forged = await browse(`/dashboard?token=${runtime.apiToken}&notice=%3Cscript%3Ealert(1)%3C%2Fscript%3E`);
    expect(forged.status).toBe(200);
    const page = await forged.text();
    expect(page).not.toContain('id="apply-notice"');
    expect(page).not.toContain('<script>alert(1)');
  });
});

describe('cookies from other applications', () => {
  const foreign = 'pref=50%; tracking=%E0%A4%A';

  it('answers every sign-in route without a 500 when the browser also holds malformed cookies', async () => {
    for (const [method, path] of [
      ['GET', '/'],
      ['GET', '/auth/login'],
      ['GET', '/auth/callback?code=x&state=y'],
      ['POST', '/auth/logout'],
      ['GET', '/auth/signed-out'],
      ['GET', '/dashboard'],
      ['POST', '/dashboard/reallocate'],
    ] as const) {
      const response = await browse(path, { cookie: foreign, method });
      expect(response.status, `${method} ${path}`).toBeLessThan(500);
    }
  });

  it('signs in and shows the dashboard beside a malformed cookie of a shared parent domain', async () => {
    const { session, landed } = await signIn('finance@example.com', '/auth/login', foreign);
    expect([landed, session]).toEqual(['/dashboard', expect.stringContaining(SESSION_COOKIE)]);
    const page = await browse('/dashboard', { cookie: `${foreign}; ${session}` });
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('finance@example.com');
  });
});

describe('a browser without a session', () => {
  it('is sent from a dashboard page to sign-in and, once signed in, back to that page', async () => {
    const first = await browse('/dashboard?portfolio=demo&token=wrong');
    expect(first.status).toBe(302);
    expect(first.headers.get('location')).toBe('/auth/login?returnTo=%2Fdashboard%3Fportfolio%3Ddemo');
    const { landed, session } = await signIn('operator@example.com', first.headers.get('location')!);
    expect(landed).toBe('/dashboard?portfolio=demo');
    expect((await browse(landed!, { cookie: session })).status).toBe(200);
  });

  it('is sent to sign-in with an expired or forged session too, not shown a JSON error', async () => {
    const expired = signLocalToken(idTokenClaims('finance@example.com', ['finance'], Math.floor(Date.now() / 1000) - 7200));
    for (const cookie of [`${SESSION_COOKIE}=${expired}`, `${SESSION_COOKIE}=forged`]) {
      const response = await browse('/dashboard', { cookie });
      expect([response.status, response.headers.get('location')]).toEqual([302, '/auth/login?returnTo=%2Fdashboard']);
    }
  });

  it('never follows a returnTo off the site', async () => {
    for (const returnTo of ['//evil.example/', 'https://evil.example/dashboard', '/\\evil.example']) {
      const { landed } = await signIn('finance@example.com', `/auth/login?returnTo=${encodeURIComponent(returnTo)}`);
      expect(landed, returnTo).toBe('/dashboard');
    }
  });

  it('is refused an operator form with a 403, as before', async () => {
    expect((await browse('/dashboard/reallocate', { method: 'POST', body: 'portfolio=demo' })).status).toBe(403);
  });
});

describe('signing out', () => {
  it('takes a POST with the CSRF token; a GET signs nobody out', async () => {
    const { session } = await signIn('finance@example.com');
    expect((await browse('/auth/logout', { cookie: session })).status).toBe(405);
    const signedOutPage = await browse('/auth/signed-out', { cookie: session });
    expect(signedOutPage.headers.getSetCookie()).toEqual([]);
    expect((await browse('/auth/logout', { cookie: session, method: 'POST', body: 'csrf=guess' })).status).toBe(403);
    expect((await browse('/dashboard', { cookie: session })).status).toBe(200);
  });

  it('sends an operator who releases the reserve without a reason back to the page, which says so, and runs nothing', async () => {
    const { session } = await signIn('operator@example.com');
    const page = await (await browse('/dashboard', { cookie: session })).text();
    const csrf = /name="csrf" value="([^"]+)"/.exec(page)![1]!;
    const before = (await runtime.get('/portfolios/demo/allocations/latest')).body as { snapshotId: string };
    const posted = await browse('/dashboard/reallocate', {
      cookie: session,
      method: 'POST',
      body: `portfolio=demo&csrf=${encodeURIComponent(csrf)}&releaseReserve=on&reason=`,
    });
    expect(posted.status).toBe(303);
    expect(posted.headers.get('location')).toBe('/dashboard?portfolio=demo&notice=reserve-needs-reason');
    // A reason of spaces is none.
    const blank = await browse('/dashboard/reallocate', {
      cookie: session,
      method: 'POST',
      body: `portfolio=demo&csrf=${encodeURIComponent(csrf)}&releaseReserve=on&reason=+++`,
    });
    expect(blank.headers.get('location')).toBe('/dashboard?portfolio=demo&notice=reserve-needs-reason');
    // A reason that is there but not one line of text is told so, not that it is missing.
    for (const reason of ['a%01b', 'a%E2%80%A8b', 'x'.repeat(501)]) {
      const invalid = await browse('/dashboard/reallocate', {
        cookie: session,
        method: 'POST',
        body: `portfolio=demo&csrf=${encodeURIComponent(csrf)}&releaseReserve=on&reason=${reason}`,
      });
      expect(invalid.headers.get('location'), reason).toBe('/dashboard?portfolio=demo&notice=reason-invalid');
    }
    // A reason without the release ticked runs nothing either: it would have been dropped without a word.
    const unticked = await browse('/dashboard/reallocate', {
      cookie: session,
      method: 'POST',
      body: `portfolio=demo&csrf=${encodeURIComponent(csrf)}&reason=quarter+close`,
    });
    expect(unticked.headers.get('location')).toBe('/dashboard?portfolio=demo&notice=reason-needs-release');
    expect(await (await browse(unticked.headers.get('location')!, { cookie: session })).text()).toContain(
      'data-code="reason-needs-release">Nothing was run: a reason is recorded only when the run releases the reserve.',
    );
    // A hand-made release other than the checkbox's "on", or a field the form has not, is a 400 naming it: both
    // were dropped without a word, and the run went ahead as a plain reallocation.
    for (const [body, path] of [
      ['releaseReserve=true&reason=launch', 'releaseReserve'],
      ['releasereserve=on&reason=launch', 'releasereserve'],
    ]) {
      const refused = await browse('/dashboard/reallocate', {
        cookie: session,
        method: 'POST',
        body: `portfolio=demo&csrf=${encodeURIComponent(csrf)}&${body}`,
      });
      expect(refused.status, body).toBe(400);
      expect(((await refused.json()) as { error: { issues: { path: string }[] } }).error.issues.map((i) => i.path)).toEqual([path]);
    }
    // A hand-made post that names no portfolio is a bad form (400 naming it), not an unknown portfolio "undefined".
    for (const route of ['/dashboard/reallocate', '/dashboard/alerts/evaluate']) {
      const unnamed = await browse(route, { cookie: session, method: 'POST', body: `csrf=${encodeURIComponent(csrf)}` });
      expect(unnamed.status, route).toBe(400);
      expect(((await unnamed.json()) as { error: { issues: { path: string }[] } }).error.issues.map((i) => i.path)).toEqual(['portfolio']);
    }
    const back = await (await browse(posted.headers.get('location')!, { cookie: session })).text();
    expect(back).toContain('<p class="notice" id="operate-notice" role="status" data-code="reserve-needs-reason">Nothing was run');
    expect(((await runtime.get('/portfolios/demo/allocations/latest')).body as { snapshotId: string }).snapshotId).toBe(before.snapshotId);
  });

  it('refuses the signed-out session on the server though its token has not expired', async () => {
    const { session } = await signIn('operator@example.com');
    const page = await (await browse('/dashboard', { cookie: session })).text();
    const csrf = /name="csrf" value="([^"]+)"/.exec(page)![1]!;
    const out = await browse('/auth/logout', { cookie: session, method: 'POST', body: `csrf=${encodeURIComponent(csrf)}` });
    expect(out.status).toBe(302);
    expect(setCookie(out, SESSION_COOKIE)).toBe(`${SESSION_COOKIE}=`);
    // A copy of the cookie (another tab, a stolen one) is refused: the page sends it to sign-in, the form is refused.
    expect((await browse('/dashboard', { cookie: session })).status).toBe(302);
    expect((await browse('/dashboard/reallocate', { cookie: session, method: 'POST', body: `portfolio=demo&csrf=${csrf}` })).status).toBe(
      403,
    );
    expect((await browse('/', { cookie: session })).headers.get('location')).toBe('/auth/login');
  });
});

describe('the usual response headers', () => {
  it("sends nosniff on every answer: JSON, CSV, pages, redirects, and the local runtime's own errors", async () => {
    const latest = (await runtime.get('/portfolios/demo/allocations/latest')).body as { snapshotId: string };
    const token = { authorization: `Bearer ${runtime.apiToken}` };
    const answers = [
      await fetch(`${runtime.url}/portfolios/demo/allocations/latest`, { headers: token }),
      await fetch(`${runtime.url}/portfolios/demo/allocations/${latest.snapshotId}?format=csv`, { headers: token }),
      await fetch(`${runtime.url}/portfolios/nope/allocations/latest`, { headers: token }),
      await browse(`/dashboard?token=${runtime.apiToken}`),
      await browse('/dashboard'),
      await browse('/auth/login'),
      await browse('/nowhere'),
      await browse('/openapi.json'),
      await fetch(`${runtime.url}/portfolios/demo/metrics`),
    ];
    for (const response of answers) expect(response.headers.get('x-content-type-options'), response.url).toBe('nosniff');
  });

  it('forbids caching every private answer: JSON, CSV and the dashboard', async () => {
    const latest = (await runtime.get('/portfolios/demo/allocations/latest')).body as { snapshotId: string };
    const token = { authorization: `Bearer ${runtime.apiToken}` };
    for (const response of [
      await fetch(`${runtime.url}/portfolios/demo/allocations/latest`, { headers: token }),
      await fetch(`${runtime.url}/portfolios/demo/allocations/${latest.snapshotId}?format=csv`, { headers: token }),
      await fetch(`${runtime.url}/portfolios/demo/metrics`, { headers: token }),
      await browse(`/dashboard?token=${runtime.apiToken}`),
    ]) {
      expect(response.status, response.url).toBe(200);
      expect(response.headers.get('cache-control'), response.url).toBe('no-store');
    }
  });

  it("returns to the runtime's own callback whatever Host the request names, and the sign-in page sends a code nowhere else", async () => {
    // Another process on this machine (port 9999) must not be handed a code by a request naming its Host.
    const bounced = await rawGet('/auth/login?returnTo=%2Fdashboard', 'localhost:9999');
    expect([bounced.status, bounced.location]).toEqual([302, `${runtime.url}/auth/login?returnTo=%2Fdashboard`]);
    const login = await browse('/auth/login');
    expect(login.status).toBe(302);
    const page = new URL(login.headers.get('location')!, runtime.url);
    expect(page.searchParams.get('redirect_uri')).toBe(`${runtime.url}/auth/callback`);
    page.searchParams.set('redirect_uri', 'http://localhost:9999/auth/callback');
    page.searchParams.set('user', 'finance@example.com');
    const elsewhere = await browse(`${page.pathname}${page.search}`);
    expect(elsewhere.status).toBe(400);
    expect((await elsewhere.json()).error.code).toBe('bad-redirect');
  });

  it('signs in a browser that opened the runtime at http://127.0.0.1:PORT, its cookies kept per origin as a browser keeps them', async () => {
    const other = runtime.url.replace('//localhost:', '//127.0.0.1:');
    const jar = new Map<string, string[]>();
    let at = new URL(`${other}/dashboard?portfolio=demo`);
    const seen: string[] = [];
    for (let hop = 0; hop < 8; hop++) {
      const cookie = (jar.get(at.origin) ?? []).join('; ');
      const response = await fetch(at, { redirect: 'manual', headers: cookie ? { cookie } : {} });
      seen.push(`${response.status} ${at.origin}${at.pathname}`);
      for (const set of response.headers.getSetCookie()) {
        const pair = set.split(';')[0]!;
        const kept = (jar.get(at.origin) ?? []).filter((c) => !c.startsWith(`${pair.split('=')[0]}=`));
        jar.set(at.origin, /=;|Max-Age=0/i.test(set) ? kept : [...kept, pair]);
      }
      const location = response.headers.get('location');
      if (!location) {
        expect(response.status, seen.join(' → ')).toBe(200);
        break;
      }
      at = new URL(location, at);
      if (at.pathname === '/_local/sign-in' && !at.searchParams.has('user')) at.searchParams.set('user', 'finance@example.com');
    }
    expect(at.href).toBe(`${runtime.url}/dashboard?portfolio=demo`);
    expect(seen[1]).toBe(`302 ${other}/auth/login`);
    expect(seen[2]).toBe(`302 ${runtime.url}/auth/login`);
  });

  it('sends no Referer from any page, and a Content-Security-Policy on the local sign-in page', async () => {
    const dashboard = await browse(`/dashboard?token=${runtime.apiToken}`);
    const signedOut = await browse('/auth/signed-out');
    const login = await browse('/auth/login');
    const signInPage = await browse(login.headers.get('location')!);
    for (const page of [dashboard, signedOut, signInPage]) {
      expect(page.headers.get('content-type'), page.url).toMatch(/^text\/html/);
      expect(page.headers.get('referrer-policy'), page.url).toBe('no-referrer');
    }
    const policy = signInPage.headers.get('content-security-policy') ?? '';
    expect(policy).toContain("default-src 'none'");
    expect(policy).toContain("frame-ancestors 'none'");
    expect(signInPage.headers.get('cache-control')).toBe('no-store');
  });
});

/** The answer to these bytes, sent as they are on a socket of their own (what no HTTP client would send). */
const rawRequest = (bytes: string) =>
  new Promise<{ status: number; error: { code: string; issues: { path: string }[] } }>((done, fail) => {
    const { port } = new URL(runtime.url);
    const socket = connect(Number(port), '127.0.0.1', () => socket.write(bytes, 'latin1'));
    let answer = '';
    socket.on('data', (chunk) => {
      answer += chunk;
    });
    socket.on('error', fail);
    socket.on('close', () => {
      // The JSON, whether it came whole or in chunks (one chunk here: its size line is before the brace).
      try {
        const body = answer.slice(answer.indexOf('{'), answer.lastIndexOf('}') + 1);
        done({ status: Number(answer.split(' ')[1]), error: JSON.parse(body).error });
      } catch {
        fail(new Error(`not a JSON error: ${JSON.stringify(answer)}`));
      }
    });
  });

describe('requests the URL parser refuses', () => {
  it('answers a request without a Host, or with a control character in a header, with a JSON 400 naming the header', async () => {
    const noHost = await rawRequest('GET /openapi.json HTTP/1.1\r\nConnection: close\r\n\r\n');
    expect([noHost.status, noHost.error.code, noHost.error.issues.map((i) => i.path)]).toEqual([400, 'bad-host', ['Host']]);
    const control = await rawRequest('GET /openapi.json HTTP/1.1\r\nHost: localhost\r\nCookie: a=\x01b\r\nConnection: close\r\n\r\n');
    expect([control.status, control.error.code, control.error.issues.map((i) => i.path)]).toEqual([400, 'bad-header', ['Cookie']]);
  });

  it('refuses a Content-Length past the limit at once, without waiting for a body that is not coming', async () => {
    const claimed = await rawRequest('POST /webhooks/generic HTTP/1.1\r\nHost: localhost\r\nContent-Length: 99999999\r\n\r\n{}');
    expect([claimed.status, claimed.error.code, claimed.error.issues.map((i) => i.path)]).toEqual([
      413,
      'body-too-large',
      ['Content-Length'],
    ]);
  });

  it('answers a Host header that names no host with a JSON 400', async () => {
    for (const host of ['a b', '[', 'x:99999', 'evil.example/path', 'user@localhost']) {
      const answer = await rawGet('/openapi.json', host);
      expect(answer.status, host).toBe(400);
      expect(JSON.parse(answer.body).error.code, host).toBe('bad-host');
    }
  });
});
