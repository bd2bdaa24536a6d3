// django-oauth-toolkit's side of the stories of ../opstories/rec.mjs: the
// Django site of provider.py (http://127.0.0.1:4966, oauth2_provider's URLs
// under /o/, started by gen.sh) as the OpenID provider, Django's login view
// (alice) and DOT's own consent page (Authorize or Cancel; DOT asks every
// time: REQUEST_APPROVAL_PROMPT "force"), the client provider.py registers.
import { sleep } from '../allauth/cdphar.mjs';

export const name = 'django-oauth-toolkit';
// gen.sh's DOT_PREFIX: where the site includes oauth2_provider.urls.
export const issuer = `http://127.0.0.1:4966/${(process.env.DOT_PREFIX || 'o/').replace(/\/$/, '')}`;
export const appPort = 4967;
export const client = { id: 'web-app', secret: 'test-only-dot-client-secret' };
export const scope = 'openid profile';
// gen.sh gives the code-expired story's provider a 2-second code lifetime.
export const expiredDelay = 5000;

const origin = 'http://127.0.0.1:4966';
const atForm = `location.origin === '${origin}' && !!document.getElementById('id_username') && document.readyState === 'complete'`;
const atConsent = `location.origin === '${origin}' && !!document.getElementById('authorizationForm') && document.readyState === 'complete'`;

export async function atLogin(t, what) {
  await t.waitFor(atForm, `Django's login form in ${what}`);
}

export async function login(t) {
  await t.waitFor(atForm, 'Django\'s login form');
  await sleep(200);
  await t.evaluate(`document.getElementById('id_username').value='alice'; document.getElementById('id_password').value='test-only-password'; document.querySelector('#login input[type=submit]').click(); true`);
}

// consent presses Authorize, or Cancel (the form's submit button without
// the allow field, which DOT answers with access_denied at the callback).
export async function consent(t, decision) {
  await t.waitFor(atConsent, 'DOT\'s consent page');
  await sleep(200);
  await t.evaluate(decision === 'allow'
    ? `document.querySelector('#authorizationForm input[name=allow]').click(); true`
    : `document.querySelector('#authorizationForm input[type=submit]:not([name])').click(); true`);
}

// refusedRedirect signs in (DOT checks the request only once the user is
// signed in) and waits on DOT's error page: "Error: invalid_request",
// "Mismatching redirect URI.", status 400.
export async function refusedRedirect(t) {
  await login(t);
  await t.waitFor(`location.origin === '${origin}' && document.readyState === 'complete' && /Error:/.test(document.body?.innerText || '')`, 'DOT\'s error page');
  await sleep(500);
}

export async function denied(t, atAppError) {
  await t.waitFor(atAppError, 'the app\'s error page');
}

// resume finishes tab B's sign-in: Django's session (tab A's login) now
// exists; B's login form is submitted again (Django's login view shows it
// to a signed-in user too) and consent given.
export async function resume(t) {
  await t.evaluate('location.reload(); true');
  await sleep(1000);
  if (await t.evaluate(atForm)) await login(t);
  await consent(t, 'allow');
}

// The tests' expectations, written into each HAR by ../opstories/wants.mjs
// (on the last callback the app refused, else the log): the stories whose
// cause is on the app's back channel read as trace-quality in the browser's
// HAR (their captures say more: ../../djangooauthtoolkit_test.go).
export const wants = {
  'code-reuse': 'want code-reuse "the callback URL was loaded again"',
  'redirect-mismatch': 'want redirect-uri-mismatch "rejected the redirect URI \\"http://localhost:4967/signin-oidc\\" at authorize time"',
  'two-tabs': 'want multi-tab-race "sign-in #2 overwrote the transient state"',
  'bad-secret': 'want trace-quality',
  'pkce-mismatch': 'want trace-quality',
  'pkce-missing': 'want trace-quality',
  'code-expired': 'want trace-quality',
};
