// Package rulestest runs a rule over HAR fixtures whose expectations sit
// next to the traffic: an entry's "comment" holds `want RULE-ID` (optionally
// followed by a quoted regular expression the message must match), and the
// log's comment holds wants for findings without evidence. A want no finding
// satisfies fails the test, and so does a finding no want expects.
package rulestest

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/traceaudit/traceaudit/parse"
	"github.com/traceaudit/traceaudit/rules"
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
	Exchanges []*parse.Exchange
	Wants     []Want
}

// fixtureHAR is the subset of HAR 1.2 fixtures use.
type fixtureHAR struct {
	Log struct {
		Comment string `json:"comment"`
		Entries []struct {
			Pageref         string  `json:"pageref"`
			StartedDateTime string  `json:"startedDateTime"`
			Time            float64 `json:"time"`
			Connection      string  `json:"connection"`
			Comment         string  `json:"comment"`
			Request         struct {
				Method   string    `json:"method"`
				URL      string    `json:"url"`
				Headers  []nameVal `json:"headers"`
				PostData *struct {
					MimeType string `json:"mimeType"`
					Text     string `json:"text"`
				} `json:"postData"`
			} `json:"request"`
			Response *struct {
				Status  int       `json:"status"`
				Headers []nameVal `json:"headers"`
				Content struct {
					MimeType string `json:"mimeType"`
					Text     string `json:"text"`
				} `json:"content"`
			} `json:"response"`
		} `json:"entries"`
	} `json:"log"`
}

type nameVal struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// LoadHAR decodes a fixture. It reads only what the rules need; the har
// package is the real reader for user traces.
func LoadHAR(path string) (*Fixture, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var h fixtureHAR
	if err := json.Unmarshal(data, &h); err != nil {
		return nil, fmt.Errorf("rulestest: %s: %w", path, err)
	}
	fx := &Fixture{}
	if fx.Wants, err = ParseWants(h.Log.Comment, ""); err != nil {
		return nil, err
	}
	for i, e := range h.Log.Entries {
		ref := "entries[" + strconv.Itoa(i) + "]"
		ex := &parse.Exchange{Index: i, Ref: ref, Conn: e.Connection, Page: e.Pageref, Comment: e.Comment}
		if e.StartedDateTime != "" {
			t, err := time.Parse(time.RFC3339Nano, e.StartedDateTime)
			if err != nil {
				return nil, fmt.Errorf("rulestest: %s: %s: %w", path, ref, err)
			}
			ex.Start = t
			ex.End = t.Add(time.Duration(e.Time * float64(time.Millisecond)))
		}
		ex.Request.Method, ex.Request.URL = e.Request.Method, e.Request.URL
		for _, hv := range e.Request.Headers {
			ex.Request.Headers = append(ex.Request.Headers, parse.Header{Name: hv.Name, Value: hv.Value})
		}
		if pd := e.Request.PostData; pd != nil {
			ex.Request.Body = parse.Body{Size: int64(len(pd.Text)), Data: []byte(pd.Text), MIMEType: mediaType(pd.MimeType)}
		}
		if r := e.Response; r != nil && r.Status != 0 {
			resp := &parse.Response{Status: r.Status}
			for _, hv := range r.Headers {
				resp.Headers = append(resp.Headers, parse.Header{Name: hv.Name, Value: hv.Value})
			}
			resp.Body = parse.Body{Size: int64(len(r.Content.Text)), Data: []byte(r.Content.Text), MIMEType: mediaType(r.Content.MimeType)}
			ex.Response = resp
		}
		w, err := ParseWants(e.Comment, ref)
		if err != nil {
			return nil, err
		}
		fx.Wants = append(fx.Wants, w...)
		fx.Exchanges = append(fx.Exchanges, ex)
	}
	return fx, nil
}

func mediaType(s string) string {
	return strings.ToLower(strings.TrimSpace(strings.Split(s, ";")[0]))
}

// Run checks rule r against each fixture file under dir.
func Run(t *testing.T, dir string, r *rules.Rule, files ...string) {
	t.Helper()
	RunOptions(t, dir, r, rules.Options{}, files...)
}

// RunOptions is Run with analysis options (e.g. a --code-lifetime).
func RunOptions(t *testing.T, dir string, r *rules.Rule, opts rules.Options, files ...string) {
	t.Helper()
	for _, file := range files {
		t.Run(file, func(t *testing.T) {
			fx, err := LoadHAR(filepath.Join(dir, file))
			if err != nil {
				t.Fatal(err)
			}
			events := parse.ExtractAll(fx.Exchanges)
			a := rules.Analyze(rules.Input{Exchanges: fx.Exchanges, Events: events}, opts)
			findings := rules.Run(a, []*rules.Rule{r})
			Check(t, r.ID, fx.Wants, findings)
			CheckNoLeak(t, events, findings)
		})
	}
}

// Check matches findings of one rule against wants.
func Check(t *testing.T, ruleID string, wants []Want, findings []rules.Finding) {
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

// CheckNoLeak fails when a raw secret of the events (code, verifier, state,
// tokens, client secret) appears in the JSON of the findings.
func CheckNoLeak(t *testing.T, events []parse.Event, findings []rules.Finding) {
	t.Helper()
	out, err := json.Marshal(findings)
	if err != nil {
		t.Fatal(err)
	}
	s := string(out)
	for _, ev := range events {
		for _, sec := range []parse.Secret{ev.Code, ev.CodeVerifier, ev.State, ev.Nonce, ev.AccessToken, ev.IDToken,
			ev.RefreshToken, ev.ClientSecret, ev.Assertion} {
			if sec.Len() >= 6 && strings.Contains(s, sec.Reveal()) {
				t.Errorf("%s: a raw secret (%s) leaked into the findings", ev.Ref, sec)
			}
		}
	}
}
