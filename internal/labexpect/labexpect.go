// Package labexpect declares, once for the main module's tests, what a
// fixture-lab scenario's expect.json holds: the OAuth steps the recorder
// saw (with their HAR entry and capture frame), the findings a correct scan
// gives, the rules that must not fire, and the case expectations of
// scenarios with a server-side capture. The recorder
// (testdata/lab/cmd/record, a module of its own) writes the file; the
// reader, rules and CLI tests read it through Read.
package labexpect

import (
	"encoding/json"
	"fmt"
	"os"
	"time"
)

// Expect is one scenario's expect.json.
type Expect struct {
	Schema   int    `json:"schema"`
	Scenario string `json:"scenario"`
	// Pending names the rule work the expectations wait for
	// (testdata/lab/PENDING.md); tests skip such a scenario, naming it.
	Pending string `json:"pending,omitempty"`
	// PendingSAZ is Pending for the SAZ form only (the HAR converted to a
	// Fiddler archive), when just that form waits for work.
	PendingSAZ string    `json:"pending_saz,omitempty"`
	Summary    string    `json:"summary"`
	Findings   []Finding `json:"findings"`
	MustNot    []string  `json:"must_not"`
	May        []string  `json:"may"`
	Events     []Event   `json:"events"`
	Case       *Case     `json:"case,omitempty"`
	Notes      []string  `json:"notes,omitempty"`
}

// Event is one OAuth step the recorder saw, with where to find it.
type Event struct {
	Kind    string `json:"kind"`    // authorize, code-issued, callback, token-request, …
	Channel string `json:"channel"` // browser, back-channel
	Tab     string `json:"tab,omitempty"`
	HAR     string `json:"har,omitempty"`  // entries[N] in trace.har
	PCAP    string `json:"pcap,omitempty"` // frame N in capture.pcap / capture-dsb.pcapng
	// ServerPCAP is frame N in the server-side capture, when there is one.
	ServerPCAP   string    `json:"server_pcap,omitempty"`
	Time         time.Time `json:"time"`
	Method       string    `json:"method"`
	URL          string    `json:"url"` // secrets in the query replaced by fingerprints
	Status       int       `json:"status,omitempty"`
	Grant        string    `json:"grant_type,omitempty"`
	Code         string    `json:"code,omitempty"`
	Refresh      string    `json:"refresh_token,omitempty"`
	Verifier     string    `json:"code_verifier,omitempty"`
	Challenge    string    `json:"code_challenge,omitempty"`
	State        string    `json:"state,omitempty"`
	RedirectURI  string    `json:"redirect_uri,omitempty"`
	Error        string    `json:"error,omitempty"`
	Description  string    `json:"error_description,omitempty"`
	Handler      string    `json:"rp_handler,omitempty"`
	BrowserError string    `json:"browser_error,omitempty"`
	// Pushed is "back-channel" for an authorize request whose parameters
	// the server app pushed (PAR, RFC 9126): the HAR, which lacks the back
	// channel, shows them by reference only (no state to compare).
	Pushed string `json:"pushed,omitempty"`
}

// Finding is a finding a correct scan of the scenario gives.
type Finding struct {
	Rule         string     `json:"rule"`
	Code         string     `json:"code,omitempty"`
	RefreshToken string     `json:"refresh_token,omitempty"`
	Evidence     []Evidence `json:"evidence"`
	DerivedFrom  string     `json:"derived_from"`
	// Mechanism, when stated, is the rules.Mechanism the finding carries.
	Mechanism string `json:"mechanism,omitempty"`
}

// Evidence is one step a finding rests on.
type Evidence struct {
	Kind         string `json:"kind"`
	BrowserError string `json:"browser_error,omitempty"`
	Channel      string `json:"channel"`
	Handler      string `json:"rp_handler,omitempty"`
	HAR          string `json:"har,omitempty"`
	PCAP         string `json:"pcap,omitempty"`
	ServerPCAP   string `json:"server_pcap,omitempty"`
	Status       int    `json:"status,omitempty"`
	Error        string `json:"error,omitempty"`
	Description  string `json:"error_description,omitempty"`
}

// Case is the expectation for all of a scenario's traces read as one
// incident (scan --case).
type Case struct {
	Pending string `json:"pending,omitempty"`
	// Inputs are the files to give scan --case, in order, and the lane
	// each was taken from (browser, server, proxy).
	Inputs []CaseInput `json:"inputs"`
	// Findings are what scan --case must give, citing evidence by file.
	Findings []CaseFinding `json:"findings"`
	// Alone lists, per file, the expected rules whose every piece of
	// evidence is in that file: what a single-file scan can prove.
	Alone map[string][]string `json:"alone"`
}

// CaseInput is one file of a case.
type CaseInput struct {
	File string `json:"file"`
	Lane string `json:"lane"`
}

// CaseFinding is a finding of the whole case.
type CaseFinding struct {
	Rule      string         `json:"rule"`
	Code      string         `json:"code,omitempty"`
	Mechanism string         `json:"mechanism,omitempty"`
	Evidence  []CaseEvidence `json:"evidence"`
}

// CaseEvidence is one step a case finding rests on, in one file.
type CaseEvidence struct {
	File   string `json:"file"`
	Ref    string `json:"ref"`
	Kind   string `json:"kind"`
	Status int    `json:"status,omitempty"`
}

// Read decodes the expect.json at path.
func Read(path string) (*Expect, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var e Expect
	if err := json.Unmarshal(data, &e); err != nil {
		return nil, fmt.Errorf("labexpect: %s: %w", path, err)
	}
	return &e, nil
}
