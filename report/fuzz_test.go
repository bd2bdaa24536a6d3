package report

import (
	"bytes"
	"encoding/csv"
	"testing"
)

// FuzzWriters gives every writer reports built from fuzzed strings. No
// writer may fail or panic; JSON and SARIF must stay valid (SARIF against
// the official schema), HTML inert and Markdown tables well-formed.
func FuzzWriters(f *testing.F) {
	f.Add(hostilePayload, "", "entries[0]", 400, 0)
	f.Add("code-reuse", "sha256:5f1c0a9e3b7d", "https://login.microsoftonline.com/common/oauth2/v2.0/token", 200, 1)
	f.Add("|`*_[]<>", "\r\n\x00\u202e", "javascript:alert(1)", 0, -1)
	f.Add("{{.}}</style><style>", "\xff\xfe", "C:\\traces\\a b#c?.har", 599, 7)
	r := readFixture(f, "signin.json")
	for _, fl := range r.Files {
		for _, fd := range fl.Findings {
			f.Add(fd.Message, fd.Remediation, fl.Path, len(fd.Evidence), 0)
		}
	}
	f.Fuzz(func(t *testing.T, a, b, c string, status, highlight int) {
		r := hostileReport(a)
		fd := &r.Files[0].Findings[1]
		fd.Message, fd.Code, fd.Remediation = b, c, b+c
		fd.Evidence[0].URL, fd.Evidence[0].Status = c, status
		r.Files[0].Timeline[0].Lane, r.Files[0].Timeline[0].Kind = b, c
		r.Files[0].Timeline[1].Highlight = []int{highlight}
		r.Files[1].Path = c
		r.Rules = append(r.Rules, RuleInfo{ID: b, Title: c, Help: a + "\n\n" + b, URL: c})
		for _, wr := range writers() {
			var buf bytes.Buffer
			if err := wr.w.Write(&buf, r); err != nil {
				t.Fatalf("%s: %v", wr.ext, err)
			}
			out := buf.Bytes()
			switch wr.ext {
			case "json":
				assertValidJSON(t, out, "json")
			case "jsonl":
				for _, line := range bytes.Split(bytes.TrimSuffix(out, []byte("\n")), []byte("\n")) {
					assertValidJSON(t, line, "jsonl line")
				}
			case "sarif":
				assertValidSARIF(t, out)
			case "html":
				assertInertHTML(t, out)
			case "md":
				assertMarkdownTables(t, out)
			case "csv":
				recs, err := csv.NewReader(bytes.NewReader(out)).ReadAll()
				if err != nil || len(recs) != len(r.Files)+1 {
					t.Fatalf("csv: %d records, %v", len(recs), err)
				}
				for _, rec := range recs {
					if len(rec) != len(CSVHeader) {
						t.Fatalf("csv: a row of %d fields", len(rec))
					}
				}
			}
		}
	})
}
