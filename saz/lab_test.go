package saz

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/traceaudit/traceaudit/internal/labexpect"
	"github.com/traceaudit/traceaudit/oauth"
	"github.com/traceaudit/traceaudit/saz/internal/har2saz"
)

// labScenarios is the fixture lab's recordings (testdata/lab at the
// repository root), shared by every package's tests.
const labScenarios = "../testdata/lab/scenarios"

// The fixture lab's sign-ins, converted from their HAR by
// saz/internal/har2saz as the tests run, read back through the SAZ reader:
// every entry must come back as its session, and every OAuth step the lab
// recorded in the browser must be found at that session.
func TestLabSignIns(t *testing.T) {
	hars, _ := filepath.Glob(filepath.Join(labScenarios, "*", "trace.har"))
	if len(hars) == 0 {
		t.Fatal("no lab scenarios")
	}
	for i, harPath := range hars {
		if testing.Short() && i%3 != 0 {
			// CI's race step, which slows each sign-in several times over
			// and finds a data race in one pass over a path: a third.
			continue
		}
		dir := filepath.Dir(harPath)
		t.Run(filepath.Base(dir), func(t *testing.T) {
			var har struct {
				Log struct {
					Entries []struct {
						Started string `json:"startedDateTime"`
						Request struct {
							Method   string `json:"method"`
							URL      string `json:"url"`
							Version  string `json:"httpVersion"`
							PostData *struct {
								Text string `json:"text"`
							} `json:"postData"`
						} `json:"request"`
						Response struct {
							Status  int `json:"status"`
							Content struct {
								Text     string `json:"text"`
								Encoding string `json:"encoding"`
							} `json:"content"`
						} `json:"response"`
					} `json:"entries"`
				} `json:"log"`
			}
			expect, err := labexpect.Read(filepath.Join(dir, "expect.json"))
			if err != nil {
				t.Fatal(err)
			}
			if data, err := os.ReadFile(filepath.Join(dir, "trace.har")); err != nil {
				t.Fatal(err)
			} else if err := json.Unmarshal(data, &har); err != nil {
				t.Fatal(err)
			}
			harData, err := os.ReadFile(filepath.Join(dir, "trace.har"))
			if err != nil {
				t.Fatal(err)
			}
			data, err := har2saz.Convert(harData)
			if err != nil {
				t.Fatal(err)
			}
			exs, notes := readAll(t, data, Options{})
			for _, n := range notes {
				// An entry the browser never got an answer to (status 0)
				// is a session without a response, and says so.
				var i int
				if _, err := fmt.Sscanf(n.Ref, "session %d", &i); err == nil && n.Kind == "no-response" &&
					i >= 1 && i <= len(har.Log.Entries) && har.Log.Entries[i-1].Response.Status == 0 {
					continue
				}
				t.Errorf("note %+v", n)
			}
			if len(exs) != len(har.Log.Entries) {
				t.Fatalf("%d sessions for %d HAR entries", len(exs), len(har.Log.Entries))
			}
			for i, e := range har.Log.Entries {
				x := exs[i]
				if x.Ref != "session "+strconv.Itoa(i+1) || x.Request.Method != e.Request.Method || x.Request.URL != e.Request.URL || x.Status() != e.Response.Status {
					t.Errorf("entries[%d] %s %s %d came back as %s: %s %s %d", i, e.Request.Method, e.Request.URL, e.Response.Status,
						x.Ref, x.Request.Method, x.Request.URL, x.Status())
				}
				if start, _ := time.Parse(time.RFC3339Nano, e.Started); !x.Start.Equal(start) {
					t.Errorf("entries[%d] started %v, session %v", i, start, x.Start)
				}
				if e.Request.PostData != nil && string(x.Request.Body.Data) != e.Request.PostData.Text {
					t.Errorf("entries[%d] request body differs", i)
				}
				if e.Response.Content.Encoding == "" && x.Response != nil && string(x.Response.Body.Data) != e.Response.Content.Text {
					t.Errorf("entries[%d] response body differs", i)
				}
				if want := labProto(e.Request.Version); x.Request.Proto != want {
					t.Errorf("entries[%d] proto %q, want %q", i, x.Request.Proto, want)
				}
			}
			events := oauth.ExtractAll(exs)
			checked := 0
			for _, want := range expect.Events {
				n, ok := strings.CutPrefix(want.HAR, "entries[")
				if !ok {
					continue // back-channel steps are only in the captures
				}
				idx, _ := strconv.Atoi(strings.TrimSuffix(n, "]"))
				ref := "session " + strconv.Itoa(idx+1)
				found := false
				for _, ev := range events {
					if ev.Ref == ref && ev.Kind.String() == want.Kind && (want.Code == "" || ev.Code.Fingerprint() == want.Code) {
						found = true
					}
				}
				if !found {
					t.Errorf("%s event (%s) not found at %s", want.Kind, want.HAR, ref)
				}
				checked++
			}
			if checked == 0 && len(expect.Events) == 0 {
				t.Errorf("expect.json has no events to check")
			} else if checked == 0 {
				// Every step is on the back channel (a device client's
				// polls): the browser's side holds none, and the SAZ
				// made from its HAR must not show one either.
				for _, ev := range events {
					t.Errorf("%s event at %s, where the browser took no OAuth step", ev.Kind, ev.Ref)
				}
			}
			t.Logf("%d sessions, %d recorded browser steps found", len(exs), checked)
		})
	}
}

func labProto(harVersion string) string {
	switch strings.ToLower(harVersion) {
	case "http/2.0", "h2":
		return "HTTP/2"
	case "", "http/1.1":
		return "HTTP/1.1"
	}
	return strings.ToUpper(harVersion)
}

// The converted lab scenarios committed for other packages' tests read
// cleanly and hold every session the archive lists.
func TestLabFixtures(t *testing.T) {
	paths, _ := filepath.Glob(filepath.Join("testdata", "lab", "*.saz"))
	if len(paths) == 0 {
		t.Fatal("no converted lab fixtures")
	}
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		want := oracle(t, data)
		exs, notes := readAll(t, data, Options{})
		if len(exs) != len(want) {
			t.Errorf("%s: %d sessions of %d", p, len(exs), len(want))
		}
		for _, n := range notes {
			if n.Kind != "no-response" { // HAR entries the browser got no answer to
				t.Errorf("%s: note %+v", p, n)
			}
		}
		if events := oauth.ExtractAll(exs); len(events) == 0 {
			t.Errorf("%s: no OAuth events", p)
		}
	}
}
