package secret

import (
	"encoding/json"
	"fmt"
	"math/rand"
	"strings"
	"testing"
)

// jwtLike is a token of one issuer's shape: the same header, a payload
// and a signature that differ by i.
func jwtLike(i int) string {
	r := rand.New(rand.NewSource(int64(i)))
	sig := make([]byte, 86)
	for j := range sig {
		sig[j] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"[r.Intn(64)]
	}
	return "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiIsImtpZCI6Ik1uQ19WWmNBVGZNNXBPWWlKSE1iYTlnb0VLWSJ9." +
		fmt.Sprintf("eyJhdWQiOiJhcGk6Ly9hcHAiLCJpc3MiOiJodHRwczovL3N0cy53aW5kb3dzLm5ldC8iLCJpYXQiOjE3MDAwMDAw%08d", i) +
		"." + string(sig)
}

// compactCases are values Compact compacts and values it keeps as New does.
func compactCases() []string {
	return []string{
		jwtLike(1), jwtLike(2),
		strings.Repeat("r", CompactMin-1), strings.Repeat("r", CompactMin-2) + "s1", strings.Repeat("0.AXoA", 40),
		"\x00" + strings.Repeat("nul-first", 20), "\x00\x01" + strings.Repeat("q", 68), "\x00",
		strings.Repeat("x", 300), "   " + strings.Repeat("*", 200) + "  ", "Bearer-REDACTED-" + strings.Repeat("A", 200),
		"SANITIZED" + strings.Repeat("b", 200), strings.Repeat("é", 100), "İ" + strings.Repeat("x", 200),
		"", "short", "st-exp",
	}
}

// TestCompactReadsAsNew: a compacted token formats, measures and compares
// as the Secret New makes of the same value, and == holds between equal
// values whether compacted or not.
func TestCompactReadsAsNew(t *testing.T) {
	vals := compactCases()
	for i, v := range vals {
		c, n := Compact(v), New(v)
		if wantCompact := len(v) >= CompactMin && !IsPlaceholder(n); c.IsCompact() != wantCompact {
			t.Errorf("Compact(%.20q).IsCompact() = %v, want %v", v, c.IsCompact(), wantCompact)
		}
		if n.IsCompact() {
			t.Errorf("New(%.20q) is compacted", v)
		}
		if !c.IsCompact() && c != n {
			t.Errorf("Compact(%.20q) kept the value but differs from New's", v)
		}
		cj, _ := json.Marshal(c)
		nj, _ := json.Marshal(n)
		for _, p := range [][2]any{
			{c.Fingerprint(), n.Fingerprint()}, {c.String(), n.String()}, {c.GoString(), n.GoString()},
			{fmt.Sprintf("%v|%s|%+v", c, c, c), fmt.Sprintf("%v|%s|%+v", n, n, n)}, {string(cj), string(nj)},
			{c.Len(), n.Len()}, {c.IsZero(), n.IsZero()}, {c.IsRedacted(), n.IsRedacted()},
			{IsPlaceholder(c), IsPlaceholder(n)}, {c.Render(false), n.Render(false)},
			{c.Equal(n), true}, {n.Equal(c), true}, {c.Equal(c), true}, {c == Compact(v), true},
		} {
			if p[0] != p[1] {
				t.Errorf("value %d (%.20q): compacted gives %v, New %v", i, v, p[0], p[1])
			}
		}
		if len(v) > 0 && n.Fingerprint() != Fingerprint(v) {
			t.Errorf("New(%.20q).Fingerprint() = %s, want %s", v, n.Fingerprint(), Fingerprint(v))
		}
		if got, ok := n.value(); !ok || got != v || n.Reveal() != v {
			t.Errorf("New(%.20q) reveals %.20q", v, got)
		}
		for j, w := range vals {
			if i == j {
				continue
			}
			if Compact(v) == Compact(w) || Compact(v).Equal(Compact(w)) || Compact(v).Equal(New(w)) || New(w).Equal(Compact(v)) {
				t.Errorf("values %d and %d compare equal", i, j)
			}
		}
	}
	// Alike but for one byte of the middle, which Compact does not keep.
	a := jwtLike(7)
	b := a[:100] + "#" + a[101:]
	if Compact(a) == Compact(b) || Compact(a).Equal(New(b)) || Compact(a).Fingerprint() == Compact(b).Fingerprint() {
		t.Errorf("values differing in the middle compare equal compacted")
	}
}

// TestCompactHasNoValue: what reads a compacted token's value fails loudly,
// and --no-redact's Render shows its fingerprint, never a part of it.
func TestCompactHasNoValue(t *testing.T) {
	v := jwtLike(3)
	c := Compact(v)
	if got := c.Render(true); got != Fingerprint(v) {
		t.Errorf("Render(true) = %q, want the fingerprint", got)
	}
	for name, f := range map[string]func(){
		"Reveal": func() { c.Reveal() }, "S256": func() { c.S256() }, "Claims": func() { c.Claims() },
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s of a compacted token did not panic", name)
				}
			}()
			f()
		}()
	}
	// What a compacted token holds: 70 bytes, none of its middle.
	if len(c.raw) != compactSize || strings.Contains(c.raw, v[compactHead:compactHead+ScrubMin]) {
		t.Errorf("compacted token is %d bytes or holds its middle", len(c.raw))
	}
}

// TestScrubberFindsCompacted: the output scrubber finds a compacted token's
// raw value wherever it reaches output text (a body echoing it, a URL, an
// error message, twice in a row, at either end), and scrubs as it does for
// the raw values; a value differing in the middle, which a compacted token
// does not keep, is taken for a secret too, and shows its own fingerprint.
func TestScrubberFindsCompacted(t *testing.T) {
	var vals []string
	raw, comp := NewScrubber(), NewScrubber()
	for i := 0; i < 2000; i++ {
		v := jwtLike(i)
		if i%4 == 0 {
			v = v[:len(v)-40] // other lengths
		}
		vals = append(vals, v)
		raw.Add(New(v))
		comp.Add(Compact(v))
	}
	vals = append(vals, "state-1234", "code-98765")
	for _, v := range vals[len(vals)-2:] {
		raw.Add(New(v))
		comp.Add(Compact(v))
	}
	if comp.Len() != len(vals) {
		t.Fatalf("Len = %d, want %d", comp.Len(), len(vals))
	}
	a, b := vals[5], vals[1998]
	altered := a[:100] + "#" + a[101:]
	for _, text := range []string{
		`{"ok":true,"echo":{"access_token":"` + a + `"}}`,
		"https://api.example/me?access_token=" + a + "&x=1",
		"https://api.example/me#id_token=" + b,
		"invalid_grant: refresh token " + a + " was revoked (state-1234)",
		a + a + b,
		a,
		"Bearer " + b,
		"code-98765" + a[:len(a)-1],
		altered + " " + a[1:] + " " + a[:len(a)-1],
	} {
		if got, want := comp.String(text), naiveScrubCompact(vals, text); got != want {
			t.Errorf("String(%.60q) = %.200q, want %.200q", text, got, want)
		}
		if got, want := raw.String(text), naiveScrub(vals, text); got != want {
			t.Errorf("raw values: String(%.60q) = %.200q, want %.200q", text, got, want)
		}
	}
	if got := comp.String("echo " + a); got != "echo "+Fingerprint(a) {
		t.Errorf("String = %q", got)
	}
	if got := comp.String(altered); got != Fingerprint(altered) {
		t.Errorf("a value altered in its middle gives %q, want its own fingerprint", got)
	}
	if got := raw.String(altered); got != altered {
		t.Errorf("raw values: a value altered in its middle was replaced: %q", got)
	}
	checkNaiveCompact(t, comp, vals, 41, "x=%s&")
}

// TestScrubberCompactedCrowd: compacted tokens alike in every window Add
// may index them by (their kept ends), differing in the middle, go to the
// crowd (looked up by SHA-256 at each place their first bytes are) and
// are all still found.
func TestScrubberCompactedCrowd(t *testing.T) {
	var vals []string
	s := NewScrubber()
	for i := 0; i < 300; i++ {
		v := strings.Repeat("A", 60) + fmt.Sprintf("%04x", i) + strings.Repeat("A", 100)
		vals = append(vals, v)
		s.Add(Compact(v))
	}
	s.Add(Compact(vals[299])) // again
	if len(s.crowdSums) < 250 || s.Len() != 300 {
		t.Fatalf("crowd %d, Len %d: alike tokens were not moved to the crowd, or counted twice", len(s.crowdSums), s.Len())
	}
	checkNaiveCompact(t, s, vals, 7, "x=%s&AAAAAAAA&")
}

// checkNaiveCompact is checkNaive for values compacted
// (naiveScrubCompact), and no value of the text is left whole in what it
// gives.
func checkNaiveCompact(t *testing.T, s *Scrubber, vals []string, step int, format string) {
	t.Helper()
	got := checkNaiveAs(t, s, vals, step, format, naiveScrubCompact)
	for i := 0; i < len(vals); i += step {
		if strings.Contains(got, vals[i]) {
			t.Fatalf("value %d left in %.300q", i, got)
		}
	}
}

// TestMayBePlaceholder: the shortcut Compact asks answers as isPlaceholder
// on long values: the trim set in any case and with bullets, the prefixes
// after spaces and behind letters that lower to ASCII, "redacted" at every
// offset and at either end.
func TestMayBePlaceholder(t *testing.T) {
	tok := jwtLike(9)
	vals := []string{tok, strings.Repeat("xX*.#-_•", 30), strings.Repeat("x", 200) + "y", " \u00a0" + strings.Repeat("•", 60) + "\u2003",
		"sanitized" + tok, "SANİTIZED" + tok, "  Removed:" + tok, "removeD" + tok, "remove" + tok, "\u212a" + tok,
		strings.Repeat("İ", 60) + "x", strings.Repeat("İ", 70), strings.Repeat("\u212a", 45), strings.Repeat("a", 121), tok + "redacte",
		strings.Repeat("é", 70) + "redacted"}
	for i := 0; i < len(tok)-8; i++ {
		vals = append(vals, tok[:i]+"ReDaCtEd"+tok[i:], tok[:i]+"redac"+tok[i:], tok[:i]+"rEDACTEd")
	}
	r := rand.New(rand.NewSource(3))
	alphabet := []string{"r", "e", "d", "a", "c", "t", "R", "E", "D", "x", "İ", "\u212a", " ", "•", "s", "i", "n", "z", "m", "o", "v"}
	for i := 0; i < 20000; i++ {
		var b strings.Builder
		for n := 100 + r.Intn(100); b.Len() < n; {
			b.WriteString(alphabet[r.Intn(len(alphabet))])
		}
		vals = append(vals, b.String())
	}
	yes := 0
	for _, v := range vals {
		if got, want := mayBePlaceholder(v), isPlaceholder(v); got != want {
			t.Errorf("mayBePlaceholder(%q) = %v, isPlaceholder %v", v, got, want)
		} else if got {
			yes++
		}
	}
	if yes < len(tok) {
		t.Errorf("only %d placeholders among the values: the test lost its cases", yes)
	}
}

func FuzzMayBePlaceholder(f *testing.F) {
	f.Add(jwtLike(1), 5)
	f.Add(strings.Repeat("x", 130), 0)
	f.Add("sanİtized"+jwtLike(2), 0)
	f.Fuzz(func(t *testing.T, v string, at int) {
		if at >= 0 && at <= len(v) {
			v = v[:at] + "redacted" + v[at:]
		}
		for _, w := range []string{v, v + strings.Repeat("A", 130), strings.Repeat("x", 130) + v} {
			if got, want := mayBePlaceholder(w), isPlaceholder(w); got != want {
				t.Fatalf("mayBePlaceholder(%q) = %v, isPlaceholder %v", w, got, want)
			}
		}
	})
}

// TestScrubberCompactedLookalikes: a span with a compacted token's length
// and ends but another middle (a hostile text's, or another value of the
// trace that the learning skipped as the token's: see Secret.MayHold) is
// replaced by its own fingerprint, never the token's, both on a window's
// chain and in the crowd; a text made of such spans is replaced all
// through.
func TestScrubberCompactedLookalikes(t *testing.T) {
	const block = "HHHHHHHH"
	tok := func(i int) string {
		return block + fmt.Sprintf("%01952d", i) + strings.Repeat(block, 5)
	}
	for _, n := range []int{1, 100} {
		s := NewScrubber()
		var vals []string
		for i := 0; i < n; i++ {
			vals = append(vals, tok(i))
			s.Add(Compact(vals[i]))
		}
		if n > 1 && len(s.crowdSums) == 0 {
			t.Fatalf("%d alike tokens, none in the crowd", n)
		}
		twin := tok(7_000_000)
		text := "x=" + twin + "&y=" + vals[0] + "&"
		if got, want := s.String(text), "x="+Fingerprint(twin)+"&y="+Fingerprint(vals[0])+"&"; got != want {
			t.Errorf("%d tokens: String = %.200q, want %.200q", n, got, want)
		}
		hostile := strings.Repeat(block, 100_000)
		if got := s.String(hostile); strings.Contains(got, strings.Repeat(block, len(twin)/len(block))) || !strings.Contains(got, Fingerprint(hostile[:len(twin)])) {
			t.Errorf("%d tokens: a text of spans with a token's ends was left: %.200q", n, got)
		}
		// A text of the true tokens is scrubbed as ever.
		var tb strings.Builder
		for _, v := range vals {
			tb.WriteString("x=" + v + "&")
		}
		if got, want := s.String(tb.String()), naiveScrub(vals, tb.String()); got != want {
			t.Errorf("%d tokens: String = %.200q, want %.200q", n, got, want)
		}
	}
}

// BenchmarkCompact compacts an Entra-sized access token (~1.6 KB): hashing
// it, and asking whether it is a placeholder.
func BenchmarkCompact(b *testing.B) {
	v := jwtLike(1)
	for len(v) < 1600 {
		v += jwtLike(len(v))[100:]
	}
	b.SetBytes(int64(len(v)))
	for i := 0; i < b.N; i++ {
		Compact(v)
	}
}
