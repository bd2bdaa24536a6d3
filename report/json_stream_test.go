package report

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestJSONStreamMatchesDocument checks that the streamed JSON writer gives
// the bytes of encoding the whole report at once, as it did before it
// streamed, on the recorded and hostile reports and on the shapes the
// streaming handles apart: no files, null files, files without findings
// or timeline, with only one of them, and several files.
func TestJSONStreamMatchesDocument(t *testing.T) {
	signin := readFixture(t, "signin.json")
	hostile := hostileReport(hostilePayload)
	if len(signin.Files) == 0 || len(signin.Files[0].Findings) == 0 || len(signin.Files[0].Timeline) == 0 {
		t.Fatal("the signin fixture no longer has findings and a timeline; the test would not cover streaming")
	}
	variant := func(base *Report, edit func(r *Report)) *Report {
		r := *base
		r.Files = append([]File(nil), base.Files...)
		edit(&r)
		return &r
	}
	cases := map[string]*Report{
		"signin":  signin,
		"hostile": hostile,
		"no files": variant(signin, func(r *Report) {
			r.Files = []File{}
		}),
		"null files": variant(signin, func(r *Report) { r.Files = nil }),
		"bare file": variant(signin, func(r *Report) {
			r.Files[0].Findings, r.Files[0].Timeline, r.Files[0].Facts = nil, nil, nil
		}),
		"findings only": variant(signin, func(r *Report) { r.Files[0].Timeline = nil }),
		"timeline only": variant(signin, func(r *Report) { r.Files[0].Findings = nil }),
		"several files": variant(signin, func(r *Report) {
			r.Files = append(r.Files, hostile.Files...)
			r.Files = append(r.Files, File{Path: "x.har", Format: "har", Error: "unreadable"})
			r.Files = append(r.Files, signin.Files...)
		}),
		"case": variant(signin, func(r *Report) {
			r.Case = &Case{Merged: true, Inputs: []CaseInput{{Path: "a.har", Format: "har", Lane: "browser"}}}
		}),
	}
	for name, r := range cases {
		t.Run(name, func(t *testing.T) {
			var want bytes.Buffer
			enc := json.NewEncoder(terminalSafeJSON{&want})
			enc.SetIndent("", "  ")
			if err := enc.Encode(r); err != nil {
				t.Fatal(err)
			}
			var got bytes.Buffer
			if err := (JSONWriter{}).Write(&got, r); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(want.String(), got.String()); diff != "" {
				t.Errorf("streamed json differs from the whole document (-want +got):\n%s", diff)
			}
		})
	}
}
