// The test's expectations for rec-entra.mjs's recordings (rules/rulestest:
// "want RULE PATTERN" in an entry's comment, the pattern a Go string
// literal's body), on the entries the findings point at. Run alone
// (node wants-entra.mjs STORY FILE.har) it rewrites the wants of a recording
// already made: its comments only, no byte of the traffic.
import { readFileSync, writeFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

export function annotate(har, story) {
  const es = har.log.entries;
  for (const e of es) if (e.comment && /want /.test(e.comment)) delete e.comment;
  const authorize = (silent) => es.find((e) => /\/oauth2\/v2\.0\/authorize\?/.test(e.request.url) && e.request.url.includes('prompt=none') === silent);
  const refused = () => es.find((e) => e.request.method === 'POST' && /\/oauth2\/v2\.0\/token/.test(e.request.url) && e.response.status === 400);
  const lib = 'MSAL\\\\.js \\\\(msal-browser\\\\) 5\\\\.31\\\\.0';
  const wants = {
    'redirect-mismatch': [[authorize(false), 'want redirect-uri-mismatch "rejected the redirect URI \\"http://localhost:4942/auth/callback\\" at authorize time \\\\(AADSTS50011\\\\); it is not registered for client 00001111-aaaa-2222-bbbb-3333cccc4444"']],
    'silent-login-required': [[authorize(true), `want interaction-required "with AADSTS50058 .*; ${lib} made it \\\\(prompt=none in a hidden iframe\\\\)"`]],
    'refresh-expired': [[authorize(true), `want interaction-required "in a hidden iframe with AADSTS50058 .*; ${lib} did not send the refresh token issued at entries\\\\[[0-9]+\\\\]: the provider gave it 3s \\\\(refresh_token_expires_in\\\\)"`]],
    'web-platform': [[refused(), 'want spa-cross-origin "\\\\(AADSTS9002326\\\\), but the redirect URI \\"http://localhost:4942/redirect.html\\" is not registered as a Single-Page Application"']],
  }[story] || [];
  for (const [e, want] of wants) {
    if (!e) throw new Error(`no entry for ${want}`);
    e.comment = e.comment ? `${e.comment}; ${want}` : want;
  }
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  const [story, file] = process.argv.slice(2);
  const har = JSON.parse(readFileSync(file, 'utf8'));
  annotate(har, story);
  writeFileSync(file, JSON.stringify(har, null, 1) + '\n');
}
