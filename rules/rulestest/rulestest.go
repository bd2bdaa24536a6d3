// Package rulestest runs a rule over fixtures whose expectations sit next to
// the traffic: an exchange's comment (a HAR entry's "comment") holds
// `want RULE-ID` (optionally followed by a quoted regular expression the
// message must match), and the trace's own comment (a HAR log's) holds wants
// for findings without evidence. A want no finding satisfies fails the test,
// and so does a finding no want expects.
//
// It reads no trace format itself: the test passes a Loader (the rules
// tests read HAR with the real reader), so rules and their test kit depend
// on the model only.
package rulestest

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/traceaudit/traceaudit/model"
	"github.com/traceaudit/traceaudit/oauth"
	"github.com/traceaudit/traceaudit/rules"
	"github.com/traceaudit/traceaudit/secret"
)

// Want is one expectation: a finding of Rule with evidence at Ref ("" for a
// log-level want) whose message matches Message (nil: any).
type Want struct {
	Rule    string
	Ref     string
	Message *regexp.Regexp
}

var wantRE = regexp.MustCompile(`want\s+([a-z0-9][a-z0-9-]*)(?:\s+"((?:[^"\\]|\\.)*)")?`)

// ParseWants reads the wants of one comment.
func ParseWants(comment, ref string) ([]Want, error) {
	var out []Want
	for _, m := range wantRE.FindAllStringSubmatch(comment, -1) {
		w := Want{Rule: m[1], Ref: ref}
		if m[2] != "" {
			pat, err := strconv.Unquote(`"` + m[2] + `"`)
			if err != nil {
				return nil, fmt.Errorf("rulestest: %s: bad want pattern: %w", ref, err)
			}
			if w.Message, err = regexp.Compile(pat); err != nil {
				return nil, fmt.Errorf("rulestest: %s: bad want pattern: %w", ref, err)
			}
		}
		out = append(out, w)
	}
	return out, nil
}

// Fixture is a decoded trace with its expectations.
type Fixture struct {
	Exchanges []*model.Exchange
	Wants     []Want
}

// Loader reads one fixture file into its exchanges and the trace-level
// comment ("" when the format has none).
type Loader func(path string) (exchanges []*model.Exchange, comment string, err error)

// NewFixture collects the wants of a trace's exchanges and of its comment.
func NewFixture(exs []*model.Exchange, comment string) (*Fixture, error) {
	fx := &Fixture{Exchanges: exs}
	var err error
	if fx.Wants, err = ParseWants(comment, ""); err != nil {
		return nil, err
	}
	for _, ex := range exs {
		w, err := ParseWants(ex.Comment, ex.Ref)
		if err != nil {
			return nil, err
		}
		fx.Wants = append(fx.Wants, w...)
	}
	return fx, nil
}

// Load reads a fixture with load and collects its wants.
func Load(load Loader, path string) (*Fixture, error) {
	exs, comment, err := load(path)
	if err != nil {
		return nil, fmt.Errorf("rulestest: %s: %w", path, err)
	}
	return NewFixture(exs, comment)
}

// Run checks rule r against each fixture file under dir.
func Run(t *testing.T, load Loader, dir string, r *rules.Rule, files ...string) {
	t.Helper()
	RunOptions(t, load, dir, r, rules.Options{}, files...)
}

// RunOptions is Run with analysis options (e.g. a --code-lifetime).
func RunOptions(t *testing.T, load Loader, dir string, r *rules.Rule, opts rules.Options, files ...string) {
	t.Helper()
	for _, file := range files {
		t.Run(file, func(t *testing.T) {
			fx, err := Load(load, filepath.Join(dir, file))
			if err != nil {
				t.Fatal(err)
			}
			events := oauth.ExtractAll(fx.Exchanges)
			a := rules.Analyze(rules.Input{Exchanges: fx.Exchanges, Events: events}, opts)
			findings := rules.Run(a, []*rules.Rule{r})
			Check(t, r.ID, fx.Wants, findings)
			CheckNoLeak(t, events, findings)
		})
	}
}

// RunEach checks each of rs against each fixture file under dir, as Run
// does rule by rule (subtests rule/file), reading and analysing each file
// once: the analysis is read-only while rules run, and reading every
// fixture again for every rule was most of the rules tests' time.
func RunEach(t *testing.T, load Loader, dir string, rs []*rules.Rule, files ...string) {
	t.Helper()
	type analysed struct {
		fx     *Fixture
		events []model.Event
		a      *rules.Analysis
		err    error
	}
	cache := map[string]*analysed{}
	analyse := func(file string) *analysed {
		if c, ok := cache[file]; ok {
			return c
		}
		c := &analysed{}
		if c.fx, c.err = Load(load, filepath.Join(dir, file)); c.err == nil {
			c.events = oauth.ExtractAll(c.fx.Exchanges)
			c.a = rules.Analyze(rules.Input{Exchanges: c.fx.Exchanges, Events: c.events}, rules.Options{})
		}
		cache[file] = c
		return c
	}
	for _, r := range rs {
		t.Run(r.ID, func(t *testing.T) {
			for _, file := range files {
				t.Run(file, func(t *testing.T) {
					c := analyse(file)
					if c.err != nil {
						t.Fatal(c.err)
					}
					findings := rules.Run(c.a, []*rules.Rule{r})
					Check(t, r.ID, c.fx.Wants, findings)
					CheckNoLeak(t, c.events, findings)
				})
			}
		})
	}
}

// Check matches findings of one rule against wants.
func Check(t testing.TB, ruleID string, wants []Want, findings []rules.Finding) {
	t.Helper()
	var mine []Want
	for _, w := range wants {
		if w.Rule == ruleID {
			mine = append(mine, w)
		}
	}
	matches := func(w Want, f rules.Finding) bool {
		if f.RuleID != w.Rule || (w.Message != nil && !w.Message.MatchString(f.Message)) {
			return false
		}
		if w.Ref == "" {
			return true
		}
		for _, e := range f.Evidence {
			if e.Ref == w.Ref {
				return true
			}
		}
		return false
	}
	for _, w := range mine {
		ok := false
		for _, f := range findings {
			if matches(w, f) {
				ok = true
				break
			}
		}
		if !ok {
			msg := ""
			if w.Message != nil {
				msg = fmt.Sprintf(" matching %q", w.Message)
			}
			t.Errorf("%s: want %s%s, not found; findings: %s", orLog(w.Ref), w.Rule, msg, describe(findings))
		}
	}
	for _, f := range findings {
		ok := false
		for _, w := range mine {
			if matches(w, f) {
				ok = true
				break
			}
		}
		if !ok {
			t.Errorf("unexpected finding: %s", describe([]rules.Finding{f}))
		}
	}
}

func orLog(ref string) string {
	if ref == "" {
		return "log"
	}
	return ref
}

func describe(fs []rules.Finding) string {
	if len(fs) == 0 {
		return "none"
	}
	var b strings.Builder
	for _, f := range fs {
		var refs []string
		for _, e := range f.Evidence {
			refs = append(refs, e.Ref)
		}
		fmt.Fprintf(&b, "\n\t%s %s [%s] %s", f.RuleID, f.Severity, strings.Join(refs, " "), f.Message)
	}
	return b.String()
}

// plainChallenge is an authorize request's PKCE challenge when it is the
// verifier itself (plain or no method).
func plainChallenge(ev *model.Event) secret.Secret {
	if strings.EqualFold(ev.CodeChallengeMethod(), "S256") {
		return secret.Secret{}
	}
	return ev.CodeChallenge()
}

// CheckNoLeak fails when a raw secret of the events (code, verifier, state,
// tokens, client secret) appears in the JSON of the findings.
func CheckNoLeak(t testing.TB, events []model.Event, findings []rules.Finding) {
	t.Helper()
	out, err := json.Marshal(findings)
	if err != nil {
		t.Fatal(err)
	}
	s := string(out)
	for _, ev := range events {
		for _, sec := range []secret.Secret{ev.Code, ev.CodeVerifier(), ev.State, ev.Nonce(), ev.AccessToken(), ev.IDToken(),
			ev.RefreshToken(), ev.ClientSecret(), ev.Assertion(), plainChallenge(&ev)} {
			// A sanitizer's placeholder or a fingerprint is no secret.
			if sec.Len() >= secret.ScrubMin && !secret.IsPlaceholder(sec) && !sec.IsRedacted() && strings.Contains(s, sec.Reveal()) {
				t.Errorf("%s: a raw secret (%s) leaked into the findings", ev.Ref, sec)
			}
		}
	}
}
