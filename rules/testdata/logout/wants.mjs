// The test's expectation of each recording (rules/rulestest: "want RULE
// PATTERN" in an entry's comment), written on the entry the finding's first
// evidence points at. rec.mjs calls mark on each HAR it writes; run alone
// it rewrites the comments of a recording already made, nothing else:
//
//   node wants.mjs STORY FILE.har
import { readFileSync, writeFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

export const wants = {
  unregistered: ['logout-redirect-mismatch "post_logout_redirect_uri http://localhost:4962/bye is not registered for client logout-app \\\\(invalid_request: \\"post_logout_redirect_uri not registered\\"\\\\)"',
    (e) => e.request.url.startsWith('https://127.0.0.1:4961/session/end?')],
  'missing-hint': ['logout-id-token-hint "sent the browser to https://127.0.0.1:4961/session/end/success, not back to the app\'s post_logout_redirect_uri http://localhost:4962/signed-out: the request carried neither id_token_hint nor client_id"',
    (e) => e.request.url.startsWith('https://127.0.0.1:4961/session/end?')],
  'local-only': ['logout-not-propagated "the app\'s sign-out at entries\\\\[\\\\d+\\\\] ended only its own session .*the user was signed straight back in"',
    (e) => e.request.url === 'http://localhost:4962/logout'],
};

// mark writes the want of story on its entry of har.
export function mark(har, story) {
  const w = wants[story];
  if (!w) return;
  const at = har.log.entries.find(w[1]);
  if (!at) throw new Error(`no entry for the want of ${story}`);
  at.comment = `want ${w[0]}`;
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  const [story, file] = process.argv.slice(2);
  const har = JSON.parse(readFileSync(file, 'utf8'));
  for (const e of har.log.entries) delete e.comment;
  mark(har, story);
  writeFileSync(file, JSON.stringify(har, null, 1) + '\n');
}
