// The test's expectation of each recording (rules/rulestest: "want RULE
// PATTERN" in an entry's comment), written on the entry the finding points
// at: the provider's refusal of the authorize request, or the last
// callback the app refused (Express's 500 page, Auth.js's redirect to its
// error page). rec.mjs calls mark on each HAR it writes; run alone it
// rewrites the comments of a recording already made, nothing else:
//
//   node wants.mjs LIB STORY FILE.har
import { readFileSync, writeFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

export const wants = {
  msalnode: {
    'two-tabs': 'want multi-tab-race "MSAL Node says \\"ClientAuthError: state_mismatch\\""',
    reload: 'want code-reuse "the app redeemed the code again and the provider refused it: .*MSAL Node says \\"ServerError: invalid_grant\\""',
    'bad-secret': 'want client-auth-failed "MSAL Node says \\"ServerError: invalid_client\\"\\\\): MSAL Node raises the provider\'s answer to the app\'s own token request"',
    'redirect-mismatch': 'want redirect-uri-mismatch "not registered for client msalnode-app; the sign-in was started by MSAL Node 7\\\\.2\\\\.4 \\\\(the authorize request\'s x-client-SKU\\\\)"',
    'lost-session': 'want state-mismatch "lacks the cookie\\\\(s\\\\) connect.sid .*MSAL Node skipped its state check and redeemed the code without the verifier"',
  },
  authjs: {
    'two-tabs': 'want multi-tab-race "sign-in #1\'s callback at entries\\\\[\\\\d+\\\\] failed \\\\(redirected to .*error=Configuration"',
    reload: 'want code-reuse "its answer deleted the cookie\\\\(s\\\\) authjs.pkce.code_verifier that the sign-in\'s start set, and this callback came without them"',
    'bad-secret': 'want trace-quality "error=Configuration, Auth.js / NextAuth.js\'s error redirect, which names no cause\\\\) and the trace cannot tell why"',
    'redirect-mismatch': 'want redirect-uri-mismatch "the sign-in was started by Auth.js \\\\(its cookies set at entries\\\\[\\\\d+\\\\]\\\\)"',
    'lost-session': 'want state-mismatch "lacks the cookie\\\\(s\\\\) authjs.pkce.code_verifier .*no other sign-in in this trace set it again"',
  },
  oidc6: {
    'two-tabs': 'want multi-tab-race "openid-client says \\"unexpected .+state.+ response parameter value\\""',
    reload: 'want code-reuse "the app redeemed the code again and the provider refused it: .*openid-client says \\"ResponseBodyError: invalid_grant\\""',
    'bad-secret': 'want client-auth-failed "openid-client says \\"ResponseBodyError: invalid_client\\""',
    'redirect-mismatch': 'want redirect-uri-mismatch "not registered for client oidc6-app"',
    'lost-session': 'want state-mismatch "openid-client says \\"unexpected .+state.+ response parameter encountered\\".*lacks the cookie\\\\(s\\\\) connect.sid"',
  },
};

// mark writes the want of lib's story on its entry of har.
export function mark(har, lib, story) {
  const want = (wants[lib] || {})[story];
  if (!want) return;
  const refused = (e) => e.response.status >= 500 || /[?&]error=/.test(e.response.redirectURL || '');
  const at = story === 'redirect-mismatch'
    ? har.log.entries.find((e) => /^https:\/\/127\.0\.0\.1:4951\/auth\?/.test(e.request.url))
    : har.log.entries.findLast((e) => e.request.url.startsWith('http://localhost:4952/') && /[?&]code=/.test(e.request.url) && refused(e));
  if (!at) throw new Error(`no entry for the want of ${lib} ${story}`);
  at.comment = want;
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  const [lib, story, file] = process.argv.slice(2);
  const har = JSON.parse(readFileSync(file, 'utf8'));
  for (const e of har.log.entries) delete e.comment;
  mark(har, lib, story);
  writeFileSync(file, JSON.stringify(har, null, 1) + '\n');
}
