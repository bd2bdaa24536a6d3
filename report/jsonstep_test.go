package report

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"
)

// stdStep is a step as encoding/json writes it at depth (what appendStep
// must match): an Encoder indenting with the depth's prefix, its newline
// dropped.
func stdStep(t testing.TB, e *TimelineEvent, depth int) string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetIndent(indentOf(depth), jsonIndent)
	if err := enc.Encode(e); err != nil {
		t.Fatal(err)
	}
	return strings.TrimSuffix(b.String(), "\n")
}

// TestStepEncoding compares appendStep with encoding/json on steps with
// every field set or left out, and text that encoding/json escapes: HTML
// characters, controls, quotes and backslashes, invalid UTF-8, U+2028 and
// U+2029, C1 controls and bidi overrides (terminalSafeJSON's, which it
// writes raw), at the depths a report puts steps at and others.
func TestStepEncoding(t *testing.T) {
	t0 := time.Date(2026, 3, 1, 9, 0, 0, 111e6, time.UTC)
	hostile := "a<b>&c\"d\\e\x00\x01\x1f\x7f\t\n\r\b\f\u2028\u2029\u0085\u202e\xff\xc3(é😀\xed\xa0\x80z"
	steps := []TimelineEvent{
		{},
		{Ref: "entries[3]", Kind: "token-request"},
		{Time: At(t0), Ref: "entries[3]", Kind: "token-request", Party: "app", Lane: "page_1", LaneTitle: "page id page_1",
			Label: "POST /oauth2/v2.0/token", Code: "sha256:304121f03246", Status: 200, Highlight: []int{0}},
		{Time: At(t0.Add(90700 * time.Microsecond)), Ref: "frames[12]", File: "b.pcap", Kind: "token-response", Party: "provider",
			Status: 400, ErrorCode: "AADSTS54005", Highlight: []int{0, 3, -1, 1 << 40}},
		{Time: At(t0.Add(7 * time.Nanosecond)), Ref: hostile, File: hostile, Kind: hostile, Party: hostile, Lane: hostile,
			LaneTitle: hostile, Label: hostile, Code: hostile, Status: -7, ErrorCode: hostile, Highlight: []int{}},
		{Time: At(time.Date(12000, 1, 1, 0, 0, 0, 0, time.FixedZone("x", 3600))), Ref: "r", Kind: "k"},
		{Time: At(time.Date(-5, 1, 1, 0, 0, 0, 0, time.UTC)), Ref: "", Kind: ""},
	}
	for i := range steps {
		for _, depth := range []int{0, 1, 4, 7} {
			want := stdStep(t, &steps[i], depth)
			if got := string(appendStep(nil, &steps[i], depth)); got != want {
				t.Errorf("step %d at depth %d:\n got %q\nwant %q", i, depth, got, want)
			}
		}
	}
}

// TestStepFieldsKnown fails when TimelineEvent gains, loses or renames a
// field or changes a tag: appendStep writes its fields by hand and must
// change with it.
func TestStepFieldsKnown(t *testing.T) {
	want := []string{
		`Time json:"time,omitzero"`, `Ref json:"ref"`, `File json:"file,omitempty"`, `Kind json:"kind"`,
		`Party json:"party,omitempty"`, `Lane json:"lane,omitempty"`, `LaneTitle json:"lane_title,omitempty"`,
		`Label json:"label,omitempty"`, `Code json:"code,omitempty"`, `Status json:"status,omitempty"`,
		`ErrorCode json:"error_code,omitempty"`, `Highlight json:"highlight,omitempty"`,
	}
	typ := reflect.TypeFor[TimelineEvent]()
	var got []string
	for f := range typ.Fields() {
		got = append(got, f.Name+" "+string(f.Tag))
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("TimelineEvent's fields changed; update appendStep and this list:\n got %q\nwant %q", got, want)
	}
	if typ.Field(0).Type != reflect.TypeFor[Time]() || typ.Field(9).Type.Kind() != reflect.Int ||
		typ.Field(11).Type != reflect.TypeFor[[]int]() {
		t.Fatal("a TimelineEvent field changed type; update appendStep")
	}
}

// FuzzStepEncoding compares appendStep with encoding/json on any text,
// status, highlight and time.
func FuzzStepEncoding(f *testing.F) {
	f.Add("entries[3]", "token-request", "POST /token <&>", "\xff\u2028", int64(1772355600111000000), 200, 3, uint8(2))
	f.Add("", "", "", "", int64(0), 0, -1, uint8(0))
	f.Fuzz(func(t *testing.T, ref, kind, label, other string, ns int64, status, h int, depth uint8) {
		e := TimelineEvent{Ref: ref, Kind: kind, Label: label, Party: other, Lane: label + other, LaneTitle: other,
			Code: ref + other, File: kind, ErrorCode: other, Status: status}
		if ns != 0 {
			e.Time = At(time.Unix(0, ns))
		}
		if h >= 0 {
			e.Highlight = []int{h, status}
		}
		d := int(depth % 8)
		if got, want := string(appendStep(nil, &e, d)), stdStep(t, &e, d); got != want {
			t.Errorf("got  %q\nwant %q", got, want)
		}
	})
}

// FuzzNeedsJSONEscape checks the word-at-a-time needsJSONEscape against
// the byte loop, on any bytes at any alignment.
func FuzzNeedsJSONEscape(f *testing.F) {
	f.Add([]byte(`{"ref": "entries[3]", "label": "POST /token"}`))
	f.Add([]byte("0123456\x7f"))
	f.Add([]byte("é ok \u0085 \u202e \u061c"))
	f.Fuzz(func(t *testing.T, p []byte) {
		for off := range min(len(p), 9) {
			if got, want := needsJSONEscape(p[off:]), needsJSONEscapeSlow(p[off:]); got != want {
				t.Fatalf("needsJSONEscape(%q) = %v, the byte loop says %v", p[off:], got, want)
			}
		}
	})
}

// TestNeedsJSONEscape: each byte that starts an escaped character, at each
// place of an eight-byte word and in the tail, is found.
func TestNeedsJSONEscape(t *testing.T) {
	for _, c := range []byte{0x7f, 0xc2, 0xe2, 0xd8} {
		for n := 1; n <= 24; n++ {
			for at := range n {
				p := bytes.Repeat([]byte("a"), n)
				if needsJSONEscape(p) {
					t.Fatalf("%q: found an escape in plain text", p)
				}
				p[at] = c
				if !needsJSONEscape(p) {
					t.Errorf("byte %#x at %d of %d not found", c, at, n)
				}
			}
		}
	}
}
