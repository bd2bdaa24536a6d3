package rules_test

import (
	"path/filepath"
	"testing"

	"github.com/traceaudit/traceaudit/catalog"
	"github.com/traceaudit/traceaudit/model"
	"github.com/traceaudit/traceaudit/oauth"
	"github.com/traceaudit/traceaudit/rules"
)

// A redemption's class is classified once and stays what catalog.Classify
// says of its error, on every redemption of the fixtures; a redemption
// given another answer is classified again.
func TestRedemptionClassOnce(t *testing.T) {
	failed := 0
	for _, name := range fixtures(t) {
		fx, err := fixture(filepath.Join("testdata", name))
		if err != nil {
			t.Fatal(err)
		}
		a := rules.Analyze(rules.Input{Exchanges: fx.Exchanges, Events: oauth.ExtractAll(fx.Exchanges)}, rules.Options{})
		var all []*rules.Redemption
		for _, c := range a.Codes {
			all = append(all, c.Redemptions...)
		}
		all = append(append(all, a.Refreshes...), a.OtherGrants...)
		for _, r := range all {
			want := catalog.ClassNone
			if r.Response != nil && r.Response.Err != nil {
				info, _ := catalog.Classify(r.Response.Err, r.Request.Provider().Family)
				want = info.Class
				failed++
			}
			for range 2 {
				if got := r.Class(); got != want {
					t.Fatalf("%s, %s: class %q, want %q", name, r.Request.Ref, got, want)
				}
			}
			if r.Response == nil || r.Response.Err == nil {
				continue
			}
			if n := testing.AllocsPerRun(5, func() { r.Class() }); n != 0 {
				t.Errorf("%s, %s: %.0f allocations to ask the class again, want none (classified each time)", name, r.Request.Ref, n)
			}
			// Another answer: an AADSTS70008 (an expired code).
			resp := *r.Response
			resp.Err = &model.ProviderError{Error: "invalid_grant", Codes: []string{"AADSTS70008"}}
			r.Response = &resp
			if got := r.Class(); got != catalog.ClassCodeExpired {
				t.Errorf("%s, %s: class %q after the answer changed, want %q", name, r.Request.Ref, got, catalog.ClassCodeExpired)
			}
		}
	}
	if failed < 10 {
		t.Fatalf("%d failed redemptions in the fixtures, want at least 10", failed)
	}
}
