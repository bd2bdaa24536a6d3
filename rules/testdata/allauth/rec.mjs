// Runs one sign-in story through real software and writes what the browser
// saw as a HAR, for gen.sh: panva's oidc-provider as the OpenID provider
// (http://127.0.0.1:4861), a Django app signing in through django-allauth
// (http://localhost:4862, started by gen.sh: project/, its callback
// /accounts/labop/login/callback/) and a headless Chromium driven over the
// DevTools protocol, its Network events assembled into HAR 1.2 entries the
// way DevTools' own export does (cdphar.mjs). Versions are pinned by package.json, package-lock.json
// and Debian's packages. All secrets are test-only values.
//
// Usage: node --experimental-websocket rec.mjs STORY ACCEPT_LANGUAGE OUT.har
//   two-tabs    sign-in started in tab A, then in tab B (allauth 0.51 keeps
//               one state in the session: B's replaces A's), then finished
//               in tab A: allauth refuses A's callback (PermissionDenied)
//   reload      sign in, then load the callback URL again (its state is gone
//               from the session): allauth refuses it
//   lost-session the app's session cookie is deleted (as a browser dropping
//               it would) before the user signs in: allauth finds no state
//               in the new session and refuses the callback
//   denied      the user refuses at the provider: error=access_denied, which
//               allauth answers with its "login cancelled" redirect
// Prints what the browser saw; exits non-zero when the story did not happen.
import { writeFileSync } from 'node:fs';
import Provider from 'oidc-provider';
import { browser, sleep } from './cdphar.mjs';

const [story, acceptLanguage, out] = process.argv.slice(2);
if (!['two-tabs', 'reload', 'lost-session', 'denied'].includes(story) || !acceptLanguage || !out) throw new Error('usage: rec.mjs STORY ACCEPT_LANGUAGE OUT.har');
const OP = 'http://127.0.0.1:4861';
const APP = 'http://localhost:4862';
const CALLBACK = `${APP}/accounts/labop/login/callback/`;
const USER = 'alice', PASSWORD = 'test-only-password';

// --- the provider: oidc-provider with a login form and consent granted ---
const provider = new Provider(OP, {
  clients: [{
    client_id: 'allauth-app', client_secret: 'test-only-client-secret-for-allauth-app',
    redirect_uris: [CALLBACK], grant_types: ['authorization_code'], response_types: ['code'],
    token_endpoint_auth_method: 'client_secret_post',
  }],
  cookies: { keys: ['test-only-cookie-key-of-the-provider'] },
  claims: { openid: ['sub'], profile: ['name'] },
  features: { devInteractions: { enabled: false } },
  // django-allauth 0.51 sends no PKCE challenge.
  pkce: { required: () => false },
  interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
  async findAccount(ctx, id) {
    return { accountId: id, async claims() { return { sub: id, name: 'Alice (test user)' }; } };
  },
});
const loginPage = (uid) => `<!DOCTYPE html><html><head><meta charset="utf-8"><title>Sign in</title><link rel="icon" href="data:,"></head>
<body><form method="POST" action="/interaction/${uid}/login"><input id="username" name="username"><input id="password" name="password" type="password"><input type="hidden" id="deny" name="deny" value=""><button type="submit">Sign in</button></form></body></html>`;
provider.use(async (ctx, next) => {
  const m = /^\/interaction\/([\w-]+)(\/login)?$/.exec(ctx.path);
  if (!m) return next();
  ctx.set('Cache-Control', 'no-store');
  const details = await provider.interactionDetails(ctx.req, ctx.res);
  let result;
  if (details.prompt.name === 'login') {
    if (!m[2]) { ctx.type = 'html'; ctx.body = loginPage(details.uid); return; }
    let body = '';
    for await (const c of ctx.req) body += c;
    const form = new URLSearchParams(body);
    if (form.get('deny')) {
      result = { error: 'access_denied', error_description: 'End-User aborted interaction' };
    } else {
      if (form.get('username') !== USER || form.get('password') !== PASSWORD) ctx.throw(401);
      result = { login: { accountId: USER } };
    }
  } else {
    const { prompt: { details: missing }, params, session } = details;
    const grant = details.grantId ? await provider.Grant.find(details.grantId)
      : new provider.Grant({ accountId: session.accountId, clientId: params.client_id });
    if (missing.missingOIDCScope) grant.addOIDCScope(missing.missingOIDCScope.join(' '));
    if (missing.missingOIDCClaims) grant.addOIDCClaims(missing.missingOIDCClaims);
    result = { consent: { grantId: await grant.save() } };
  }
  const to = await provider.interactionResult(ctx.req, ctx.res, result, { mergeWithLastSubmission: false });
  ctx.status = 303;
  ctx.redirect(to);
});
provider.on('authorization_code.saved', () => console.log('op: code issued'));
provider.on('grant.success', () => console.log('op: token issued'));
provider.on('grant.error', (ctx, err) => console.log(`op: token refused ${err.error}`));
const opServer = provider.listen(4861, '127.0.0.1');

// --- the browser ---
const chromium = await browser(acceptLanguage);
const tab = chromium.tab;

const atLoginForm = `location.pathname.startsWith('/interaction/') && !!document.getElementById('username')`;
const submit = (t, deny) => t.evaluate(`document.getElementById('username').value=${JSON.stringify(USER)};
  document.getElementById('password').value=${JSON.stringify(PASSWORD)};
  document.getElementById('deny').value=${JSON.stringify(deny ? '1' : '')}; document.forms[0].submit(); true`);
const page = (t) => t.evaluate(`location.href + ' | ' + document.title + ' | ' + document.body.innerText.replace(/\\s+/g, ' ').slice(0, 300)`);
const atFailurePage = `location.pathname === '/accounts/labop/login/callback/' && !!document.querySelector('h1')`;

let ok = false;
try {
  const a = await tab();
  await a.send('Page.navigate', { url: `${APP}/accounts/labop/login/` });
  await a.waitFor(atLoginForm, 'the login form in tab A');
  if (story === 'two-tabs') {
    const b = await tab();
    await b.send('Page.navigate', { url: `${APP}/accounts/labop/login/` });
    await b.waitFor(atLoginForm, 'the login form in tab B');
  }
  if (story === 'lost-session') {
    await a.send('Network.deleteCookies', { name: 'sessionid', domain: 'localhost' });
  }
  await sleep(300);
  await submit(a, story === 'denied');
  if (story === 'two-tabs' || story === 'lost-session') {
    await a.waitFor(atFailurePage, 'the refused callback');
  } else if (story === 'reload') {
    await a.waitFor(`location.pathname === '/' && !!document.getElementById('who')`, 'the signed-in home page');
    console.log(`browser: ${await page(a)}`);
    const cb = chromium.urls().find((u) => u.startsWith(CALLBACK));
    if (!cb) throw new Error('no callback URL to load again');
    await a.send('Page.navigate', { url: cb });
    await a.waitFor(atFailurePage, 'the refused callback');
  } else {
    await a.waitFor(`location.pathname === '/accounts/social/login/cancelled/'`, 'the cancelled page');
  }
  console.log(`browser: ${await page(a)}`);
  // The test's expectation (rules/rulestest: "want RULE PATTERN" in an entry's
  // comment), on the last callback: for the failure page, in the words the
  // browser showed as the page's title.
  const title = await a.evaluate('document.title');
  const want = story === 'two-tabs' ? `want multi-tab-race ${JSON.stringify(`django-allauth's page says "${title.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}"`)}`
    : story === 'reload' ? 'want code-reuse "delivered to the app 2 times"'
      : story === 'lost-session' ? 'want state-mismatch "lacks the cookie\\\\(s\\\\) sessionid"' : '';
  await sleep(500);
  const har = await chromium.har('traceaudit rules/testdata/allauth/rec.mjs');
  const last = har.log.entries.findLast((e) => e.request.url.startsWith(CALLBACK));
  if (want && last) last.comment = want;
  writeFileSync(out, JSON.stringify(har, null, 1) + '\n');
  ok = true;
} finally {
  await chromium.close();
  opServer.close();
  process.exit(ok ? 0 : 1);
}
