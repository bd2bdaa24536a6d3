// Runs one sign-in story through real software and writes what the browser
// saw as a HAR, for gen.sh: panva's oidc-provider as the OpenID provider
// (http://127.0.0.1:4881), a Rails app signing in through Devise and
// OmniAuth (http://localhost:4882, started by gen.sh: config.ru, its
// callback /users/auth/labop/callback) and a headless Chromium driven over
// the DevTools protocol (../allauth/cdphar.mjs). Versions are pinned by
// package.json, package-lock.json and Debian's packages. All secrets are
// test-only values.
//
// Usage: node --experimental-websocket rec.mjs STORY OUT.har
//   clean       one sign-in: Devise flashes "Successfully authenticated from
//               Labop account." and redirects home
//   two-tabs    sign-in started in tab A, then in tab B (OmniAuth keeps one
//               state in the session, session["omniauth.state"]: B's
//               replaces A's), then finished in tab A: OmniAuth fails
//               csrf_detected, Devise's failure action flashes it and
//               redirects to the sign-in page
//   bad-secret  the app runs with a wrong client secret (gen.sh): the
//               provider refuses its token request, OmniAuth fails
//               invalid_credentials, Devise flashes it
//   denied      the user refuses at the provider: error=access_denied
// Prints what the browser saw; exits non-zero when the story did not happen.
import { writeFileSync } from 'node:fs';
import Provider from 'oidc-provider';
import { browser, sleep } from './cdphar.mjs';

const [story, out] = process.argv.slice(2);
if (!['clean', 'two-tabs', 'bad-secret', 'denied'].includes(story) || !out) throw new Error('usage: rec.mjs STORY OUT.har');
const OP = 'http://127.0.0.1:4881';
const APP = 'http://localhost:4882';
const CALLBACK = `${APP}/users/auth/labop/callback`;
const USER = 'alice', PASSWORD = 'test-only-password';

// --- the provider: oidc-provider with a login form and consent granted ---
const provider = new Provider(OP, {
  clients: [{
    client_id: 'devise-app', client_secret: 'test-only-client-secret-for-devise-app',
    redirect_uris: [CALLBACK], grant_types: ['authorization_code'], response_types: ['code'],
    token_endpoint_auth_method: 'client_secret_post',
  }],
  cookies: { keys: ['test-only-cookie-key-of-the-provider'] },
  claims: { openid: ['sub'], profile: ['name'] },
  features: { devInteractions: { enabled: false } },
  // omniauth-oauth2 1.8 sends no PKCE challenge unless asked (option :pkce).
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
const opServer = provider.listen(4881, '127.0.0.1');

// --- the browser ---
const chromium = await browser();
const tab = chromium.tab;

const atLoginForm = `location.pathname.startsWith('/interaction/') && !!document.getElementById('username')`;
const submit = (t, deny) => t.evaluate(`document.getElementById('username').value=${JSON.stringify(USER)};
  document.getElementById('password').value=${JSON.stringify(PASSWORD)};
  document.getElementById('deny').value=${JSON.stringify(deny ? '1' : '')}; document.forms[0].submit(); true`);
const page = (t) => t.evaluate(`location.href + ' | ' + document.title + ' | ' + document.body.innerText.replace(/\\s+/g, ' ').slice(0, 300)`);
const atSignInPage = `location.pathname === '/users/sign_in' && !!document.querySelector('p.alert')?.textContent`;

let ok = false;
try {
  const a = await tab();
  await a.send('Page.navigate', { url: `${APP}/users/auth/labop` });
  await a.waitFor(atLoginForm, 'the login form in tab A');
  if (story === 'two-tabs') {
    const b = await tab();
    await b.send('Page.navigate', { url: `${APP}/users/auth/labop` });
    await b.waitFor(atLoginForm, 'the login form in tab B');
  }
  await sleep(300);
  await submit(a, story === 'denied');
  if (story === 'clean') {
    await a.waitFor(`location.pathname === '/' && !!document.getElementById('who')`, 'the signed-in home page');
  } else {
    await a.waitFor(atSignInPage, 'the sign-in page with the flash alert');
  }
  console.log(`browser: ${await page(a)}`);
  await sleep(500);
  const har = await chromium.har('traceaudit rules/testdata/devise/rec.mjs');
  // The test's expectation (rules/rulestest: "want RULE PATTERN" in an
  // entry's comment), on the callback: Devise's flash as the page showed it.
  const reason = /because "([^"]*)"/.exec(await a.evaluate(`document.querySelector('p.alert')?.textContent`) || '')?.[1] || '';
  const want = { 'two-tabs': 'multi-tab-race', 'bad-secret': 'trace-quality' }[story];
  const cb = har.log.entries.findLast((e) => e.request.url.startsWith(CALLBACK));
  if (want && cb) cb.comment = `want ${want} ${JSON.stringify(`OmniAuth \\(Devise\\) says "${reason}"`)}`;
  writeFileSync(out, JSON.stringify(har, null, 1) + '\n');
  ok = true;
} catch (e) {
  console.log(`error: ${e.message}`);
} finally {
  await chromium.close();
  opServer.close();
  process.exit(ok ? 0 : 1);
}
