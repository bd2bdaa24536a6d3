package rules_test

import (
	"strings"
	"testing"
	"time"

	"github.com/traceaudit/traceaudit/model"
	"github.com/traceaudit/traceaudit/rules"
	"github.com/traceaudit/traceaudit/secret"
)

// One state sent by different sign-ins is reported once per state, with its
// first two sign-ins and how many sent it; a state sent once is not.
func TestStateReusedBySignIns(t *testing.T) {
	t0 := time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)
	prov := &model.Provider{Family: model.FamilyEntra, Host: "login.microsoftonline.com"}
	var evs []model.Event
	add := func(state, client, nonce string) {
		i := len(evs)
		evs = append(evs, model.Event{Kind: model.AuthorizeRequest, Exchange: i, Ref: "entries[" + string(rune('0'+i)) + "]",
			Time: t0.Add(time.Duration(i) * time.Second), Prov: prov, Target: &model.Target{Method: "GET", Endpoint: "https://login.microsoftonline.com/common/oauth2/v2.0/authorize", ClientID: client, RedirectURI: "https://app.example/cb"}, State: secret.New(state),
			Authz: &model.AuthorizeParams{ResponseType: "code", Nonce: secret.New(nonce)}})
	}
	add("S", "c1", "n0")
	add("T", "c1", "n1")
	add("T", "c2", "n2")
	add("S", "c2", "n3")
	add("U", "c1", "n4")
	add("S", "c3", "n5")
	a := rules.Analyze(rules.Input{Events: evs}, rules.Options{})
	var got []string
	for _, f := range rules.Run(a, []*rules.Rule{rules.StateMismatch}) {
		if strings.Contains(f.Message, "send the same state") {
			got = append(got, f.Message)
		}
	}
	if len(got) != 2 {
		t.Fatalf("findings %q, want one for S and one for T", got)
	}
	all := strings.Join(got, "\n")
	for _, want := range []string{"3 different sign-ins (entries[0], entries[3])", "2 different sign-ins (entries[1], entries[2])"} {
		if !strings.Contains(all, want) {
			t.Errorf("no %q in %q", want, got)
		}
	}
}
