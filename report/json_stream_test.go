package report

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
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
		// Timelines long enough to be encoded by two goroutines: at the
		// threshold, a chunk over it, and an odd number of chunks with a
		// short last one; steps from both fixtures, hostile text included.
		"long timeline": variant(signin, func(r *Report) {
			r.Files[0].Timeline = longTimeline([]*Report{signin, hostile}, timelineSplitMin+5*timelineChunk+37)
		}),
		"timeline at the threshold": variant(signin, func(r *Report) {
			r.Files[0].Timeline = longTimeline([]*Report{signin, hostile}, timelineSplitMin)
		}),
		"timeline of whole chunks": variant(signin, func(r *Report) {
			r.Files[0].Timeline = longTimeline([]*Report{signin, hostile}, timelineSplitMin+timelineChunk)
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

// longTimeline repeats the timeline steps of the reports, in turn, up to n
// steps, each with its own ref and label so that a chunk written out of
// place shows.
func longTimeline(reports []*Report, n int) []TimelineEvent {
	var steps []TimelineEvent
	for _, r := range reports {
		for _, f := range r.Files {
			steps = append(steps, f.Timeline...)
		}
	}
	out := make([]TimelineEvent, n)
	for i := range out {
		out[i] = steps[i%len(steps)]
		out[i].Ref = fmt.Sprintf("entries[%d]", i)
		out[i].Label += fmt.Sprintf(" #%d", i)
	}
	return out
}

// TestLongTimelineWriteError: a write failing in the middle of a timeline
// encoded by two goroutines ends writing with that error (no hang, no
// goroutine left waiting).
func TestLongTimelineWriteError(t *testing.T) {
	signin := readFixture(t, "signin.json")
	r := *signin
	r.Files = append([]File(nil), signin.Files...)
	r.Files[0].Timeline = longTimeline([]*Report{signin}, 3*timelineSplitMin)
	for _, after := range []int{0, 1000, 300_000, 600_000} {
		w := &failAfter{left: after}
		err := JSONWriter{}.Write(w, &r)
		if !errors.Is(err, errWriteFailed) {
			t.Errorf("failing after %d bytes: error %v, want %v", after, err, errWriteFailed)
		}
	}
}

var errWriteFailed = errors.New("disk full")

type failAfter struct{ left int }

func (f *failAfter) Write(p []byte) (int, error) {
	if len(p) > f.left {
		return 0, errWriteFailed
	}
	f.left -= len(p)
	return len(p), nil
}
