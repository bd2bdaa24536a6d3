package report

import (
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"path/filepath"
	"slices"
	"strings"
)

// SARIFWriter writes SARIF 2.1.0 for code-scanning dashboards: rule
// metadata with help text, one result per finding with its level, message
// and location (the trace file as artifactLocation, the exchange refs as
// logicalLocations), and a stable partialFingerprint per finding. Unreadable
// files and notes become tool execution notifications. SARIF is not
// streamed: the whole report is needed for the rules table.
type SARIFWriter struct{}

var _ Writer = SARIFWriter{}

const (
	sarifSchemaURI = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
	// sarifFingerprintKey names our partialFingerprints entry; bump the
	// version if the hash inputs ever change.
	sarifFingerprintKey = "traceauditFinding/v1"
)

type sarifLog struct {
	Schema  string     `json:"$schema"`
	Version string     `json:"version"`
	Runs    []sarifRun `json:"runs"`
}

type sarifRun struct {
	Tool        sarifTool         `json:"tool"`
	Invocations []sarifInvocation `json:"invocations"`
	Artifacts   []sarifArtifact   `json:"artifacts,omitempty"`
	Results     []sarifResult     `json:"results"`
}

type sarifTool struct {
	Driver sarifDriver `json:"driver"`
}

type sarifDriver struct {
	Name    string      `json:"name"`
	Version string      `json:"version,omitempty"`
	Rules   []sarifRule `json:"rules"`
}

type sarifRule struct {
	ID                   string            `json:"id"`
	ShortDescription     *sarifMessage     `json:"shortDescription,omitempty"`
	FullDescription      *sarifMessage     `json:"fullDescription,omitempty"`
	Help                 *sarifMessage     `json:"help,omitempty"`
	HelpURI              string            `json:"helpUri,omitempty"`
	DefaultConfiguration sarifRuleConfig   `json:"defaultConfiguration"`
	Properties           map[string]string `json:"properties,omitempty"`
}

type sarifRuleConfig struct {
	Level string `json:"level"`
}

type sarifMessage struct {
	Text string `json:"text"`
}

type sarifInvocation struct {
	ExecutionSuccessful        bool                `json:"executionSuccessful"`
	ToolExecutionNotifications []sarifNotification `json:"toolExecutionNotifications,omitempty"`
}

type sarifNotification struct {
	Level      string          `json:"level"`
	Message    sarifMessage    `json:"message"`
	Locations  []sarifLocation `json:"locations,omitempty"`
	Descriptor *sarifReference `json:"descriptor,omitempty"`
}

type sarifReference struct {
	ID string `json:"id"`
}

type sarifArtifact struct {
	Location sarifArtifactLocation `json:"location"`
	// Properties carries the trace format (har, saz, pcap).
	Properties map[string]string `json:"properties,omitempty"`
}

type sarifArtifactLocation struct {
	URI   string `json:"uri"`
	Index int    `json:"index"`
}

type sarifLocation struct {
	PhysicalLocation *sarifPhysicalLocation `json:"physicalLocation,omitempty"`
	LogicalLocations []sarifLogicalLocation `json:"logicalLocations,omitempty"`
}

type sarifPhysicalLocation struct {
	ArtifactLocation sarifArtifactLocation `json:"artifactLocation"`
}

type sarifLogicalLocation struct {
	Name               string `json:"name"`
	FullyQualifiedName string `json:"fullyQualifiedName,omitempty"`
	Kind               string `json:"kind,omitempty"`
}

type sarifResult struct {
	RuleID              string            `json:"ruleId"`
	RuleIndex           int               `json:"ruleIndex"`
	Level               string            `json:"level"`
	Message             sarifMessage      `json:"message"`
	Locations           []sarifLocation   `json:"locations"`
	PartialFingerprints map[string]string `json:"partialFingerprints"`
	Properties          sarifProperties   `json:"properties"`
}

// sarifProperties keeps what SARIF has no field for, so a dashboard user
// still sees the escalation data.
type sarifProperties struct {
	Severity    string     `json:"severity"`
	Code        string     `json:"code,omitempty"`
	Confidence  string     `json:"confidence,omitempty"`
	Evidence    []Evidence `json:"evidence,omitempty"`
	Remediation string     `json:"remediation,omitempty"`
	NextCapture []string   `json:"nextCapture,omitempty"`
}

func (SARIFWriter) Write(w io.Writer, r *Report) error {
	enc := json.NewEncoder(terminalSafeJSON{w})
	enc.SetIndent("", "  ")
	if err := enc.Encode(newSARIF(r)); err != nil {
		return fmt.Errorf("report: writing sarif: %w", err)
	}
	return nil
}

func sarifLevel(s Severity) string {
	switch s {
	case SeverityError:
		return "error"
	case SeverityInfo:
		return "note"
	}
	return "warning"
}

func newSARIF(r *Report) *sarifLog {
	name := r.Tool.Name
	if name == "" {
		name = "traceaudit"
	}
	run := sarifRun{
		Tool:    sarifTool{Driver: sarifDriver{Name: clean(name, true), Version: clean(r.Tool.Version, true)}},
		Results: []sarifResult{},
	}
	ruleIndex := sarifRules(r, &run.Tool.Driver)

	inv := sarifInvocation{ExecutionSuccessful: true}
	for fi := range r.Files {
		f := &r.Files[fi]
		loc := sarifArtifactLocation{URI: artifactURI(f.Path), Index: fi}
		run.Artifacts = append(run.Artifacts, sarifArtifact{
			Location: loc, Properties: map[string]string{"format": f.Format},
		})
		if f.Error != "" {
			inv.ExecutionSuccessful = false
			inv.ToolExecutionNotifications = append(inv.ToolExecutionNotifications, sarifNotification{
				Level:      "error",
				Message:    sarifMessage{Text: "could not read the trace: " + clean(f.Error, true)},
				Locations:  []sarifLocation{{PhysicalLocation: &sarifPhysicalLocation{ArtifactLocation: loc}}},
				Descriptor: &sarifReference{ID: "unreadable"},
			})
		}
		for _, n := range f.Notes {
			nl := sarifLocation{PhysicalLocation: &sarifPhysicalLocation{ArtifactLocation: loc}}
			if n.Ref != "" {
				nl.LogicalLocations = []sarifLogicalLocation{{Name: n.Ref, Kind: logicalKind(n.Ref)}}
			}
			kind := n.Kind
			if kind == "" {
				kind = "note"
			}
			inv.ToolExecutionNotifications = append(inv.ToolExecutionNotifications, sarifNotification{
				Level:      "note",
				Message:    sarifMessage{Text: nonEmpty(clean(n.Message, true), kind)},
				Locations:  []sarifLocation{nl},
				Descriptor: &sarifReference{ID: kind},
			})
		}
		for i := range f.Findings {
			fd := &f.Findings[i]
			loc := sarifLocation{PhysicalLocation: &sarifPhysicalLocation{ArtifactLocation: loc}}
			// SARIF wants distinct logical locations; one exchange can
			// be evidence twice (request and response).
			seen := map[string]bool{}
			for _, ref := range refs(fd) {
				if seen[ref] {
					continue
				}
				seen[ref] = true
				loc.LogicalLocations = append(loc.LogicalLocations, sarifLogicalLocation{
					Name: ref, FullyQualifiedName: f.Path + "#" + ref, Kind: logicalKind(ref),
				})
			}
			locs := []sarifLocation{loc}
			if byFile := caseLocations(&run, fd); len(byFile) > 0 {
				// An incident of several traces (scan --case): each
				// trace is an artifact, located with its own refs.
				locs = byFile
			}
			run.Results = append(run.Results, sarifResult{
				RuleID:              fd.Rule,
				RuleIndex:           ruleIndex[fd.Rule],
				Level:               sarifLevel(fd.Severity),
				Message:             sarifMessage{Text: nonEmpty(clean(fd.Message, true), fd.Rule)},
				Locations:           locs,
				PartialFingerprints: map[string]string{sarifFingerprintKey: findingFingerprint(f.Path, fd)},
				Properties: sarifProperties{
					Severity: string(fd.Severity), Code: fd.Code, Confidence: string(fd.Confidence),
					Evidence: fd.Evidence, Remediation: fd.Remediation, NextCapture: fd.NextCapture,
				},
			})
		}
	}
	run.Invocations = []sarifInvocation{inv}
	return &sarifLog{Schema: sarifSchemaURI, Version: "2.1.0", Runs: []sarifRun{run}}
}

// sarifRules fills the driver's rules from r.Rules plus any rule a finding
// names that r.Rules lacks, sorted by ID, and returns each ID's index.
func sarifRules(r *Report, d *sarifDriver) map[string]int {
	info := map[string]RuleInfo{}
	for _, ri := range r.Rules {
		if _, dup := info[ri.ID]; !dup {
			info[ri.ID] = ri
		}
	}
	for _, f := range r.Files {
		for _, fd := range f.Findings {
			if _, ok := info[fd.Rule]; !ok {
				info[fd.Rule] = RuleInfo{ID: fd.Rule, Title: fd.Title, Severity: fd.Severity}
			}
		}
	}
	ids := make([]string, 0, len(info))
	for id := range info {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	index := make(map[string]int, len(ids))
	d.Rules = make([]sarifRule, 0, len(ids))
	for i, id := range ids {
		ri := info[id]
		index[id] = i
		rule := sarifRule{ID: id, DefaultConfiguration: sarifRuleConfig{Level: sarifLevel(ri.Severity)}}
		if ri.Title != "" {
			rule.ShortDescription = &sarifMessage{Text: clean(ri.Title, true)}
		}
		if ri.Help != "" {
			help := clean(ri.Help, false)
			rule.FullDescription = &sarifMessage{Text: firstParagraph(help)}
			rule.Help = &sarifMessage{Text: help}
		}
		if isWebURL(ri.URL) {
			rule.HelpURI = ri.URL
		}
		d.Rules = append(d.Rules, rule)
	}
	return index
}

// artifactURI turns a file path into a URI reference: forward slashes,
// percent-encoded, so "#", "?" and spaces in names survive.
// caseLocations locates a finding whose evidence names its traces
// (evidence[].file): one location per trace, in evidence order, adding the
// trace to the run's artifacts when it is not there yet. Nil when no
// evidence names a file.
func caseLocations(run *sarifRun, fd *Finding) []sarifLocation {
	var out []sarifLocation
	at := map[string]int{}
	seen := map[string]bool{}
	for _, e := range fd.Evidence {
		if e.File == "" {
			continue
		}
		uri := artifactURI(e.File)
		i, ok := at[uri]
		if !ok {
			idx := -1
			for j, a := range run.Artifacts {
				if a.Location.URI == uri {
					idx = j
				}
			}
			if idx < 0 {
				idx = len(run.Artifacts)
				run.Artifacts = append(run.Artifacts, sarifArtifact{Location: sarifArtifactLocation{URI: uri, Index: idx}})
			}
			at[uri], i = len(out), len(out)
			out = append(out, sarifLocation{PhysicalLocation: &sarifPhysicalLocation{ArtifactLocation: sarifArtifactLocation{URI: uri, Index: idx}}})
		}
		if key := uri + "#" + e.Ref; !seen[key] {
			seen[key] = true
			out[i].LogicalLocations = append(out[i].LogicalLocations, sarifLogicalLocation{
				Name: e.Ref, FullyQualifiedName: e.File + "#" + e.Ref, Kind: logicalKind(e.Ref),
			})
		}
	}
	return out
}

func artifactURI(path string) string {
	u := url.URL{Path: filepath.ToSlash(path)}
	return u.String()
}

// isWebURL reports whether s is an absolute http(s) URL, the only kind a
// SARIF viewer should turn into a link.
func isWebURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "https" || u.Scheme == "http") && u.Host != "" &&
		!strings.ContainsAny(s, " \t\r\n\x00")
}

func firstParagraph(s string) string {
	if i := strings.Index(s, "\n\n"); i >= 0 {
		return s[:i]
	}
	return s
}

func nonEmpty(s, fallback string) string {
	if s == "" {
		return fallback
	}
	return s
}

// logicalKind names the kind of a ref for SARIF: a HAR ref ("entries[12]")
// is an element of a document's array, which SARIF calls "element"; SAZ
// sessions and pcap frames match none of SARIF's kinds, so they get none.
func logicalKind(ref string) string {
	if strings.HasPrefix(ref, "entries[") {
		return "element"
	}
	return ""
}
