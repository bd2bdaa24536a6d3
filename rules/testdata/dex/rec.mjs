// Runs one sign-in story through real software and writes what the browser
// saw as a HAR, for gen.sh (which captures the loopback interface beside
// it): Dex as the OpenID provider (http://127.0.0.1:5556/dex, started by
// gen.sh with config.yaml), kubelogin (`kubectl oidc-login get-token`,
// started here) or a small web app (below, http://localhost:4893) as the
// client, and a headless Chromium driven over the DevTools protocol
// (../allauth/cdphar.mjs) as the user's browser. kubelogin opens the
// browser through --browser-command: gen.sh's open.sh writes the URL to a
// file this script reads and loads in a tab. All secrets are test-only
// values.
//
// Usage: node --experimental-websocket rec.mjs STORY OUT.har
//   kubelogin-clean            one sign-in: Dex's password form, its approval
//                              page, kubelogin's loopback callback, tokens
//   kubelogin-unregistered-port
//                              kubelogin listens on 127.0.0.1:18000 (its
//                              second default address), while the client
//                              registers only http://localhost:8000: Dex's
//                              400 page "Unregistered redirect_uri."
//   kubelogin-second-instance  a second kubelogin starts while the first
//                              waits on port 8000: it binds 18000, which is
//                              not registered; the first sign-in completes
//   kubelogin-wrong-secret     kubelogin runs with a client secret Dex does
//                              not have: its redemption is refused with
//                              invalid_client "Invalid client credentials."
//   kubelogin-opened-twice     kubelogin's URL opened in two tabs (the
//                              user also pasted the URL it printed): both
//                              sign in at Dex with kubelogin's one state;
//                              the first callback completes, the second
//                              finds kubelogin gone (connection refused)
//   kubelogin-denied           the user presses Cancel on Dex's approval
//                              page: Dex's 500 page "Approval rejected."
//   webapp-reload              the web app's callback reloaded: the app
//                              redeems the code again, Dex refuses it with
//                              invalid_grant "Invalid or expired code
//                              parameter.", the app shows its error page
// Prints what the browser saw; exits non-zero when the story did not happen.
import { spawn } from 'node:child_process';
import { createServer } from 'node:http';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { browser, sleep } from './cdphar.mjs';

const [story, out] = process.argv.slice(2);
const stories = ['kubelogin-clean', 'kubelogin-unregistered-port', 'kubelogin-second-instance', 'kubelogin-wrong-secret',
  'kubelogin-opened-twice', 'kubelogin-denied', 'webapp-reload'];
if (!stories.includes(story) || !out) throw new Error('usage: rec.mjs STORY OUT.har');
const DEX = 'http://127.0.0.1:5556/dex';
const USER = 'alice@example.com', PASSWORD = 'password';
const KUBELOGIN = process.env.KUBELOGIN, OPENED = process.env.OPENED, OPEN = process.env.OPEN;

// --- kubelogin, as kubectl's exec credential plugin runs it ---
const kubelogins = [];
function kubelogin(...extra) {
  const cache = mkdtempSync(join(tmpdir(), 'kubelogin-cache-'));
  const args = ['get-token', `--oidc-issuer-url=${DEX}`, '--oidc-client-id=kubernetes',
    '--oidc-client-secret=test-only-kubelogin-client-secret', `--browser-command=${OPEN}`,
    `--token-cache-dir=${cache}`, '--authentication-timeout-sec=20', ...extra];
  const p = spawn(KUBELOGIN, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const k = { out: '', err: '', exit: new Promise((r) => p.once('exit', (code) => r(code))), kill: () => p.kill() };
  p.stdout.on('data', (d) => { k.out += d; });
  p.stderr.on('data', (d) => { k.err += d; });
  k.exit.then((code) => {
    console.log(`kubelogin ${extra.join(' ')}: exit ${code}; ${k.out ? 'ExecCredential written' : 'no ExecCredential'}`);
    for (const l of k.err.trim().split('\n').filter(Boolean)) console.log(`kubelogin: ${l}`);
    rmSync(cache, { recursive: true, force: true });
  });
  kubelogins.push(k);
  return k;
}
// opened waits for the n-th URL kubelogin asked the browser to open.
async function opened(n) {
  for (let i = 0; i < 100; i++) {
    if (existsSync(OPENED)) {
      const urls = readFileSync(OPENED, 'utf8').split('\n').filter(Boolean);
      if (urls.length >= n) return urls[n - 1];
    }
    await sleep(100);
  }
  throw new Error(`kubelogin opened no browser (${n})`);
}

// --- a web app that redeems the code in its callback, on every load ---
const APP = 'http://localhost:4893';
let app;
function webApp() {
  const states = new Set();
  app = createServer(async (req, res) => {
    const u = new URL(req.url, APP);
    if (u.pathname === '/login') {
      const state = randomBytes(16).toString('base64url');
      states.add(state);
      const q = new URLSearchParams({ client_id: 'web-app', response_type: 'code', scope: 'openid email profile',
        redirect_uri: `${APP}/callback`, state });
      res.writeHead(302, { Location: `${DEX}/auth?${q}`, 'Set-Cookie': `webapp_state=${state}; Path=/; HttpOnly; SameSite=Lax` });
      return res.end();
    }
    if (u.pathname === '/callback') {
      // The state is checked against the cookie only: a reload brings it
      // back, and the app redeems the code again.
      const cookie = /(?:^|; )webapp_state=([^;]*)/.exec(req.headers.cookie || '')?.[1];
      if (!cookie || cookie !== u.searchParams.get('state')) {
        res.writeHead(400, { 'Content-Type': 'text/html' });
        return res.end('<!DOCTYPE html><title>Error</title><h1>Sign-in failed</h1><p>state mismatch</p>');
      }
      const r = await fetch(`${DEX}/token`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded',
          Authorization: 'Basic ' + Buffer.from('web-app:test-only-web-app-client-secret').toString('base64') },
        body: new URLSearchParams({ grant_type: 'authorization_code', code: u.searchParams.get('code'), redirect_uri: `${APP}/callback` }),
      });
      const body = await r.json();
      console.log(`app: token request answered ${r.status} ${body.error || ''} ${body.error_description || ''}`);
      if (!r.ok) {
        res.writeHead(500, { 'Content-Type': 'text/html' });
        return res.end(`<!DOCTYPE html><title>Error</title><h1>Sign-in failed</h1><p>The token request failed: ${body.error}: ${body.error_description}</p>`);
      }
      res.writeHead(302, { Location: '/', 'Set-Cookie': 'webapp_session=test-only-session; Path=/; HttpOnly; SameSite=Lax' });
      return res.end();
    }
    if (u.pathname === '/') {
      res.writeHead(200, { 'Content-Type': 'text/html' });
      return res.end('<!DOCTYPE html><title>Home</title><p id="who">Signed in.</p>');
    }
    res.writeHead(404);
    res.end();
  }).listen(4893, '127.0.0.1');
}

// --- the browser ---
const chromium = await browser();
const tab = chromium.tab;
const atLogin = `location.pathname.startsWith('/dex/auth/local') && !!document.getElementById('login')`;
const atApproval = `!!document.querySelector('input[name=approval]')`;
const login = (t) => t.evaluate(`document.getElementById('login').value=${JSON.stringify(USER)};
  document.getElementById('password').value=${JSON.stringify(PASSWORD)}; document.querySelector('form').submit(); true`);
const approve = (t, how) => t.evaluate(`document.querySelector('input[name=approval][value=${how}]').form.submit(); true`);
const page = (t) => t.evaluate(`location.href + ' | ' + document.title + ' | ' + (document.body?.innerText || '').replace(/\\s+/g, ' ').slice(0, 200)`);
// signIn takes a tab from Dex's password form through its approval page.
async function signIn(t, how = 'approve') {
  await t.waitFor(atLogin, 'Dex\'s password form');
  await sleep(200);
  await login(t);
  await t.waitFor(atApproval, 'Dex\'s approval page');
  await sleep(200);
  await approve(t, how);
}
const atLoopback = (port) => `location.origin === 'http://localhost:${port}' && document.readyState === 'complete'`;
const atDexError = `!!document.querySelector('.theme-panel h2') && !document.querySelector('form')`;

let ok = false;
try {
  const a = await tab();
  switch (story) {
  case 'kubelogin-clean':
  case 'kubelogin-wrong-secret':
  case 'kubelogin-denied': {
    const k = story === 'kubelogin-wrong-secret' ? kubelogin('--oidc-client-secret=test-only-secret-rotated-at-dex') : kubelogin();
    await a.send('Page.navigate', { url: await opened(1) });
    await signIn(a, story === 'kubelogin-denied' ? 'rejected' : 'approve');
    if (story === 'kubelogin-denied') {
      await a.waitFor(atDexError, 'Dex\'s error page');
      k.kill();
    } else {
      await a.waitFor(atLoopback(8000), 'kubelogin\'s page');
    }
    console.log(`browser: ${await page(a)}`);
    const code = await k.exit;
    if ((story === 'kubelogin-clean') !== (code === 0)) throw new Error(`kubelogin exited ${code}`);
    break;
  }
  case 'kubelogin-opened-twice': {
    const k = kubelogin();
    const url = await opened(1);
    await a.send('Page.navigate', { url });
    await a.waitFor(atLogin, 'Dex\'s password form in tab A');
    const b = await tab();
    await b.send('Page.navigate', { url });
    await b.waitFor(atLogin, 'Dex\'s password form in tab B');
    await signIn(a);
    await a.waitFor(atLoopback(8000), 'kubelogin\'s page in tab A');
    console.log(`browser, tab A: ${await page(a)}`);
    if (await k.exit !== 0) throw new Error('kubelogin failed');
    await signIn(b);
    await b.waitFor(`location.href.startsWith('chrome-error:')`, 'the refused callback in tab B');
    console.log(`browser, tab B: ${await page(b)}`);
    break;
  }
  case 'kubelogin-unregistered-port': {
    const k = kubelogin('--listen-address=127.0.0.1:18000');
    await a.send('Page.navigate', { url: await opened(1) });
    await a.waitFor(atDexError, 'Dex\'s error page');
    console.log(`browser: ${await page(a)}`);
    k.kill();
    await k.exit;
    break;
  }
  case 'kubelogin-second-instance': {
    const k1 = kubelogin();
    await a.send('Page.navigate', { url: await opened(1) });
    await a.waitFor(atLogin, 'Dex\'s password form in tab A');
    const k2 = kubelogin();
    const b = await tab();
    await b.send('Page.navigate', { url: await opened(2) });
    await b.waitFor(atDexError, 'Dex\'s error page in tab B');
    console.log(`browser, tab B: ${await page(b)}`);
    await signIn(a);
    await a.waitFor(atLoopback(8000), 'kubelogin\'s page in tab A');
    console.log(`browser, tab A: ${await page(a)}`);
    if (await k1.exit !== 0) throw new Error('the first kubelogin failed');
    k2.kill();
    await k2.exit;
    break;
  }
  case 'webapp-reload': {
    webApp();
    await a.send('Page.navigate', { url: `${APP}/login` });
    await signIn(a);
    await a.waitFor(`location.href === '${APP}/' && !!document.getElementById('who')`, 'the app\'s home page');
    console.log(`browser: ${await page(a)}`);
    // Back to the callback URL (a restored tab, the history): the app
    // redeems the code again.
    await a.send('Page.navigate', { url: chromium.urls().find((u) => u.startsWith(`${APP}/callback?`)) });
    await a.waitFor(`document.title === 'Error'`, 'the app\'s error page');
    console.log(`browser, callback again: ${await page(a)}`);
    break;
  }
  }
  await sleep(500);
  const har = await chromium.har('traceaudit rules/testdata/dex/rec.mjs');
  // The tests' expectations (rules/rulestest: "want RULE PATTERN" in an
  // entry's comment): Dex's refusal of the redirect URI, the reloaded
  // callback.
  const refusal = har.log.entries.find((e) => e.response.status === 400 && e.request.url.startsWith(`${DEX}/auth`));
  if (refusal) refusal.comment = 'want redirect-uri-mismatch "its error page says \\"Unregistered redirect_uri.\\""';
  if (story === 'webapp-reload') har.log.entries.findLast((e) => e.request.url.startsWith(`${APP}/callback?`)).comment = 'want code-reuse';
  writeFileSync(out, JSON.stringify(har, null, 1) + '\n');
  ok = true;
} catch (e) {
  console.log(`error: ${e.message}`);
} finally {
  for (const k of kubelogins) k.kill();
  await chromium.close();
  app?.close();
  process.exit(ok ? 0 : 1);
}
