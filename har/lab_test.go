package har

import (
	"net/url"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/traceaudit/traceaudit/internal/labexpect"
	"github.com/traceaudit/traceaudit/model"
)

// labHARs are the fixture lab's browser recordings (testdata/lab/README.md).
var labHARs = filepath.Join("..", "testdata", "lab", "scenarios", "*", "trace.har")

// TestLab reads the fixture lab's recordings (real Chromium sign-ins
// against zitadel and fosite) and checks every exchange against the
// encoding/json oracle and every browser event of expect.json against the
// exchange its "har" ref names.
func TestLab(t *testing.T) {
	names, err := filepath.Glob(labHARs)
	if err != nil || len(names) == 0 {
		t.Fatalf("no lab recordings: %v", err)
	}
	for _, path := range names {
		t.Run(filepath.Base(filepath.Dir(path)), func(t *testing.T) {
			exs, r := readFile(t, path, Options{})
			oracle := readOracle(t, path).Log.Entries
			if len(exs) != len(oracle) || len(r.Notes()) != 0 {
				t.Fatalf("%d exchanges, oracle %d; notes %v", len(exs), len(oracle), r.Notes())
			}
			for i, ex := range exs {
				o := oracle[i]
				if ex.Ref != "entries["+strconv.Itoa(i)+"]" || ex.Request.Method != o.Request.Method ||
					ex.Request.URL != o.Request.URL || o.Response == nil || ex.Status() != o.Response.Status {
					t.Errorf("%s: %s %s %d; oracle %s %s", ex.Ref, ex.Request.Method, ex.Request.URL, ex.Status(), o.Request.Method, o.Request.URL)
				}
			}

			exp, err := labexpect.Read(filepath.Join(filepath.Dir(path), "expect.json"))
			if err != nil {
				t.Fatal(err)
			}
			byRef := map[string]*model.Exchange{}
			for _, ex := range exs {
				byRef[ex.Ref] = ex
			}
			checked := 0
			for _, ev := range exp.Events {
				if ev.Channel != "browser" || ev.HAR == "" {
					continue
				}
				ex := byRef[ev.HAR]
				if ex == nil {
					t.Errorf("%s event at %s: no such exchange", ev.Kind, ev.HAR)
					continue
				}
				checked++
				// expect.json redacts codes in URLs; compare up to the query.
				if ex.Request.Method != ev.Method || ex.Status() != ev.Status || pathOf(t, ex.Request.URL) != pathOf(t, ev.URL) {
					t.Errorf("%s event at %s: %s %s %d, want %s %s %d", ev.Kind, ev.HAR,
						ex.Request.Method, pathOf(t, ex.Request.URL), ex.Status(), ev.Method, pathOf(t, ev.URL), ev.Status)
				}
				if ev.Kind != "code-issued" { // its time is the provider's, not the browser's
					if !ex.Start.Equal(ev.Time) {
						t.Errorf("%s event at %s: Start %v, want %s", ev.Kind, ev.HAR, ex.Start, ev.Time)
					}
				}
			}
			if checked == 0 && !backChannelOnly(exp.Events) {
				t.Error("no browser events checked")
			}
		})
	}
}

// backChannelOnly reports an expectation whose every step is on the back
// channel (a device client's polls, RFC 8628): the browser's HAR holds no
// OAuth step to check.
func backChannelOnly(events []labexpect.Event) bool {
	for _, ev := range events {
		if ev.Channel == "browser" {
			return false
		}
	}
	return len(events) > 0
}

func pathOf(t *testing.T, raw string) string {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatalf("url %q: %v", raw, err)
	}
	return u.Scheme + "://" + u.Host + u.Path
}
