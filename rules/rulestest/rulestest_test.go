package rulestest

import (
	"fmt"
	"testing"

	"github.com/traceaudit/traceaudit/model"
	"github.com/traceaudit/traceaudit/rules"
	"github.com/traceaudit/traceaudit/secret"
)

// recorder is a testing.TB that keeps the failures instead of failing.
type recorder struct {
	testing.TB
	errs []string
}

func (r *recorder) Helper() {}
func (r *recorder) Errorf(format string, args ...any) {
	r.errs = append(r.errs, fmt.Sprintf(format, args...))
}
func (r *recorder) Fatal(args ...any) { r.errs = append(r.errs, fmt.Sprint(args...)) }

func TestParseWants(t *testing.T) {
	ws, err := ParseWants(`want code-reuse "redeemed \"2\" times"; want trace-quality`, "entries[3]")
	if err != nil {
		t.Fatal(err)
	}
	if len(ws) != 2 || ws[0].Rule != "code-reuse" || ws[0].Message == nil || !ws[0].Message.MatchString(`redeemed "2" times`) ||
		ws[1].Rule != "trace-quality" || ws[1].Message != nil || ws[1].Ref != "entries[3]" {
		t.Errorf("wants = %+v", ws)
	}
	if _, err := ParseWants(`want code-reuse "("`, "entries[0]"); err == nil {
		t.Error("bad pattern accepted")
	}
}

func TestCheck(t *testing.T) {
	f := rules.Finding{RuleID: "code-reuse", Message: "code redeemed 2 times", Evidence: []rules.Evidence{{Ref: "entries[4]"}}}
	cases := []struct {
		name     string
		wants    []Want
		findings []rules.Finding
		fail     bool
	}{
		{"matched", []Want{{Rule: "code-reuse", Ref: "entries[4]"}}, []rules.Finding{f}, false},
		{"missing", []Want{{Rule: "code-reuse", Ref: "entries[4]"}}, nil, true},
		{"unexpected", nil, []rules.Finding{f}, true},
		{"wrong entry", []Want{{Rule: "code-reuse", Ref: "entries[5]"}}, []rules.Finding{f}, true},
		{"other rule's want ignored", []Want{{Rule: "multi-tab-race", Ref: "entries[4]"}}, nil, false},
		{"log-level want", []Want{{Rule: "code-reuse"}}, []rules.Finding{f}, false},
	}
	for _, c := range cases {
		r := &recorder{TB: t}
		Check(r, "code-reuse", c.wants, c.findings)
		if failed := len(r.errs) > 0; failed != c.fail {
			t.Errorf("%s: failed = %v (%v), want %v", c.name, failed, r.errs, c.fail)
		}
	}
}

func TestCheckNoLeak(t *testing.T) {
	ev := model.Event{Ref: "entries[1]", Code: secret.New("raw-code-value-123")}
	r := &recorder{TB: t}
	CheckNoLeak(r, []model.Event{ev}, []rules.Finding{{Message: "code raw-code-value-123 leaked"}})
	if len(r.errs) == 0 {
		t.Error("leak not detected")
	}
	r = &recorder{TB: t}
	CheckNoLeak(r, []model.Event{ev}, []rules.Finding{{Message: "code " + ev.Code.Fingerprint()}})
	if len(r.errs) != 0 {
		t.Errorf("fingerprint reported as a leak: %v", r.errs)
	}
}
