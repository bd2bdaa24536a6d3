package report

import (
	"fmt"
	"io"
	"testing"
	"time"
)

// bigReport is a batch scan: files × findings, each with 4 evidence
// exchanges, and a 40-step timeline per file.
func bigReport(files, findings int) *Report {
	t0 := time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)
	r := &Report{SchemaVersion: SchemaVersion, Tool: Tool{Name: "traceaudit", Version: "bench"}}
	for fi := 0; fi < files; fi++ {
		f := File{Path: fmt.Sprintf("traces/batch/%04d.har", fi), Format: "har", Exchanges: 400, Events: 40}
		for i := 0; i < findings; i++ {
			fd := Finding{
				Rule: "code-reuse", Severity: SeverityError, Title: "authorization code redeemed more than once",
				Message:     fmt.Sprintf("authorization code sha256:%012x was redeemed 2 times", i),
				Code:        fmt.Sprintf("sha256:%012x", i),
				Remediation: "Codes are single-use. Redeem once per callback.",
			}
			for e := 0; e < 4; e++ {
				fd.Evidence = append(fd.Evidence, Evidence{
					Ref: fmt.Sprintf("entries[%d]", i*4+e), Time: At(t0.Add(time.Duration(i*4+e) * time.Millisecond)),
					Method: "POST", URL: "https://login.microsoftonline.com/common/oauth2/v2.0/token", Status: 400,
					ErrorCode: "AADSTS54005", TraceID: "9df0210d-bf9f-45d9-b19b-b326453e6400",
					CorrelationID: "48ac1682-e414-42c2-9eac-f1d6114e8648",
				})
			}
			f.Findings = append(f.Findings, fd)
		}
		for s := 0; s < 40; s++ {
			f.Timeline = append(f.Timeline, TimelineEvent{
				Time: At(t0.Add(time.Duration(s) * 10 * time.Millisecond)), Ref: fmt.Sprintf("entries[%d]", s),
				Kind: "token-request", Party: "app", Lane: fmt.Sprintf("connection %d", s%4),
				Code: fmt.Sprintf("sha256:%012x", s%findings), Highlight: []int{s % findings},
			})
		}
		r.Files = append(r.Files, f)
	}
	Finalize(r)
	return r
}

// BenchmarkWriters measures each writer on a 100-file batch with 10
// findings per file: go test ./report -run '^$' -bench Writers -benchmem
func BenchmarkWriters(b *testing.B) {
	r := bigReport(100, 10)
	for _, wr := range writers() {
		b.Run(wr.ext, func(b *testing.B) {
			var n countingWriter
			for b.Loop() {
				if err := wr.w.Write(&n, r); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(n)/float64(b.N), "bytes/report")
		})
	}
}

type countingWriter int64

func (c *countingWriter) Write(p []byte) (int, error) {
	*c += countingWriter(len(p))
	return len(p), nil
}

var _ io.Writer = (*countingWriter)(nil)

// BenchmarkTimelineJSON measures the json writer on one file with a
// 20,000-step timeline, the shape of a scan of a 100,000-entry HAR with
// 10,000 sign-ins: go test ./report -run '^$' -bench TimelineJSON
func BenchmarkTimelineJSON(b *testing.B) {
	t0 := time.Date(2026, 3, 1, 9, 0, 0, 111e6, time.UTC)
	r := &Report{SchemaVersion: SchemaVersion, Tool: Tool{Name: "traceaudit", Version: "bench"}}
	f := File{Path: "har-100k.har", Format: "har", Exchanges: 100000, Events: 20000}
	for s := range 20000 {
		f.Timeline = append(f.Timeline, TimelineEvent{
			Time: At(t0.Add(time.Duration(s) * 370100 * time.Microsecond)), Ref: fmt.Sprintf("entries[%d]", s*5+3),
			Kind: "token-request", Party: "app", Lane: "page_1", LaneTitle: "page id page_1",
			Label: "POST /oauth2/v2.0/token", Code: fmt.Sprintf("sha256:%012x", s), Status: 200, Highlight: []int{0},
		})
	}
	r.Files = append(r.Files, f)
	Finalize(r)
	var n countingWriter
	for b.Loop() {
		if err := (JSONWriter{}).Write(&n, r); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(n)/float64(b.N), "bytes/report")
}
