package report

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

// TestComparisonWritersEscapeHostileText: a file name and a note from a
// trace cannot drive the terminal, break the Markdown table or the JSON.
func TestComparisonWritersEscapeHostileText(t *testing.T) {
	evil := "a\x1b[31m|b`<script>\u202e\nc"
	c := &Comparison{SchemaVersion: SchemaVersion, Good: ComparedTrace{File: evil, Format: "har", SignIns: 1},
		Bad: ComparedTrace{File: "bad.har", Format: "har", SignIns: 2},
		Steps: []ComparedStep{{Step: "token-request", SignIn: 1, N: 1, Good: &StepPoint{Ref: "entries[3]", Status: 200},
			Bad:         &StepPoint{Ref: "entries[3]", Status: 400, ErrorCode: "invalid_grant"},
			Differences: []StepDiff{{Field: "redirect_uri", Good: evil, Bad: "https://app/cb/", Note: evil, Class: "explains"}}}},
		First: &FirstDifference{Step: "token-request", SignIn: 1, N: 1, Field: "redirect_uri", Note: evil}}
	for _, f := range CompareFormats() {
		var b bytes.Buffer
		if err := WriteComparison(&b, f, c); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		out := b.String()
		if strings.ContainsAny(out, "\x1b\u202e") {
			t.Errorf("%s: a raw control or bidi character reached the output", f)
		}
		switch f {
		case "json":
			var back Comparison
			if err := json.Unmarshal(b.Bytes(), &back); err != nil || back.Good.File != evil {
				t.Errorf("json does not round-trip: %v", err)
			}
		case "markdown":
			for _, line := range strings.Split(out, "\n") {
				if strings.HasPrefix(line, "| token-request") && strings.Count(line, "|")-strings.Count(line, `\|`) != 5 {
					t.Errorf("markdown row has extra cells: %s", line)
				}
			}
			if strings.Contains(out, "<script>") {
				t.Errorf("markdown passes raw HTML")
			}
		}
	}
	if err := WriteComparison(&bytes.Buffer{}, "sarif", c); err == nil {
		t.Errorf("compare wrote sarif")
	}
}
