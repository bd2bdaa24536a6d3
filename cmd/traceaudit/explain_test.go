package main

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/traceaudit/traceaudit/catalog"
	"github.com/traceaudit/traceaudit/rules"
)

// TestExplainEveryCatalogEntry runs `traceaudit explain` for every entry
// of the error catalog — by its code, or by its message text — and checks
// the answer gives the entry's meaning and advice and names only rules
// that exist.
func TestExplainEveryCatalogEntry(t *testing.T) {
	cat := catalog.Catalog()
	if len(cat) < 50 {
		t.Fatalf("the catalog has only %d entries", len(cat))
	}
	for _, e := range cat {
		key := e.Code
		if key == "" {
			key = e.Match
		}
		code, out, stderr := runCLI(t, nil, "explain", key)
		if code != exitOK {
			t.Errorf("explain %q: exit %d: %s", key, code, stderr)
			continue
		}
		if !strings.Contains(out, "("+string(e.Class)+")") {
			t.Errorf("explain %q: class %s not shown:\n%s", key, e.Class, out)
		}
		if e.Code != "" && (!strings.Contains(out, e.Meaning) || !strings.Contains(out, e.Remediation)) {
			t.Errorf("explain %q: meaning or remediation missing:\n%s", key, out)
		}
		if !strings.Contains(out, "Reported by:") && !strings.Contains(out, "No rule reports") {
			t.Errorf("explain %q: says nothing of the rules:\n%s", key, out)
		}
	}
	for _, id := range []string{"code-reuse", "code-expired", "redirect-uri-mismatch", "multi-tab-race", "pkce-mismatch",
		"client-auth-failed", "spa-cross-origin", "refresh-token-expired", "interaction-required", "wrong-endpoint", "request-loop",
		"state-mismatch", "trace-quality"} {
		if rules.ByID(id) == nil {
			t.Errorf("explain names rule %q, which does not exist", id)
		}
	}
}

// TestExplainForms: a code in any case, its number alone, an OAuth error
// name; an unknown key is a usage error.
func TestExplainForms(t *testing.T) {
	for key, want := range map[string]string{
		"AADSTS54005": "AADSTS54005 (code-reused)", "aadsts54005": "AADSTS54005 (code-reused)", "54005": "AADSTS54005 (code-reused)",
		"invalid_grant": "invalid_grant (invalid-grant)", "AADB2C90088": "AADB2C90088 (tenant)", "MSIS9622": "MSIS9622 (client-auth)",
		"code-reuse": "code-reuse (error)",
		// Microsoft's reference list: a national cloud's tenant, the
		// device code flow's pending poll.
		"AADSTS90038": "AADSTS90038 (tenant)", "90038": "AADSTS90038 (tenant)", "AADSTS70016": "AADSTS70016 (pending)",
	} {
		code, out, stderr := runCLI(t, nil, "explain", key)
		if code != exitOK || !strings.HasPrefix(out, want) {
			t.Errorf("explain %s: exit %d, %q (stderr %q), want it to start %q", key, code, out, stderr, want)
		}
	}
	if code, _, _ := runCLI(t, nil, "explain", "AADSTS1"); code != exitTrouble {
		t.Errorf("explain of an unknown code: exit %d, want 2", code)
	}
	// A code Microsoft's list does not name stays unknown, and the answer
	// says where Microsoft explains it.
	for key, where := range map[string]string{
		"AADSTS530003": "https://login.microsoftonline.com/error?code=530003",
		" aadsts9":     "https://login.microsoftonline.com/error?code=9",
		"AADB2C99998":  "https://learn.microsoft.com/azure/active-directory-b2c/error-codes",
		"MSIS7012":     "AD FS server's Admin event log",
	} {
		code, out, stderr := runCLI(t, nil, "explain", key)
		if code != exitTrouble || out != "" || !strings.Contains(stderr, "is not in traceaudit's catalog") || !strings.Contains(stderr, where) {
			t.Errorf("explain %q: exit %d, stdout %q, stderr %q; want exit 2 and %q", key, code, out, stderr, where)
		}
	}
	// Not a Microsoft code: the rules are listed instead.
	if code, _, stderr := runCLI(t, nil, "explain", "AADSTS12x"); code != exitTrouble || strings.Contains(stderr, "https://") || !strings.Contains(stderr, "rules are:") {
		t.Errorf("explain AADSTS12x: exit %d, stderr %q", code, stderr)
	}
	code, out, _ := runCLI(t, nil, "explain", "AADSTS90038")
	if code != exitOK || !strings.Contains(out, "national cloud") || !strings.Contains(out, "login.microsoftonline.us") || !strings.Contains(out, "wrong-endpoint") {
		t.Errorf("explain AADSTS90038: exit %d, want its meaning, remedy and rule:\n%s", code, out)
	}
}

// TestExplainCodeCauses: an interrupt is explained by its own causes, not
// by its class's silent request that found no session; a code without
// causes of its own keeps its class's.
func TestExplainCodeCauses(t *testing.T) {
	for key, c := range map[string]struct{ want, not string }{
		"AADSTS50140": {`"Stay signed in?" prompt`, "found no session"},
		"AADSTS50076": {"Conditional Access policy or per-user MFA", "found no session"},
		"AADSTS65001": {"has not granted", "found no session"},
		"AADSTS50058": {"found no session", ""},
	} {
		code, out, stderr := runCLI(t, nil, "explain", key)
		_, causes, _ := strings.Cut(out, "Usual causes:")
		causes, _, _ = strings.Cut(causes, "Reported by:")
		if code != exitOK || !strings.Contains(causes, c.want) || (c.not != "" && strings.Contains(causes, c.not)) {
			t.Errorf("explain %s: exit %d (%s), causes %q: want %q, not %q", key, code, stderr, causes, c.want, c.not)
		}
	}
	for _, e := range catalog.Catalog() {
		for _, c := range e.Causes {
			if c == "" || strings.HasSuffix(c, ".") {
				t.Errorf("%s: cause %q: want a clause without a final period, as the class causes", e.Code, c)
			}
		}
	}
}

// TestExplainSignOut: `traceaudit explain` knows the providers' words for
// a refused sign-out and names the sign-out rule that reports them. The
// first key is the description oidc-provider gave in the recorded
// unregistered sign-out (rules/testdata/logout), as `events` reads it.
func TestExplainSignOut(t *testing.T) {
	_, raw, _ := runCLI(t, nil, "events", "-f", "jsonl", "../../rules/testdata/logout/logout-unregistered.har")
	recorded := ""
	for _, line := range strings.Split(raw, "\n") {
		var rec struct {
			Kind  string `json:"kind"`
			Error struct {
				Description string `json:"error_description"`
			} `json:"error"`
		}
		if json.Unmarshal([]byte(line), &rec) == nil && rec.Kind == "logout" && rec.Error.Description != "" {
			recorded = rec.Error.Description
		}
	}
	if recorded == "" {
		t.Fatalf("the recording's logout request carries no error description:\n%s", raw)
	}
	for _, c := range []struct {
		key, class string
		rules      []string
		says       string
	}{
		{recorded, "logout-redirect", []string{"logout-redirect-mismatch"}, "post_logout_redirect_uris"},
		{"The 'post_logout_redirect_uri' parameter must be a Logout redirect URI in the client app settings", "logout-redirect", []string{"logout-redirect-mismatch"}, "Sign-out redirect URIs"},
		{`is not defined as a valid URL in "Allowed Logout URLs"`, "logout-redirect", []string{"logout-redirect-mismatch"}, "Allowed Logout URLs"},
		{"Invalid redirect uri", "redirect-uri", []string{"redirect-uri-mismatch", "logout-redirect-mismatch"}, "Valid post logout redirect URIs"},
		{"Missing parameters: id_token_hint", "logout-hint", []string{"logout-id-token-hint"}, "client_id"},
		{"Invalid parameter: id_token_hint", "logout-hint", []string{"logout-id-token-hint"}, "expired"},
		{"could not validate id_token_hint", "logout-hint", []string{"logout-id-token-hint"}, "renew it"},
		{"AADB2C90272", "logout-hint", []string{"logout-id-token-hint"}, "Require ID Token in logout requests"},
		{"90208", "logout-hint", []string{"logout-id-token-hint"}, "expired"},
		{"AADSTS16002", "logout-session", nil, "Treat the user as signed out"},
	} {
		code, out, stderr := runCLI(t, nil, "explain", c.key)
		if code != exitOK {
			t.Errorf("explain %q: exit %d: %s", c.key, code, stderr)
			continue
		}
		if !strings.Contains(out, "("+c.class+")") || !strings.Contains(out, c.says) {
			t.Errorf("explain %q: want class %s and %q:\n%s", c.key, c.class, c.says, out)
		}
		for _, id := range c.rules {
			if !strings.Contains(out, "  - "+id+": ") {
				t.Errorf("explain %q: rule %s not named:\n%s", c.key, id, out)
			}
		}
		if c.rules == nil && !strings.Contains(out, "No rule reports") {
			t.Errorf("explain %q: names a rule:\n%s", c.key, out)
		}
	}
}
