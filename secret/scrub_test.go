package secret

import (
	"fmt"
	"math/rand"
	"net/url"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
)

func scrubberOf(vals ...string) *Scrubber {
	s := NewScrubber()
	for _, v := range vals {
		s.Add(New(v))
	}
	return s
}

func TestScrubberReplacesAnywhere(t *testing.T) {
	s := scrubberOf("st-exp", "0.AAAAcode1234", "0.AAAAcode1234-longer", "tok_9f8e7d")
	fp := Fingerprint
	for _, tc := range []struct{ in, want string }{
		{"https://app.example/callbackestate=st-exp", "https://app.example/callbackestate=" + fp("st-exp")},
		{"path /callbackst-exp vs /callback", "path /callback" + fp("st-exp") + " vs /callback"},
		{"st-exp", fp("st-exp")},
		{"st-ex", "st-ex"},
		{"code=0.AAAAcode1234-longer&x=1", "code=" + fp("0.AAAAcode1234-longer") + "&x=1"},
		{"code=0.AAAAcode1234-long", "code=" + fp("0.AAAAcode1234") + "-long"},
		{"tok_9f8e7dtok_9f8e7d", fp("tok_9f8e7d") + fp("tok_9f8e7d")},
		{"nothing secret here at all", "nothing secret here at all"},
	} {
		if got := s.String(tc.in); got != tc.want {
			t.Errorf("String(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestScrubberLeavesShortAndKnownValues(t *testing.T) {
	s := scrubberOf("abcde", Fingerprint("value123"), "")
	if s.Len() != 0 {
		t.Fatalf("Len = %d, want 0: short values and fingerprints are not recorded", s.Len())
	}
	s = scrubberOf("abcde", Fingerprint("value123"), "[REDACTED]", "xxxxxxxx", "")
	in := "abcde " + Fingerprint("value123") + " [REDACTED] xxxxxxxx"
	if got := s.String(in); got != in {
		t.Errorf("String changed %q to %q", in, got)
	}
	s = NewScrubber()
	s.Add(New("abcdef"))
	s.Add(New("abcdef"))
	if s.Len() != 1 {
		t.Errorf("Len = %d after adding one value twice, want 1", s.Len())
	}
}

type scrubInner struct {
	Text  string
	Bytes []byte
	Sec   Secret
	hid   string
}

type scrubOuter struct {
	Msg    string
	Ptr    *scrubInner
	List   []scrubInner
	Arr    [2]string
	ByName map[string]string
	ByKey  map[string]*scrubInner
	Any    any
	Named  myString
}

type myString string

// scrubNode refers to itself before its string.
type scrubNode struct {
	Kids []*scrubNode
	Name string
}

func TestScrubberStringsWalksEverything(t *testing.T) {
	const v = "leaked-value-42"
	s := scrubberOf(v)
	fp := Fingerprint(v)
	o := &scrubOuter{
		Msg:    "a " + v,
		Ptr:    &scrubInner{Text: v, Bytes: []byte(v), Sec: New(v), hid: v},
		List:   []scrubInner{{Text: "x" + v}},
		Arr:    [2]string{"", v + "!"},
		ByName: map[string]string{"k": v, "key " + v: "plain"},
		ByKey:  map[string]*scrubInner{"p": {Text: v}},
		Any:    &scrubInner{Text: v},
		Named:  myString(v),
	}
	s.Strings(o)
	checks := map[string]string{
		"Msg": o.Msg, "Ptr.Text": o.Ptr.Text, "List[0].Text": o.List[0].Text, "Arr[1]": o.Arr[1],
		"ByName[k]": o.ByName["k"], "ByKey[p].Text": o.ByKey["p"].Text, "Any.Text": o.Any.(*scrubInner).Text,
		"Named": string(o.Named),
	}
	for name, got := range checks {
		if strings.Contains(got, v) || !strings.Contains(got, fp) {
			t.Errorf("%s = %q: the value was not replaced by %s", name, got, fp)
		}
	}
	if _, ok := o.ByName["key "+fp]; !ok || len(o.ByName) != 2 {
		t.Errorf("map keys = %v: the key holding the value was not replaced", o.ByName)
	}
	tree := &scrubNode{Kids: []*scrubNode{{Name: v}}}
	s.Strings(tree)
	if tree.Kids[0].Name != fp {
		t.Errorf("nested node = %q, want %s", tree.Kids[0].Name, fp)
	}
	// Bytes, unexported fields and Secret's own value are not output text.
	if string(o.Ptr.Bytes) != v || o.Ptr.hid != v || o.Ptr.Sec.Reveal() != v {
		t.Error("the walk changed bytes, an unexported field or a Secret")
	}
}

// naiveScrub is the specification String must match: left to right, at
// each position the longest recorded value (or URL-encoded form Add
// records, withEscapes) that starts there, in the text or in the text with
// its %XX escapes (either case) decoded once, twice or three times, where
// a value found covers the escapes of its first to last byte.
func naiveScrub(vals []string, text string) string { return naiveScrubAs(vals, text, false) }

// naiveScrubCompact is naiveScrub for a Scrubber given the values
// compacted where Compact compacts them: such a value is found as any span
// of its length with its first compactHead and last compactTail bytes.
func naiveScrubCompact(vals []string, text string) string { return naiveScrubAs(vals, text, true) }

func naiveScrubAs(vals []string, text string, compacted bool) string {
	var kept []string
	var byEnds []bool // kept[i] is found by its length and ends
	for i, v := range withEscapes(vals) {
		if len(v) >= ScrubMin && !IsFingerprint(v) && !IsPlaceholder(New(v)) {
			kept = append(kept, v)
			// An encoded form (i past vals) is of a value too short to
			// be compacted, found exactly however long the encoding
			// made it.
			byEnds = append(byEnds, compacted && i < len(vals) && Compact(v).IsCompact())
		}
	}
	type span struct{ start, end int }
	var spans []span
	// longest is the length of the longest value at t[i:], 0 for none.
	longest := func(t string, i int) int {
		best := 0
		for k, v := range kept {
			if len(v) <= best || len(t)-i < len(v) {
				continue
			}
			if byEnds[k] {
				w := t[i : i+len(v)]
				if w[:compactHead] == v[:compactHead] && w[len(w)-compactTail:] == v[len(v)-compactTail:] {
					best = len(v)
				}
			} else if strings.HasPrefix(t[i:], v) {
				best = len(v)
			}
		}
		return best
	}
	// Layer 0 is the text; pos maps a layer's byte to the text's.
	cur := text
	pos := make([]int, len(text)+1)
	for i := range pos {
		pos[i] = i
	}
	for layer := 0; layer <= 3; layer++ {
		for i := 0; i < len(cur); i++ {
			if n := longest(cur, i); n > 0 {
				spans = append(spans, span{pos[i], pos[i+n]})
			}
		}
		var dec []byte
		var dpos []int
		escaped := false
		for i := 0; i < len(cur); {
			dpos = append(dpos, pos[i])
			if cur[i] == '%' && i+2 < len(cur) {
				if b, err := strconv.ParseUint(cur[i+1:i+3], 16, 8); err == nil && cur[i+1] != '+' && cur[i+1] != '-' {
					dec = append(dec, byte(b))
					i += 3
					escaped = true
					continue
				}
			}
			dec = append(dec, cur[i])
			i++
		}
		if !escaped {
			break
		}
		cur, pos = string(dec), append(dpos, pos[len(cur)])
	}
	sort.SliceStable(spans, func(a, b int) bool {
		if spans[a].start != spans[b].start {
			return spans[a].start < spans[b].start
		}
		return spans[a].end > spans[b].end
	})
	var b strings.Builder
	last := 0
	for _, m := range spans {
		if m.start < last {
			continue
		}
		b.WriteString(text[last:m.start])
		b.WriteString(Fingerprint(text[m.start:m.end]))
		last = m.end
	}
	b.WriteString(text[last:])
	return b.String()
}

// withEscapes is vals with the URL-encoded forms Scrubber.Add records too.
func withEscapes(vals []string) []string {
	out := slices.Clone(vals)
	for _, v := range vals {
		if len(v) >= ScrubMin && len(v) < CompactMin && !strings.Contains(v, "%") && !IsFingerprint(v) && !isPlaceholder(v) {
			if esc := url.QueryEscape(v); esc != v {
				out = append(out, esc, url.QueryEscape(esc))
			}
		}
	}
	return out
}

func FuzzScrubber(f *testing.F) {
	f.Add("st-exp", "0.AAAAcode", "0.AAAAcode-long", "x 0.AAAAcode-long st-exp st-ex 0.AAAAcode")
	f.Add("aaaaaa", "aaaaaaa", "", "aaaaaaaaaaaaaaaaaaa")
	f.Add("xAAAAAAAA0001AAAAAAAA", "AAAAAAAA0002AAAAAAAA", "AAAAAAAA0001AAAAAAAA", "AAAAAAAA0001AAAAAAAAAAAAAAAA0002AAAAAAAA")
	long := strings.Repeat("eyJ0eXAiOiJKV1Qi", 9)
	f.Add(long+"sig1", long+"sig22", "st-exp", "a "+long+"sig1"+long+"sig22 "+long+"sig2 st-exp")
	f.Add(long+"0123456789", "", "", long+"0123456789"+long)
	// Encoded once, twice, in lower-case hex, long and short.
	f.Add(long+"/+=tail", "4/0AX+y=", "", "a="+url.QueryEscape(url.QueryEscape(long+"/+=tail"))+"&b=4%2f0AX%2by%3d&c=%25252F")
	f.Fuzz(func(t *testing.T, a, b, c, text string) {
		vals := []string{a, b, c}
		// Forty values alike but for one byte, outside every window
		// Add may index them by: the crowd's path.
		if len(a) >= 20 {
			for i := 0; i < 40; i++ {
				v := []byte(a)
				v[7] = byte('0' + i)
				vals = append(vals, string(v))
			}
		}
		s := scrubberOf(vals...)
		want := naiveScrub(vals, text)
		if got := s.String(text); got != want {
			t.Fatalf("String(%q) = %q, want %q (values %q)", text, got, want, vals)
		}
		// The same values compacted where Compact compacts them: found
		// by their lengths and ends.
		cs := NewScrubber()
		for _, v := range vals {
			cs.Add(Compact(v))
		}
		if got, want := cs.String(text), naiveScrubCompact(vals, text); got != want {
			t.Fatalf("compacted: String(%q) = %q, want %q (values %q)", text, got, want, vals)
		}
	})
}

func TestScrubberManyValues(t *testing.T) {
	r := rand.New(rand.NewSource(1))
	var vals []string
	s := NewScrubber()
	for i := 0; i < 5000; i++ {
		v := fmt.Sprintf("%x", r.Uint64())
		vals = append(vals, v)
		s.Add(New(v))
	}
	text := "a " + vals[17] + " b " + vals[4999] + vals[0] + " c"
	if got, want := s.String(text), naiveScrub(vals, text); got != want {
		t.Fatalf("String = %q, want %q", got, want)
	}
}

// TestScrubberSharedEnds records values that share long beginnings and
// ends (tokens of one issuer, padded base64): each must still be found.
func TestScrubberSharedEnds(t *testing.T) {
	r := rand.New(rand.NewSource(2))
	var vals []string
	s := NewScrubber()
	for i := 0; i < 3000; i++ {
		v := fmt.Sprintf("eyJhbGciOiJSUzI1NiJ9.%08x.c2lnbmF0dXJl==", r.Uint32())
		if i%3 == 0 {
			v = fmt.Sprintf("0.AXoA%06d", i) // alike but for their last bytes
		}
		vals = append(vals, v)
		s.Add(New(v))
	}
	got := checkNaive(t, s, vals, 97, "x=%s&")
	if strings.Contains(got, "eyJ") || strings.Contains(got, "0.AXoA") {
		t.Errorf("a value was left: %q", got)
	}
}

// TestScrubberCrowdedWindows records values alike in all the windows a
// value may be indexed by (a hostile trace's, differing in four bytes
// none of those windows holds): they go to the crowd, looked up whole,
// and are all still found.
func TestScrubberCrowdedWindows(t *testing.T) {
	var vals []string
	s := NewScrubber()
	for i := 0; i < 600; i++ {
		vals = append(vals, alikeValue(i))
		s.Add(New(vals[i]))
	}
	s.Add(New(vals[599])) // again
	if len(s.crowd) < 500 || s.Len() != 600 {
		t.Fatalf("crowd %d, Len %d: alike values were not moved to the crowd, or counted twice", len(s.crowd), s.Len())
	}
	checkNaive(t, s, vals, 7, "x=%s&AAAAAAAA&")
}

// alikeValue is value i of a hostile trace's: the same but for four bytes
// none of the windows Add may index it by holds.
func alikeValue(i int) string { return fmt.Sprintf("AAAAAAAA%04xAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", i) }

// checkNaive scrubs a text naming every step-th value in format and fails
// unless it equals naiveScrub's; it returns the scrubbed text.
func checkNaive(t *testing.T, s *Scrubber, vals []string, step int, format string) string {
	t.Helper()
	return checkNaiveAs(t, s, vals, step, format, naiveScrub)
}

func checkNaiveAs(t *testing.T, s *Scrubber, vals []string, step int, format string, naive func([]string, string) string) string {
	t.Helper()
	var tb strings.Builder
	for i := 0; i < len(vals); i += step {
		fmt.Fprintf(&tb, format, vals[i])
	}
	text := tb.String()
	got := s.String(text)
	if want := naive(vals, text); got != want {
		t.Fatalf("String = %.300q, want %.300q", got, want)
	}
	return got
}

func TestRedactURLCollect(t *testing.T) {
	var got []string
	raw := "https://app.example/cb?state=s1234567&code_challenge=plainverifier&return=https%3A%2F%2Fx.example%2F%3Fcode%3Dc7654321#access_token=at999999&q=1"
	red := RedactURLCollect(raw, func(s Secret) { got = append(got, s.Reveal()) })
	if red != RedactURL(raw) {
		t.Errorf("RedactURLCollect = %q, RedactURL = %q", red, RedactURL(raw))
	}
	want := []string{"s1234567", "plainverifier", "c7654321", "at999999"}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("collected %q, want %q", got, want)
	}
}

// BenchmarkScrubberString scrubs report-like text (URLs with fingerprints)
// against as many values as a capture of 65,000 sign-ins carries.
func BenchmarkScrubberString(b *testing.B) {
	r := rand.New(rand.NewSource(1))
	s := NewScrubber()
	for i := 0; i < 200000; i++ {
		s.Add(New(fmt.Sprintf("st%016x", r.Uint64())))
	}
	var tb strings.Builder
	for tb.Len() < 1<<20 {
		fmt.Fprintf(&tb, `{"url":"http://login.example.com/oauth2/v2.0/authorize?client_id=app-%d&response_type=code&state=%s","ref":"frame %d"}`,
			tb.Len(), Fingerprint(fmt.Sprint(tb.Len())), tb.Len())
	}
	text := tb.String()
	b.SetBytes(int64(len(text)))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if s.String(text) != text {
			b.Fatal("changed")
		}
	}
}

// BenchmarkScrubberCrowd scrubs a listing-like text holding each of 20,000
// values alike but for four bytes (a hostile trace's), all indexed by one
// crowded window without the crowd.
func BenchmarkScrubberCrowd(b *testing.B) {
	s := NewScrubber()
	var tb strings.Builder
	for i := 0; i < 20000; i++ {
		v := alikeValue(i)
		s.Add(New(v))
		fmt.Fprintf(&tb, `{"redirect_uri":"https://app.example/%s"}`, v)
	}
	text := tb.String()
	b.SetBytes(int64(len(text)))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		s.String(text)
	}
}

func BenchmarkScrubberBuild(b *testing.B) {
	r := rand.New(rand.NewSource(1))
	vals := make([]Secret, 200000)
	for i := range vals {
		vals[i] = New(fmt.Sprintf("st%016x", r.Uint64()))
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		s := NewScrubber()
		s.Reserve(len(vals))
		for _, v := range vals {
			s.Add(v)
		}
	}
}

// TestScrubberURLEncodedEchoes: a value that URL encoding changes is found
// encoded once (an error_description quoting a Google code) and twice (a
// return URL carried in a parameter), and what encoding leaves alone is
// not recorded again.
func TestScrubberURLEncodedEchoes(t *testing.T) {
	code := "4/0AX4XfWh-google-code-1"
	s := NewScrubber()
	s.Add(New(code))
	s.Add(New("plainvalue123"))
	n := s.Len()
	for _, text := range []string{
		"Bad code 4%2F0AX4XfWh-google-code-1 given",
		"/err?msg=code+4%252F0AX4XfWh-google-code-1+failed",
		"raw 4/0AX4XfWh-google-code-1",
	} {
		out := s.String(text)
		if strings.Contains(out, "0AX4XfWh-google-code-1") {
			t.Errorf("%q: the code is left in %q", text, out)
		}
		if !strings.Contains(out, "sha256:") {
			t.Errorf("%q: no fingerprint in %q", text, out)
		}
	}
	if n != 4 {
		t.Errorf("recorded %d values, want 4 (the code raw, encoded once and twice, the plain value)", n)
	}
	if got := s.String("sha256%3A0123 [REDACTED] plainvalue12"); got != "sha256%3A0123 [REDACTED] plainvalue12" {
		t.Errorf("text without a value changed: %q", got)
	}
}

// TestScrubberEscaped: a value is found URL-encoded in lower-case hex, and
// a long (compacted) token encoded once and twice inside another URL's
// parameter, where the encoded forms Add records are of neither.
func TestScrubberEscaped(t *testing.T) {
	long := "rt/" + strings.Repeat("Ab3+xY9/", 30) + "=="
	short := "4/0AXq+z="
	for _, compact := range []bool{false, true} {
		s := NewScrubber()
		if compact {
			s.Add(Compact(long))
		} else {
			s.Add(New(long))
		}
		s.Add(New(short))
		lowerHex := func(v string) string {
			return regexp.MustCompile(`%[0-9A-F]{2}`).ReplaceAllStringFunc(v, strings.ToLower)
		}
		lower := lowerHex(url.QueryEscape(short))
		text := "https://app.example/login?returnUrl=" + url.QueryEscape("https://app.example/cb?t="+url.QueryEscape(long)) +
			"&n=" + lowerHex(url.QueryEscape(long)) + "&s=" + lower + "&keep=%2Fhome%2f"
		got := s.String(text)
		for _, leak := range []string{"Ab3", lower} {
			if strings.Contains(got, leak) {
				t.Errorf("compact=%v: %q still holds %q", compact, got, leak)
			}
		}
		if !strings.Contains(got, "&s="+Fingerprint(lower)+"&keep=%2Fhome%2f") {
			t.Errorf("compact=%v: %q: the lower-case escape is not fingerprinted as written, or its neighbours changed", compact, got)
		}
	}
}
