package incident

import (
	"fmt"
	"testing"
	"time"

	"github.com/traceaudit/traceaudit/model"
	"github.com/traceaudit/traceaudit/secret"
)

var t0 = time.Date(2026, 12, 4, 22, 0, 0, 0, time.UTC)

// callbacks builds a trace of n sign-in callbacks, one code each, the
// k-th at t0+k·10s+delay(k) on the trace's clock skewed by skew.
func callbacks(path string, format model.Format, n int, skew time.Duration, delay func(int) time.Duration, ref func(int) string) Trace {
	tr := Trace{Path: path, Format: format}
	for k := 0; k < n; k++ {
		at := t0.Add(time.Duration(k)*10*time.Second + delay(k) + skew)
		u := fmt.Sprintf("https://app.example/callback?code=c%d&state=s%d", k, k)
		ex := &model.Exchange{Index: k, Ref: ref(k), Start: at, End: at.Add(20 * time.Millisecond),
			Request: model.Request{Method: "GET", URL: u}, Response: &model.Response{Status: 302}}
		tr.Exchanges = append(tr.Exchanges, ex)
		tr.Events = append(tr.Events, model.Event{Kind: model.Callback, Exchange: k, Ref: ex.Ref, Time: at,
			Target: &model.Target{Method: "GET", Endpoint: "https://app.example/callback"}, Status: 302,
			Code: secret.New(fmt.Sprintf("c%d", k)), State: secret.New(fmt.Sprintf("s%d", k))})
	}
	return tr
}

func none(int) time.Duration { return 0 }

// The offset is the median of the matched pairs: one callback the server
// received late (queued 4 s behind a proxy) does not move it.
func TestMedianOffsetIgnoresOutlier(t *testing.T) {
	browser := callbacks("b.har", model.FormatHAR, 5, 0, none, func(k int) string { return fmt.Sprintf("entries[%d]", k) })
	late := func(k int) time.Duration {
		if k == 2 {
			return 4 * time.Second
		}
		return 3 * time.Millisecond
	}
	server := callbacks("s.pcap", model.FormatPCAP, 5, -3*time.Hour, late, func(k int) string { return fmt.Sprintf("frame %d", 10+k) })
	c := Merge([]Trace{browser, server})
	if !c.Merged {
		t.Fatalf("not merged: %s", c.Why)
	}
	a := c.Traces[1]
	want := 3*time.Hour - 3*time.Millisecond
	if a.Basis != BasisMatched || a.Matches != 5 || a.Offset != want {
		t.Fatalf("offset %s by %s over %d, want %s by matched exchanges over 5", a.Offset, a.Basis, a.Matches, want)
	}
	// Four copies lie within the window and count once; the late one is
	// 4 s off once aligned, so it stays a delivery of its own.
	if a.Duplicates != 4 {
		t.Errorf("%d duplicates, want 4", a.Duplicates)
	}
	if got := len(c.Events); got != 6 {
		t.Errorf("%d merged events, want 6", got)
	}
	copies, ok := c.Origin("b.har entries[0]")
	if !ok || len(copies) != 2 || copies[1].Path != "s.pcap" || copies[1].Ref != "frame 10" {
		t.Errorf("origin of b.har entries[0]: %+v", copies)
	}
	// A capture that receives callbacks and shows no authorize request is
	// the app server's side; the merged callback was seen by both.
	if c.Traces[1].Lane != LaneServer {
		t.Errorf("lane %q, want server", c.Traces[1].Lane)
	}
	for _, ev := range c.Events {
		if ev.Ref == "b.har entries[0]" && (len(ev.Vantages()) != 2 || ev.Vantages()[0] != LaneBrowser || ev.Vantages()[1] != LaneServer) {
			t.Errorf("vantages %v", ev.Vantages())
		}
	}
}

// Traces without a common exchange or value are not one incident.
func TestUnrelatedNotMerged(t *testing.T) {
	a := callbacks("a.har", model.FormatHAR, 2, 0, none, func(k int) string { return fmt.Sprintf("entries[%d]", k) })
	b := callbacks("b.har", model.FormatHAR, 2, 0, none, func(k int) string { return fmt.Sprintf("entries[%d]", k) })
	for i := range b.Events {
		b.Events[i].Code = secret.New("other" + b.Events[i].Code.Reveal())
		b.Events[i].State = secret.New("other" + b.Events[i].State.Reveal())
	}
	c := Merge([]Trace{a, b})
	if c.Merged || c.Why == "" || len(c.Events) != 0 {
		t.Fatalf("merged unrelated traces: %+v", c)
	}
}

// Two traces with the same base name are told apart by their paths.
func TestLabelsKeepPathsApart(t *testing.T) {
	got := labelsOf([]Alignment{{Path: "x/trace.har"}, {Path: "y/trace.har"}, {Path: "y/capture.pcap"}})
	if got[0] != "x/trace.har" || got[1] != "y/trace.har" || got[2] != "capture.pcap" {
		t.Errorf("labels %v", got)
	}
}

// sameCallbacks is a trace of n copies of one callback at one instant: the
// worst case for pairing copies (every exchange has the same key).
func sameCallbacks(path string, n int, skew time.Duration) Trace {
	tr := Trace{Path: path, Format: model.FormatPCAP}
	for k := 0; k < n; k++ {
		at := t0.Add(skew)
		ex := &model.Exchange{Index: k, Ref: fmt.Sprintf("frame %d", k+1), Start: at, End: at,
			Request: model.Request{Method: "GET", URL: "https://app.example/callback?code=c&state=s"}, Response: &model.Response{Status: 400}}
		tr.Exchanges = append(tr.Exchanges, ex)
		tr.Events = append(tr.Events, model.Event{Kind: model.Callback, Exchange: k, Ref: ex.Ref, Time: at, Target: &model.Target{Method: "GET", Endpoint: "https://app.example/callback"}, Code: secret.New("c"), State: secret.New("s")})
	}
	return tr
}

// Thousands of identical requests pair one to one, each counted once.
func TestManyIdenticalExchanges(t *testing.T) {
	c := Merge([]Trace{sameCallbacks("a.pcap", 20000, 0), sameCallbacks("b.pcap", 20000, time.Minute)})
	if !c.Merged || c.Traces[1].Offset != -time.Minute || c.Traces[1].Duplicates != 20000 || len(c.Events) != 20000 {
		t.Fatalf("merged %v, offset %s, %d duplicates, %d events", c.Merged, c.Traces[1].Offset, c.Traces[1].Duplicates, len(c.Events))
	}
}

func BenchmarkMergeIdentical(b *testing.B) {
	x, y := sameCallbacks("a.pcap", 20000, 0), sameCallbacks("b.pcap", 20000, time.Minute)
	for b.Loop() {
		Merge([]Trace{x, y})
	}
}

// Token responses whose requests the traces lost (a body cut, a sanitized
// export) still pair by the provider's correlation ID, and give the clock.
func TestCorrelationIDAligns(t *testing.T) {
	mk := func(path string, skew time.Duration) Trace {
		tr := Trace{Path: path, Format: model.FormatPCAP}
		for k, corr := range []string{"8f1d", "a220", "c0de"} {
			at := t0.Add(time.Duration(k)*time.Minute + skew)
			ex := &model.Exchange{Index: k, Ref: fmt.Sprintf("frame %d", k+1), Start: at, End: at,
				Request:  model.Request{Method: "POST", URL: "https://login.example/oauth2/v2.0/token"},
				Response: &model.Response{Status: 400}}
			tr.Exchanges = append(tr.Exchanges, ex)
			tr.Events = append(tr.Events, model.Event{Kind: model.TokenResponse, Exchange: k, Ref: ex.Ref, Time: at, Status: 400,
				Prov: &model.Provider{Family: model.FamilyEntra, Host: "login.example"},
				Err:  &model.ProviderError{Error: "invalid_grant", Codes: []string{"AADSTS54005"}, Correlation: corr}})
		}
		return tr
	}
	c := Merge([]Trace{mk("app.pcap", 0), mk("proxy.pcap", 42*time.Minute)})
	a := c.Traces[1]
	if !c.Merged || a.Basis != BasisMatched || a.Matches != 3 || a.Offset != -42*time.Minute {
		t.Fatalf("merged %v, offset %s by %q over %d; want -42m by matched exchanges over 3", c.Merged, a.Offset, a.Basis, a.Matches)
	}
	if a.Duplicates != 3 || len(c.Events) != 3 {
		t.Errorf("%d duplicates, %d events; want each response once", a.Duplicates, len(c.Events))
	}
}
