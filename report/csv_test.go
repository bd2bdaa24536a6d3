package report

import (
	"bytes"
	"encoding/csv"
	"slices"
	"strings"
	"testing"
)

// TestCSVRoundTrip writes hostile values and reads them back with an RFC
// 4180 reader: one record per file, the contract's header, quotes and
// line breaks kept inside their cell, formulas neutralised.
func TestCSVRoundTrip(t *testing.T) {
	r := &Report{Files: []File{
		{Path: "a,b\"c\nd.har", Format: "har", Verdict: VerdictFindings, VerdictReason: "1 finding",
			Findings: []Finding{
				{Rule: "code-reuse", Severity: SeverityError, Message: "=HYPERLINK(\"x\")", Evidence: []Evidence{{ErrorCode: "AADSTS54005", TraceID: "t1"}}},
				{Rule: "trace-quality", Severity: SeverityInfo, Message: "m", Evidence: []Evidence{{ErrorCode: "AADSTS54005", TraceID: "t2"}}},
				{Rule: "code-expired", Severity: SeverityWarning, Message: "m2", Evidence: []Evidence{{ErrorCode: "invalid_grant"}}},
			}},
		{Path: "-x.pcap", Format: "pcap", Error: "not a capture\x1b[2J"},
	}}
	Finalize(r)
	var buf bytes.Buffer
	if err := (CSVWriter{}).Write(&buf, r); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), "\r\n") {
		t.Error("rows do not end in CRLF (RFC 4180)")
	}
	recs, err := csv.NewReader(&buf).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 3 || !slices.Equal(recs[0], CSVHeader) {
		t.Fatalf("got %d records, header %q", len(recs), recs[0])
	}
	want := []string{"a,b\"c d.har", "har", "findings", "1", "1", "1", "code-reuse;code-expired;trace-quality",
		"code-reuse: =HYPERLINK(\"x\")", "AADSTS54005;invalid_grant", "t1;t2", "1 finding"}
	if !slices.Equal(recs[1], want) {
		t.Errorf("row 1:\n got %q\nwant %q", recs[1], want)
	}
	if got := recs[2]; got[0] != "'-x.pcap" || got[2] != "unreadable" || strings.Contains(got[10], "\x1b") {
		t.Errorf("row 2: %q", got)
	}
}
