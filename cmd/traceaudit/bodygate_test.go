package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/traceaudit/traceaudit/internal/leakcorpus"
	"github.com/traceaudit/traceaudit/model"
)

func runCLIWhole(whole bool, args ...string) (int, string, string) {
	return runCLIWith(nil, func(env *environment) { env.wholeBodies = whole }, args...)
}

var jsonHeader = [][2]string{{"Content-Type", "application/json"}}

// learntTokenExchanges are a discovery document naming the app's /session
// as the token endpoint, and a GET there answered with an error the
// extractor reads only from the body.
func learntTokenExchanges() []leakcorpus.Exchange {
	return []leakcorpus.Exchange{
		{Method: "GET", URL: "http://id.example/.well-known/openid-configuration", ReqHeaders: [][2]string{{"Host", "id.example"}},
			Status: 200, RespHeaders: jsonHeader,
			RespBody: `{"issuer":"http://id.example","authorization_endpoint":"http://id.example/a","token_endpoint":"http://app.example/session"}`},
		{Method: "GET", URL: "http://app.example/session", ReqHeaders: [][2]string{{"Host", "app.example"}},
			Status: 200, RespHeaders: jsonHeader,
			RespBody: `{"error":"invalid_grant","error_description":"AADSTS54005: OAuth2 Authorization code was already redeemed.","error_codes":[54005]}`},
	}
}

// learntTokenCapture is a capture whose second exchange needs its body
// although oauth.BodyGate says no: a discovery document names
// the app's /session as the token endpoint, and a GET there is answered
// with tokens and an error. A third call's body is not needed.
func learntTokenCapture(t *testing.T) string {
	t.Helper()
	data, err := leakcorpus.PCAP(append(learntTokenExchanges(), leakcorpus.Exchange{
		Method: "GET", URL: "http://app.example/api/me", ReqHeaders: [][2]string{{"Host", "app.example"}},
		Status: 200, RespHeaders: jsonHeader, RespBody: `{"name":"x"}`}))
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "learnt-token.pcap")
	if err := os.WriteFile(p, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestSkipResponseIdentical: skipping the response bodies the extractor
// cannot need (options.skipResponse) changes no byte of scan and events
// output, on every trace of the repository and on a capture where the
// extractor does need one it was told was skipped (read again whole).
func TestSkipResponseIdentical(t *testing.T) {
	traces := append(repoTraces(t), []string{learntTokenCapture(t)})
	comparePaths(t, traces, [][]string{
		{"scan", "-f", "json", "--fail-on", "never"},
		{"events", "-f", "json"},
	}, runCLIWhole, "skipping", "whole")
}

// TestSkipResponseReread: where the extractor reads a body the reader
// skipped, the trace is read again whole and the events are those of the
// body; elsewhere it is read once.
func TestSkipResponseReread(t *testing.T) {
	env := environment{stdin: bytes.NewReader(nil), getenv: func(string) string { return "" }}
	// --no-redact: the redacted listing reads JSON answers anyway, for
	// the secrets they issue (appendIssuedSecrets); the gate decides the
	// rest.
	o := &options{cmd: "events", format: "json", noRedact: true}
	res := analyzeInput(input{path: learntTokenCapture(t), explicit: true}, o, env, &keyMaterial{}, "events")
	if res.err != nil {
		t.Fatal(res.err)
	}
	if !res.reread {
		t.Error("the learnt token endpoint's answer did not make the capture be read again")
	}
	var tokenErr bool
	for _, ev := range res.events {
		if ev.Kind == model.TokenResponse && ev.Err != nil && ev.Err.Error == "invalid_grant" {
			tokenErr = true
		}
	}
	if !tokenErr {
		t.Errorf("no token response with the body's error: %+v", res.events)
	}
	if o.wholeBodies {
		t.Error("reading again changed the caller's options")
	}
	// A token request and an API call: events, and nothing read again.
	data, err := leakcorpus.PCAP([]leakcorpus.Exchange{leakcorpus.Exchanges()[1],
		{Method: "GET", URL: "http://app.example/session", ReqHeaders: [][2]string{{"Host", "app.example"}},
			Status: 200, RespHeaders: jsonHeader, RespBody: `{"access_token":"x"}`}})
	if err != nil {
		t.Fatal(err)
	}
	plain := filepath.Join(t.TempDir(), "plain.pcap")
	if err := os.WriteFile(plain, data, 0o600); err != nil {
		t.Fatal(err)
	}
	res = analyzeInput(input{path: plain, explicit: true}, o, env, &keyMaterial{}, "events")
	if res.err != nil || res.reread || len(res.events) != 2 {
		t.Errorf("token request capture: err %v, read again %v, events %+v", res.err, res.reread, res.events)
	}
}

// TestSkipResponseRereadRare: the gate learns enough from requests that
// reading a trace again stays rare: at most one in a hundred of the
// repository's traces (none when this was written).
func TestSkipResponseRereadRare(t *testing.T) {
	env := environment{stdin: bytes.NewReader(nil), getenv: func(string) string { return "" }}
	traces, again := 0, 0
	least := 300
	if testing.Short() {
		least = 50 // CI's race step: every sixth trace (sampleShort)
	}
	for _, tr := range sampleShort(repoTraces(t)) {
		path := tr[len(tr)-1] // keys embedded in pcapng are read; key logs are not needed here
		res := analyzeInput(input{path: path, explicit: true}, &options{cmd: "scan", format: "json"}, env, &keyMaterial{}, "scan")
		traces++
		if res.reread {
			again++
			t.Logf("read again: %s", path)
		}
	}
	if traces < least || again > traces/100 {
		t.Errorf("%d of %d traces read again", again, traces)
	}
}

// TestSkipResponseRereadLarge: the capture is read again while its first
// reading may still have batches of records read ahead: the second reading
// sees the whole file, as a reading keeping every body does. (That the
// first reading's goroutine ends at Stop is pcap's
// TestPrefetchBoundedAndStopped; this test passes without the CLI's call.)
func TestSkipResponseRereadLarge(t *testing.T) {
	exs := learntTokenExchanges()
	filler := `{"items":"` + strings.Repeat("x", 4000) + `"}`
	for i := range 1500 {
		exs = append(exs, leakcorpus.Exchange{Method: "GET", URL: fmt.Sprintf("http://app.example/api/%d", i), ReqHeaders: [][2]string{{"Host", "app.example"}},
			Status: 200, RespHeaders: jsonHeader, RespBody: filler})
	}
	data, err := leakcorpus.PCAP(exs)
	if err != nil {
		t.Fatal(err)
	}
	if len(data) < 4<<20 {
		t.Fatalf("capture of %d bytes: too small to be read ahead past", len(data))
	}
	p := filepath.Join(t.TempDir(), "learnt-token-large.pcap")
	if err := os.WriteFile(p, data, 0o600); err != nil {
		t.Fatal(err)
	}
	env := environment{stdin: bytes.NewReader(nil), getenv: func(string) string { return "" }}
	// --no-redact, as in TestSkipResponseReread.
	res := analyzeInput(input{path: p, explicit: true}, &options{cmd: "events", format: "json", noRedact: true}, env, &keyMaterial{}, "events")
	whole := analyzeInput(input{path: p, explicit: true}, &options{cmd: "events", format: "json", noRedact: true, wholeBodies: true}, env, &keyMaterial{}, "events")
	if res.err != nil || whole.err != nil {
		t.Fatal(res.err, whole.err)
	}
	if !res.reread {
		t.Fatal("not read again")
	}
	if res.exchangeCount != len(exs) || whole.exchangeCount != len(exs) {
		t.Errorf("%d and %d exchanges, want %d", res.exchangeCount, whole.exchangeCount, len(exs))
	}
	if !reflect.DeepEqual(res.events, whole.events) || !reflect.DeepEqual(res.notes, whole.notes) {
		t.Errorf("read again: %d events, notes %v; whole: %d events, notes %v", len(res.events), res.notes, len(whole.events), whole.notes)
	}
}
