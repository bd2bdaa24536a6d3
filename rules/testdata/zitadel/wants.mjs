// Writes the test's expectations into a HAR rec.mjs recorded (rules/rulestest:
// "want RULE PATTERN" in an entry's comment, the pattern a Go string
// literal's body) on the entries the findings point at. gen.sh runs it after
// each story; the patterns say what traceaudit must say of each.
//
// Usage: node wants.mjs APP STORY FILE.har
import { readFileSync, writeFileSync } from 'node:fs';

const [app, story, file] = process.argv.slice(2);
const har = JSON.parse(readFileSync(file, 'utf8'));
const es = har.log.entries;
const OP = 'http://127.0.0.1:4981';
const tokenPosts = () => es.filter((e) => e.request.method === 'POST' && e.request.url === `${OP}/oauth/token`);
const authorize = (silent) => es.find((e) => e.request.url.startsWith(`${OP}/authorize?`) && e.request.url.includes('prompt=none') === silent);
const callbacks = (path) => es.filter((e) => e.request.url.startsWith(`${path}?`));
const wants = {
  'spa:cors-blocked': [[tokenPosts()[0], 'want spa-cross-origin "browser JavaScript at http://localhost:4982 tried to send the code to the token endpoint cross-origin at entries\\\\[[0-9]+\\\\] and CORS stopped it before it left the browser: its CORS preflight at entries\\\\[[0-9]+\\\\] was refused: the page asked to send the request header auth0-client, .*; the app tried again at entries\\\\[[0-9]+\\\\], entries\\\\[[0-9]+\\\\], stopped the same way; the provider never saw the request, so the code was never redeemed"']],
  'spa:redirect-mismatch': [[authorize(false), 'want redirect-uri-mismatch "rejected the redirect URI \\"http://localhost:4982/auth/callback\\" at authorize time \\\\(invalid_request\\\\); it is not registered for client spa"']],
  'spa:reload': [[callbacks('http://localhost:4982/callback.html').at(-1), 'want code-reuse "and no second token request follows: the app\'s JavaScript redeems the code .*found the sign-in\'s state consumed by the first callback"']],
  'spa:silent': [[authorize(true), 'want interaction-required "answered 1 silent request\\\\(s\\\\) with login_required"']],
  'web:bad-secret': [[callbacks('http://localhost:4983/auth/callback')[0], 'want client-auth-failed "golang.org/x/oauth2 says \\"oauth2: invalid_client\\"\\\\): golang.org/x/oauth2 raises the provider\'s answer to the app\'s own token request, so the provider refused the credentials of client web"']],
  'web:pkce-missing': [[callbacks('http://localhost:4983/auth/callback')[0], 'want trace-quality "HTTP 500, golang.org/x/oauth2 says \\"oauth2: invalid_request\\"\\\\) and the trace cannot tell why"']],
  'web:redirect-mismatch': [[authorize(false), 'want redirect-uri-mismatch "rejected the redirect URI \\"http://localhost:4983/callback\\" at authorize time \\\\(invalid_request\\\\); it is not registered for client web"']],
  'web:reload': [[callbacks('http://localhost:4983/auth/callback').at(-1), 'want code-reuse "the callback URL was loaded again at entries\\\\[[0-9]+\\\\] after the first delivery .*: the app redeemed the code again and the provider refused it: the app\'s page quotes the provider\'s answer \\\\(HTTP 500, golang.org/x/oauth2 says \\"oauth2: invalid_grant\\"\\\\)"']],
  'web:two-tabs': [[callbacks('http://localhost:4983/auth/callback')[0], 'want multi-tab-race "carries cookie pkce holding sign-in #2\'s PKCE verifier"']],
}[`${app}:${story}`] || [];
for (const [e, want] of wants) {
  if (!e) throw new Error(`no entry for ${want}`);
  e.comment = e.comment ? `${e.comment}; ${want}` : want;
}
writeFileSync(file, JSON.stringify(har, null, 1) + '\n');
