package secret

import (
	"math/bits"
	"net/url"
	"reflect"
	"slices"
	"sort"
	"strings"
)

// ScrubMin is the shortest value a Scrubber replaces: shorter ones would hit
// unrelated text, and no code, token or verifier is that short.
const ScrubMin = 6

// Scrubber replaces the raw values of a trace's secrets with their
// fingerprints wherever they turn up in output text. It is the last line of
// defence behind the redaction of named parameters: a value sitting where no
// list looks (a state pasted into a redirect URI, a code echoed in a page
// title or an error description) still never reaches a report.
//
// A value is found at any position, inside a longer word too: when in doubt
// a report shows a fingerprint too many, never a secret. A trace can hold
// 200,000 values and its report tens of megabytes, so each value is indexed
// by one window of ScrubMin bytes, chosen among a few where values differ
// (tokens of one issuer share long prefixes, ASP.NET states start alike),
// and a position of text costs one probe of a bit set of those windows.
type Scrubber struct {
	// vals are the values as Secret holds them (Secret.raw): the raw
	// value, or a compacted token (Compact), which is found by its
	// length and kept ends (see matches).
	vals []string
	// off[i] is where vals[i]'s window starts in it; next[i] chains the
	// values of one window (index+1, 0 ends).
	off  []int32
	next []int32
	// An open-addressing table of windows: key, first value (index+1; 0 is
	// an empty slot) and how many values share it (saturating).
	slotKey   []uint64
	slotHead  []int32
	slotCount []uint16
	slotShift uint
	used      int
	// bloom has two bits set per window; most positions of a text are
	// ruled out there without touching the table.
	bloom      []uint64
	bloomShift uint
	// crowd holds values whose every candidate window is shared by
	// crowdAt values already (a hostile trace's values, alike but for a
	// few bytes): looked up whole, by length, where their first bytes
	// are, so that a crowded window does not cost a walk of all its
	// values at each place it turns up. crowdLens are their lengths,
	// longest first; crowdFirst has a bit per value's first window.
	crowd      map[string]struct{}
	crowdLens  []int
	crowdFirst [1 << 8]uint64
	// crowdSums are the crowd's compacted tokens, by SHA-256 of the
	// value (one entry per token); crowdEnds their lengths and ends
	// (endsKey), which is what a span must match; crowdSumLens their
	// lengths.
	crowdSums    map[string]struct{}
	crowdEnds    map[endsKey]struct{}
	crowdSumLens []int
}

// endsKey is a compacted token's length and kept ends.
type endsKey struct {
	n    int
	head [compactHead]byte
	tail [compactTail]byte
}

func endsOf(n int, head, tail string) endsKey {
	k := endsKey{n: n}
	copy(k.head[:], head)
	copy(k.tail[:], tail)
	return k
}

const (
	crowdAt       = 32
	crowdLensMax  = 32
	crowdFirstLog = 14 // bits in crowdFirst: 1 << 14
)

// NewScrubber returns a Scrubber that replaces nothing until values are
// added.
func NewScrubber() *Scrubber { return &Scrubber{} }

// Reserve makes room for n more values, sparing regrowth when the number
// is known.
func (s *Scrubber) Reserve(n int) {
	if cap(s.vals)-len(s.vals) < n {
		s.vals = append(make([]string, 0, len(s.vals)+n), s.vals...)
		s.off = append(make([]int32, 0, len(s.off)+n), s.off...)
		s.next = append(make([]int32, 0, len(s.next)+n), s.next...)
	}
	if want := 2 * (s.used + n); want > len(s.slotKey) {
		s.resize(want)
	}
}

// dedupeWalk bounds the look for an equal value already recorded: a
// duplicate left in costs a little memory, a long walk per value costs time.
const dedupeWalk = 8

// Add records a secret to replace. Empty and short values, values that are
// already fingerprints and sanitizers' placeholders are left alone.
//
// A value that URL encoding changes (a Google code "4/0AX…", a base64
// cookie with '/' or '+', a client secret) is recorded URL-encoded too,
// once and twice: an error text, a page or a redirect's return URL quotes
// it so, where the raw value is not found.
func (s *Scrubber) Add(sec Secret) {
	s.add(sec)
	if v, ok := sec.value(); ok && len(v) >= ScrubMin && len(v) <= maxEscaped && !strings.Contains(v, "%") &&
		!IsFingerprint(v) && !isPlaceholder(v) {
		if esc := url.QueryEscape(v); esc != v {
			s.add(New(esc))
			s.add(New(url.QueryEscape(esc)))
		}
	}
}

// maxEscaped bounds the values also recorded URL-encoded: codes, states,
// cookies and client secrets are shorter; a longer token is kept
// compacted (Compact), with no raw value to encode.
const maxEscaped = CompactMin - 1

func (s *Scrubber) add(sec Secret) {
	// window(off) is the value's ScrubMin bytes at off, among the
	// candidates: the end first (the ends of codes, tokens and states
	// are their random part), then the start, then the middle; of a
	// compacted token, whose middle is not kept, more of its end.
	var window func(off int) uint64
	var cands []int
	var candBuf [5]int
	c, compact := sec.compact()
	if compact {
		n := c.n
		window = func(off int) uint64 {
			if off == 0 {
				return packKey(c.head)
			}
			return packKey(c.tail[off-(n-compactTail):])
		}
		cands = append(candBuf[:0], n-ScrubMin, 0, n-2*ScrubMin, n-3*ScrubMin, n-4*ScrubMin)
	} else {
		v, _ := sec.value()
		if len(v) < ScrubMin || len(v) > 1<<30 || IsFingerprint(v) {
			return
		}
		window = func(off int) uint64 { return packKey(v[off:]) }
		cands = append(candBuf[:0], len(v)-ScrubMin, 0, (len(v)-ScrubMin)/2)
	}
	stored := sec.raw
	if 2*(s.used+1) > len(s.slotKey) {
		s.resize(2 * (s.used + 1))
	}
	best, bestSlot, bestCount := int32(cands[0]), -1, 0
	for i, off := range cands {
		slot, found := s.find(window(off))
		n := 0
		if found {
			n = int(s.slotCount[slot])
			if i == 0 {
				walked := 0
				for j := s.slotHead[slot]; j != 0 && walked < dedupeWalk; j = s.next[j-1] {
					if s.vals[j-1] == stored {
						return
					}
					walked++
				}
			}
		}
		if bestSlot < 0 || n < bestCount {
			best, bestSlot, bestCount = int32(off), slot, n
		}
		if n == 0 {
			break
		}
	}
	if bestCount >= crowdAt {
		if compact && s.addCrowdSum(c) {
			return
		}
		if v, ok := sec.value(); ok && s.addCrowd(v) {
			return
		}
	}
	k := window(int(best))
	if s.slotHead[bestSlot] == 0 {
		s.slotKey[bestSlot] = k
		s.used++
		s.setBloom(k)
	}
	s.vals = append(s.vals, stored)
	s.off = append(s.off, best)
	s.next = append(s.next, s.slotHead[bestSlot])
	s.slotHead[bestSlot] = int32(len(s.vals))
	if s.slotCount[bestSlot] < 1<<16-1 {
		s.slotCount[bestSlot]++
	}
}

// addCrowd records v among the crowd, unless its length would make too
// many to look up at each place (it then goes to its window's chain).
func (s *Scrubber) addCrowd(v string) bool {
	if _, ok := s.crowd[v]; ok {
		return true
	}
	if !slices.Contains(s.crowdLens, len(v)) {
		if len(s.crowdLens) >= crowdLensMax {
			return false
		}
		s.crowdLens = append(s.crowdLens, len(v))
		slices.SortFunc(s.crowdLens, func(a, b int) int { return b - a })
	}
	if s.crowd == nil {
		s.crowd = map[string]struct{}{}
	}
	s.crowd[v] = struct{}{}
	a, b := crowdBits(packKey(v))
	s.crowdFirst[a/64] |= 1 << (a % 64)
	s.crowdFirst[b/64] |= 1 << (b % 64)
	return true
}

// addCrowdSum is addCrowd for a compacted token.
func (s *Scrubber) addCrowdSum(c compacted) bool {
	if _, ok := s.crowdSums[c.sum]; ok {
		return true
	}
	if !slices.Contains(s.crowdSumLens, c.n) {
		if len(s.crowdSumLens) >= crowdLensMax {
			return false
		}
		s.crowdSumLens = append(s.crowdSumLens, c.n)
		slices.SortFunc(s.crowdSumLens, func(a, b int) int { return b - a })
	}
	if s.crowdSums == nil {
		s.crowdSums, s.crowdEnds = map[string]struct{}{}, map[endsKey]struct{}{}
	}
	s.crowdSums[c.sum] = struct{}{}
	s.crowdEnds[endsOf(c.n, c.head, c.tail)] = struct{}{}
	a, b := crowdBits(packKey(c.head))
	s.crowdFirst[a/64] |= 1 << (a % 64)
	s.crowdFirst[b/64] |= 1 << (b % 64)
	return true
}

func crowdBits(k uint64) (uint64, uint64) {
	h := k * 0x9E3779B97F4A7C15
	return h >> (64 - crowdFirstLog), (h << 24) >> (64 - crowdFirstLog)
}

// find returns the slot of key k, or the empty slot where it would go.
func (s *Scrubber) find(k uint64) (int, bool) {
	mask := uint64(len(s.slotKey) - 1)
	for h := s.home(k); ; h = (h + 1) & mask {
		if s.slotHead[h] == 0 {
			return int(h), false
		}
		if s.slotKey[h] == k {
			return int(h), true
		}
	}
}

// Len is the number of values recorded.
func (s *Scrubber) Len() int {
	if s == nil {
		return 0
	}
	return len(s.vals) + len(s.crowd) + len(s.crowdSums)
}

// resize makes the table at least n slots (a power of two), with a bit
// set of 16 bits per slot, and places every window again.
func (s *Scrubber) resize(n int) {
	size := 64
	for size < n {
		size *= 2
	}
	oldKey, oldHead, oldCount := s.slotKey, s.slotHead, s.slotCount
	s.slotKey, s.slotHead, s.slotCount = make([]uint64, size), make([]int32, size), make([]uint16, size)
	s.slotShift = uint(64 - (bits.Len(uint(size)) - 1))
	// Two bits in 16 per window keep a random position's false hits near
	// 1.5 %, in a set small enough for the processor's caches.
	s.bloom = make([]uint64, size/4)
	s.bloomShift = uint(64 - (bits.Len(uint(len(s.bloom)*64)) - 1))
	for i, head := range oldHead {
		if head == 0 {
			continue
		}
		slot, _ := s.find(oldKey[i])
		s.slotKey[slot], s.slotHead[slot], s.slotCount[slot] = oldKey[i], head, oldCount[i]
		s.setBloom(oldKey[i])
	}
}

func (s *Scrubber) setBloom(k uint64) {
	a, b := s.bloomBits(k)
	s.bloom[a/64] |= 1 << (a % 64)
	s.bloom[b/64] |= 1 << (b % 64)
}

func (s *Scrubber) bloomBits(k uint64) (uint64, uint64) {
	h := k * 0x9E3779B97F4A7C15
	return h >> s.bloomShift, (h << 24) >> s.bloomShift
}

// packKey packs the first ScrubMin bytes of v, the first byte lowest.
func packKey(v string) uint64 {
	var k uint64
	for i := ScrubMin - 1; i >= 0; i-- {
		k = k<<8 | uint64(v[i])
	}
	return k
}

// home is a window's first slot: the top bits of a multiplicative hash,
// which every byte of the window reaches.
func (s *Scrubber) home(k uint64) uint64 { return (k * 0xC2B2AE3D27D4EB4F) >> s.slotShift }

// match is one recorded value found in a text.
type match struct{ start, end int }

// String returns text with every recorded value replaced by its
// fingerprint: from the left, at each place the longest value that starts
// there. A span is replaced by its own fingerprint, so a span taken for a
// compacted token by its length and ends alone (see matches) shows its
// own, not the token's.
func (s *Scrubber) String(text string) string {
	if s.Len() == 0 || len(text) < ScrubMin {
		return text
	}
	found := s.matches(text, nil)
	found = s.escapedMatches(text, found)
	if len(found) == 0 {
		return text
	}
	sort.Slice(found, func(a, b int) bool {
		if found[a].start != found[b].start {
			return found[a].start < found[b].start
		}
		return found[a].end > found[b].end
	})
	var b strings.Builder
	b.Grow(len(text))
	last := 0
	for _, m := range found {
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

// maxUnescape is how many layers of percent-encoding escapedMatches
// takes off: a token in a return URL carried in another URL's parameter
// is encoded twice, once more when that URL is itself a parameter.
const maxUnescape = 3

// escapedMatches appends the recorded values found in text once its %XX
// escapes are decoded, once and up to maxUnescape times, as spans of
// text: a token URL-encoded inside another URL's parameter, or by an
// encoder that writes lower-case hex (%2f), which the encoded forms Add
// records do not match, nor any form of a compacted token. A span covers
// the escapes of the value's first to last byte.
func (s *Scrubber) escapedMatches(text string, found []match) []match {
	cur := text
	var pos []int32 // pos[i]: where cur[i] starts in text; nil is the identity
	for layer := 0; layer < maxUnescape && hasEscape(cur); layer++ {
		dec, dpos := unescapeMap(cur, pos)
		if len(dec) < ScrubMin {
			break
		}
		for _, m := range s.matches(dec, nil) {
			found = append(found, match{int(dpos[m.start]), int(dpos[m.end])})
		}
		cur, pos = dec, dpos
	}
	return found
}

// hasEscape reports a %XX escape in t.
func hasEscape(t string) bool {
	for i := strings.IndexByte(t, '%'); i >= 0 && i+2 < len(t); {
		if _, ok := escapeAt(t, i); ok {
			return true
		}
		j := strings.IndexByte(t[i+1:], '%')
		if j < 0 {
			break
		}
		i += 1 + j
	}
	return false
}

// escapeAt decodes the %XX escape at t[i], in either case, if one is there.
func escapeAt(t string, i int) (byte, bool) {
	if t[i] != '%' || i+2 >= len(t) {
		return 0, false
	}
	hi, okHi := unhex(t[i+1])
	lo, okLo := unhex(t[i+2])
	return hi<<4 | lo, okHi && okLo
}

// unescapeMap decodes t's %XX escapes (either case; '+' stays, as no
// token holds a space) and returns, for each decoded byte and one past
// the last, where it starts in the original text: in t itself, or through
// outer, the map of the layer t was decoded from.
func unescapeMap(t string, outer []int32) (string, []int32) {
	dec := make([]byte, 0, len(t))
	pos := make([]int32, 0, len(t)+1)
	at := func(i int) int32 {
		if outer != nil {
			return outer[i]
		}
		return int32(i)
	}
	for i := 0; i < len(t); {
		pos = append(pos, at(i))
		if c, ok := escapeAt(t, i); ok {
			dec = append(dec, c)
			i += 3
			continue
		}
		dec = append(dec, t[i])
		i++
	}
	pos = append(pos, at(len(t)))
	return string(dec), pos
}

// matches appends every place of text where a recorded value is, at each
// position all the values that start there.
//
// A compacted token is found by its length and kept ends, unhashed: a
// span that has them is taken for a secret whatever its middle. The span
// may be another value than the token (a token answer's other member, the
// same length and ends but for its middle), which the learning of a
// trace's secrets skips as held already by the event that holds the token
// compacted (Secret.MayHold compares no more), and which verifying the
// token's SHA-256 here let through raw. Only a value of 128 bytes or more
// sharing 32 bytes of a token's ends at its distance is taken so: a
// fingerprint too many, never a secret.
func (s *Scrubber) matches(text string, found []match) []match {
	if len(text) < ScrubMin {
		return found
	}
	var k uint64
	for i := 0; i < ScrubMin-1; i++ {
		k |= uint64(text[i]) << (8 * (i + 1))
	}
	for p := 0; p+ScrubMin <= len(text); p++ {
		// k holds text[p:p+ScrubMin], the first byte lowest.
		k = k>>8 | uint64(text[p+ScrubMin-1])<<(8*(ScrubMin-1))
		if s.crowd != nil || s.crowdSums != nil {
			if a, b := crowdBits(k); s.crowdFirst[a/64]&(1<<(a%64)) != 0 && s.crowdFirst[b/64]&(1<<(b%64)) != 0 {
				for _, n := range s.crowdLens {
					if _, ok := s.crowd[text[p:min(p+n, len(text))]]; ok && p+n <= len(text) && !isPlaceholder(text[p:p+n]) {
						found = append(found, match{p, p + n})
					}
				}
				for _, n := range s.crowdSumLens {
					if p+n > len(text) || n < compactHead+compactTail {
						continue
					}
					if _, ok := s.crowdEnds[endsOf(n, text[p:p+compactHead], text[p+n-compactTail:p+n])]; ok {
						found = append(found, match{p, p + n})
					}
				}
			}
		}
		x, y := s.bloomBits(k)
		if s.bloom[x/64]&(1<<(x%64)) == 0 || s.bloom[y/64]&(1<<(y%64)) == 0 {
			continue
		}
		slot, ok := s.find(k)
		if !ok {
			continue
		}
		for j := s.slotHead[slot]; j != 0; j = s.next[j-1] {
			e := Secret{raw: s.vals[j-1]}
			start := p - int(s.off[j-1])
			v, ok := e.value()
			if !ok {
				// A compacted token: its length and ends.
				c, _ := e.compact()
				if start >= 0 && start+c.n <= len(text) && text[start:start+compactHead] == c.head &&
					text[start+c.n-compactTail:start+c.n] == c.tail {
					found = appendMatch(found, match{start, start + c.n})
				}
				continue
			}
			// A sanitizer's placeholder ("[REDACTED]") is no secret and
			// reads better as it is; it is asked here, where values are
			// few, not for each value added.
			if start >= 0 && start+len(v) <= len(text) && text[start:start+len(v)] == v && !isPlaceholder(v) {
				found = append(found, match{start, start + len(v)})
			}
		}
	}
	return found
}

// appendMatch appends m unless it is the last match found: compacted
// tokens of one window, length and ends all match one span.
func appendMatch(found []match, m match) []match {
	if n := len(found); n > 0 && found[n-1] == m {
		return found
	}
	return append(found, m)
}

// Strings replaces recorded values in every string reachable from v, which
// must be a pointer: fields of structs, elements of slices and arrays, keys
// and values of maps, through pointers and interfaces. Walking the whole
// value rather than chosen fields keeps a field added later from escaping.
// Only exported fields can be set; Secret's raw value is unexported and
// formats as its fingerprint anyway. Byte slices are not text.
func (s *Scrubber) Strings(v any) {
	if s.Len() == 0 || v == nil {
		return
	}
	w := walker{s: s, fields: map[reflect.Type][]int{}, holds: map[reflect.Type]bool{}}
	w.walk(reflect.ValueOf(v), 0)
}

// maxWalkDepth bounds the walk of cyclic or absurdly nested values.
const maxWalkDepth = 64

// walker remembers, per type, which fields can hold a string, so that a
// report of 65,000 timeline steps costs a look at their strings only.
type walker struct {
	s      *Scrubber
	fields map[reflect.Type][]int
	holds  map[reflect.Type]bool
}

// mayHoldString reports whether a value of t can hold a string the walk
// can set.
func (w *walker) mayHoldString(t reflect.Type) bool {
	if h, ok := w.holds[t]; ok {
		return h
	}
	// A type met again inside itself is taken to hold strings: a walk too
	// many is cheap, a string missed is a leak.
	w.holds[t] = true
	h := false
	switch t.Kind() {
	case reflect.String, reflect.Interface:
		h = true
	case reflect.Pointer, reflect.Array:
		h = w.mayHoldString(t.Elem())
	case reflect.Slice:
		h = t.Elem().Kind() != reflect.Uint8 && w.mayHoldString(t.Elem())
	case reflect.Map:
		h = w.mayHoldString(t.Key()) || w.mayHoldString(t.Elem())
	case reflect.Struct:
		for i := 0; i < t.NumField() && !h; i++ {
			sf := t.Field(i)
			h = sf.IsExported() && w.mayHoldString(sf.Type)
		}
	}
	w.holds[t] = h
	return h
}

// fieldsOf lists the exported fields of struct type t that can hold a
// string.
func (w *walker) fieldsOf(t reflect.Type) []int {
	if f, ok := w.fields[t]; ok {
		return f
	}
	var f []int
	for i := 0; i < t.NumField(); i++ {
		if sf := t.Field(i); sf.IsExported() && w.mayHoldString(sf.Type) {
			f = append(f, i)
		}
	}
	w.fields[t] = f
	return f
}

func (w *walker) walk(v reflect.Value, depth int) {
	if depth > maxWalkDepth {
		return
	}
	switch v.Kind() {
	case reflect.String:
		if v.CanSet() {
			if t := v.String(); len(t) >= ScrubMin {
				if u := w.s.String(t); u != t {
					v.SetString(u)
				}
			}
		}
	case reflect.Pointer, reflect.Interface:
		if !v.IsNil() {
			w.walk(v.Elem(), depth+1)
		}
	case reflect.Struct:
		for _, i := range w.fieldsOf(v.Type()) {
			w.walk(v.Field(i), depth+1)
		}
	case reflect.Slice, reflect.Array:
		if !w.mayHoldString(v.Type()) {
			return
		}
		for i := 0; i < v.Len(); i++ {
			w.walk(v.Index(i), depth+1)
		}
	case reflect.Map:
		if !w.mayHoldString(v.Type()) {
			return
		}
		// Entries are copies: walk each, then put back what changed
		// (keys too: a map keyed by a URL or a name from the trace).
		type entry struct{ oldKey, key, val reflect.Value }
		var changed []entry
		iter := v.MapRange()
		for iter.Next() {
			key := reflect.New(v.Type().Key()).Elem()
			key.Set(iter.Key())
			val := reflect.New(v.Type().Elem()).Elem()
			val.Set(iter.Value())
			keyBefore, valBefore := key.Interface(), val.Interface()
			w.walk(key, depth+1)
			w.walk(val, depth+1)
			if !reflect.DeepEqual(keyBefore, key.Interface()) || !reflect.DeepEqual(valBefore, val.Interface()) {
				changed = append(changed, entry{iter.Key(), key, val})
			}
		}
		for _, c := range changed {
			v.SetMapIndex(c.oldKey, reflect.Value{})
		}
		for _, c := range changed {
			v.SetMapIndex(c.key, c.val)
		}
	}
}
