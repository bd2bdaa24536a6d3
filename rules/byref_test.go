package rules_test

import (
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/traceaudit/traceaudit/model"
	"github.com/traceaudit/traceaudit/oauth"
	"github.com/traceaudit/traceaudit/rules"
)

// TestStateByReferenceNoOrphan: a sign-in recorded from real Chromium and
// oidc-provider whose authorize request sent its parameters in a request
// object (JAR), with that object made unreadable as an encrypted one is
// (five parts, RFC 9101 §4): the authorize request's state is unknown, so
// the callback that the app refused (its redemption failed out of sight)
// carries no state "that none of the trace's authorize requests sent".
// With the object readable, the state is known and matches.
func TestStateByReferenceNoOrphan(t *testing.T) {
	exs, notes := loadLabHAR(t, labDir+"/redirect-uri-mismatch-token-jar-oidcprovider")
	for _, readable := range []bool{true, false} {
		if !readable {
			for _, ex := range exs {
				u, err := url.Parse(ex.Request.URL)
				if err != nil || u.Query().Get("request") == "" {
					continue
				}
				q := u.Query()
				q.Set("request", "eyJhbGciOiJSU0EtT0FFUCIsImVuYyI6IkEyNTZHQ00ifQ.a2V5.aXY.Y2lwaGVy.dGFn")
				u.RawQuery = q.Encode()
				ex.Request.URL = u.String()
			}
		}
		events := oauth.ExtractAll(exs)
		byRef := false
		for _, ev := range events {
			byRef = byRef || ev.ParamsByReference()
		}
		if byRef == readable {
			t.Fatalf("readable %v: an authorize request by reference: %v", readable, byRef)
		}
		for _, f := range rules.Check(rules.Input{Exchanges: exs, Events: events, Notes: notes}, rules.Options{}) {
			if f.RuleID == "state-mismatch" && strings.Contains(f.Message, "none of the trace's authorize requests sent") {
				t.Errorf("readable %v: %s", readable, f.Message)
			}
		}
	}
}

// TestPushOnlyRedirectMismatch: the server app's back-channel push
// recorded with oidc-provider, in its capture without the browser's
// authorize request (as the app server's own capture is, which holds the
// push, the callback and the redemption): the push is the sign-in's
// authorize request, and the token request's redirect_uri, with a
// trailing slash the pushed one lacks, is redirect-uri-mismatch.
func TestPushOnlyRedirectMismatch(t *testing.T) {
	exs, notes := loadLabPCAP(t, labDir+"/redirect-uri-mismatch-token-par-oidcprovider")
	exs = slices.DeleteFunc(exs, func(ex *model.Exchange) bool { return strings.Contains(ex.Request.URL, "request_uri=") })
	events := oauth.ExtractAll(exs)
	var got []string
	for _, f := range rules.Check(rules.Input{Exchanges: exs, Events: events, Notes: notes}, rules.Options{}) {
		if f.Severity >= rules.Warning {
			got = append(got, f.RuleID)
		}
	}
	if len(got) != 1 || got[0] != "redirect-uri-mismatch" {
		t.Errorf("findings %v, want redirect-uri-mismatch", got)
	}
}
