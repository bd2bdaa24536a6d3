package har

import (
	"strings"
	"testing"

	"github.com/traceaudit/traceaudit/model"
)

// TestWhitespaceInsideScalar: the skeleton drops whitespace, which must not
// glue two tokens into one: "-\t1", "2 00" or "tr ue" is not JSON and the
// entry is skipped, as encoding/json would refuse it, while whitespace
// between tokens is read as before. Found by CI's short FuzzRedactHAR run:
// the reader read "-\t1" as -1 where the redact copy refused the entry.
func TestWhitespaceInsideScalar(t *testing.T) {
	entry := func(size, status string) string {
		return `{"log":{"entries":[{"request":{"method":"GET","url":"https://a.example/","headers":[],"headersSize":` + size +
			`},"response":{"status":` + status + `,"headers":[],"content":{}}}]}}`
	}
	for _, tc := range []struct {
		doc  string
		read bool
	}{
		{entry("-1", "200"), true},
		{entry(" -1 ", "\n200\t"), true},
		{entry("-1\r\n", "200 "), true},
		{entry("-\t1", "200"), false},
		{entry("-1", "2 00"), false},
		{entry("1 .5", "200"), false},
		{entry("1e 5", "200"), false},
		{strings.Replace(entry("-1", "200"), `"content":{}`, `"content":{"x":tr ue}`, 1), false},
		{strings.Replace(entry("-1", "200"), `"content":{}`, `"content":{"x":true }`, 1), true},
	} {
		r, err := NewReader(strings.NewReader(tc.doc), Options{})
		if err != nil {
			t.Fatalf("%s: %v", tc.doc, err)
		}
		exs, err := model.ReadAll(r)
		if err != nil {
			t.Fatalf("%s: %v", tc.doc, err)
		}
		if got := len(exs) == 1; got != tc.read {
			t.Errorf("%q: read %v, want %v (notes %v)", tc.doc, got, tc.read, r.Notes())
		}
		if !tc.read && (len(r.Notes()) == 0 || r.Notes()[0].Kind != model.NoteBadEntry) {
			t.Errorf("%q: notes %v, want a bad-entry note", tc.doc, r.Notes())
		}
	}
}
