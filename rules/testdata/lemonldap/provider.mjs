// LemonLDAP::NG's side of the stories of ../opstories/rec.mjs: its portal
// (http://127.0.0.1:4950, started by gen.sh) as the OpenID provider, its
// own login form (Demo authentication: dwho/dwho), its own consent page
// (oidcGiveConsent: Accept or Refuse), the client conf.mjs registers.
import { sleep } from '../allauth/cdphar.mjs';

export const name = 'LemonLDAP::NG';
export const issuer = 'http://127.0.0.1:4950';
export const appPort = 4951;
export const client = { id: 'web-app', secret: 'test-only-lemonldap-client-secret' };
export const scope = 'openid profile email';
// gen.sh gives the code-expired story's client a 2-second code lifetime.
export const expiredDelay = 5000;

const atForm = `location.origin === '${issuer}' && !!document.getElementById('userfield') && document.readyState === 'complete'`;
const atConsent = `location.origin === '${issuer}' && !!document.getElementById('refuse') && document.readyState === 'complete'`;

export async function atLogin(t, what) {
  await t.waitFor(atForm, `LemonLDAP::NG's login form in ${what}`);
}

export async function login(t) {
  await t.waitFor(atForm, 'LemonLDAP::NG\'s login form');
  await sleep(200);
  await t.evaluate(`document.getElementById('userfield').value='dwho'; document.getElementById('passwordfield').value='dwho'; document.querySelector('form.login').submit(); true`);
}

export async function consent(t, decision) {
  await t.waitFor(atConsent, 'LemonLDAP::NG\'s consent page');
  await sleep(200);
  await t.evaluate(decision === 'allow'
    ? `document.querySelector('#form button.positive').click(); true`
    : `document.getElementById('refuse').click(); true`);
}

// refusedRedirect waits on the portal's error page (an unregistered
// redirect URI is answered in the portal, not at the app, once the user
// has signed in).
export async function refusedRedirect(t) {
  await login(t);
  await sleep(1000);
  await t.waitFor(`location.origin === '${issuer}' && document.readyState === 'complete' && !document.getElementById('userfield')`, 'LemonLDAP::NG\'s error page');
  await sleep(500);
}

export async function denied(t, atAppError) {
  await t.waitFor(atAppError, 'the app\'s error page');
}

// resume finishes tab B's sign-in: the portal's session (tab A's login)
// now exists, so B's login form is submitted again and consent given.
export async function resume(t) {
  await t.evaluate('location.reload(); true');
  await sleep(1000);
  if (await t.evaluate(atForm)) await login(t);
  // Consent given in tab A is remembered (the user's persistent session).
  await sleep(1500);
  if (await t.evaluate(atConsent)) await consent(t, 'allow');
}

// The tests' expectations, written into each HAR by ../opstories/wants.mjs
// (on the last callback the app refused, else the log): the stories whose
// cause is on the app's back channel read as trace-quality in the browser's
// HAR (their captures say more: ../../lemonldap_test.go).
export const wants = {
  'code-reuse': 'want code-reuse "the callback URL was loaded again"',
  'redirect-mismatch': 'want redirect-uri-mismatch "LemonLDAP::NG rejected the redirect URI .*after the user signed in at its portal .*Unauthorized URL.*PE_UNAUTHORIZEDURL"',
  'two-tabs': 'want multi-tab-race "sign-in #2 overwrote the transient state"',
  'bad-secret': 'want trace-quality',
  'pkce-mismatch': 'want trace-quality',
  'code-expired': 'want trace-quality',
};
