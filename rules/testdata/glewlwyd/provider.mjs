// Glewlwyd's side of the stories of ../opstories/rec.mjs: its OpenID
// Connect plugin (http://127.0.0.1:4952/api/oidc, started and set up by
// gen.sh and setup.mjs) as the provider, its own login app (login.html, a
// React page: user alice, then Continue, which grants the openid scope the
// client asks for), the client setup.mjs registers.
import { sleep } from '../allauth/cdphar.mjs';

export const name = 'Glewlwyd';
export const issuer = 'http://127.0.0.1:4952/api/oidc';
export const appPort = 4953;
export const client = { id: 'web-app', secret: 'test-only-glewlwyd-client-secret' };
export const scope = 'openid';
// gen.sh gives the code-expired story's plugin a 2-second code lifetime.
export const expiredDelay = 5000;

const origin = 'http://127.0.0.1:4952';
const atForm = `location.origin === '${origin}' && !!document.getElementById('username') && !!document.getElementById('loginbut')`;
const continueButton = `[...document.querySelectorAll('button')].find((b) => b.innerText.trim() === 'Continue')`;
const atContinue = `location.origin === '${origin}' && !!${continueButton}`;
// React keeps the inputs' values in its state: set them as typing would.
const type = (id, v) => `(() => { const el = document.getElementById('${id}'); Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, 'value').set.call(el, '${v}'); el.dispatchEvent(new Event('input', { bubbles: true })); return true; })()`;

export async function atLogin(t, what) {
  await t.waitFor(atForm, `Glewlwyd's login page in ${what}`);
}

export async function login(t) {
  await t.waitFor(atForm, 'Glewlwyd\'s login page');
  await sleep(300);
  await t.evaluate(type('username', 'alice'));
  await t.evaluate(type('password', 'test-only-password'));
  await t.evaluate(`document.getElementById('loginbut').click(); true`);
}

// consent presses Continue on the login app's page for the client, which
// grants the scope asked for.
export async function consent(t) {
  await t.waitFor(atContinue, 'Glewlwyd\'s Continue');
  await sleep(300);
  await t.evaluate(`${continueButton}.click(); true`);
}

// refusedRedirect waits for Glewlwyd's answer to an unregistered redirect
// URI: 403 with no body, which the browser shows as its own error page.
export async function refusedRedirect(t) {
  await sleep(2000);
}

export async function denied() {
  throw new Error('Glewlwyd\'s login app has no refuse button: not recorded');
}

// resume finishes tab B's sign-in: Glewlwyd's session (tab A's login)
// now exists, so B's page shows Continue after a reload.
export async function resume(t) {
  await t.evaluate('location.reload(); true');
  await sleep(1500);
  if (await t.evaluate(atForm)) await login(t);
  await consent(t);
}

// The tests' expectations, written into each HAR by ../opstories/wants.mjs
// (on the last callback the app refused, else the log): the stories whose
// cause is on the app's back channel read as trace-quality in the browser's
// HAR (their captures say more: ../../glewlwyd_test.go).
export const wants = {
  'code-reuse': 'want code-reuse "the callback URL was loaded again"',
  'redirect-mismatch': 'want redirect-uri-mismatch "Glewlwyd rejected the redirect URI .*403 with no body"',
  'two-tabs': 'want multi-tab-race "sign-in #2 overwrote the transient state"',
  'bad-secret': 'want trace-quality',
  'pkce-mismatch': 'want trace-quality',
  'code-expired': 'want trace-quality',
};
