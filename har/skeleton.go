package har

import (
	"encoding/binary"
	"math/bits"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
	"unsafe"

	"github.com/tidwall/gjson"
	"github.com/traceaudit/traceaudit/model"
)

// skeleton reads an entry's skeleton (frame.buf) in one validating pass and
// then hands the decoder gjson.Result values member by member, as gjson's
// ValidBytes, ParseBytes and ForEach did, without their cost: gjson copied
// the skeleton into a string, validated it, and found the end of every
// object or array again at each level it was walked (request, headers,
// each header), five passes over most bytes of a HAR of small entries.
// The validating pass records where every object and array ends, so that
// walking one member after another never rescans a nested value.
//
// Results are views into the frame's buffer, which is reused for a later
// entry: the decoder copies every string it keeps (frame.str, plainHeader,
// the interner), as it did with gjson's substrings of the whole skeleton.
type skeleton struct {
	b     []byte      // the frame's buffer
	s     string      // the same bytes, viewed as a string
	cs    []container // every object and array, in the order they open
	arena []byte      // unescaped strings of the current skeleton
	// quotes[i], for a string whose opening quote is at i, is the offset
	// of its closing quote shifted left by one, the low bit set when the
	// string has an escape: reset finds where every string ends, and the
	// walk that follows reads it here instead of searching again. For an
	// object or array opening at i, it is the offset of the byte closing
	// it, shifted likewise. Only the entries of values reset passed are
	// written, and only for a skeleton of at most quotesMax bytes
	// (useQuotes).
	quotes    []uint32
	useQuotes bool
	// memo holds the request's and the response's headers of the last
	// entry read with this skeleton (see headerMemo).
	memo [2]headerMemo
	// hits are the header arrays of the current skeleton that reset found
	// in the memo (see arrayMemo), in order.
	hits []arrayHit
}

// arrayMemo is a whole header array as headers read it: its bytes in the
// skeleton, its number of elements and the headers read from them, every
// element read (none left to the general path, none dropped by the
// limits). A later entry whose array after a "headers" member name has
// the same bytes is neither validated nor read again: those bytes are a
// valid array (JSON's grammar does not depend on what is around a value)
// that reads as these headers.
type arrayMemo struct {
	raw   []byte
	count int
	hs    []model.Header // never changed once made: hits refer to it
}

// arrayHit is a header array reset found in the memo: where it opens and
// what it reads as.
type arrayHit struct {
	open  int
	count int
	hs    []model.Header
}

// arrayMemoBytes bounds the arrays remembered.
const arrayMemoBytes = 8 << 10

// headerMemo remembers a header list as headers read it, element by
// element: the element's bytes in the skeleton and the name and value read
// from them. Consecutive entries of a HAR repeat most headers at the same
// places (a browser writes the same user agent, client hints, accept
// lists and the like in the same order for every request of a page), and
// an element whose bytes are those of the element at the same place last
// time has the same name and value: they are taken from here instead of
// being read and interned again. What it holds is bounded: memoFields
// elements of at most memoFieldBytes.
type headerMemo struct {
	raw [][]byte
	hs  []model.Header
	// arr holds the last two distinct whole arrays read (see arrayMemo):
	// a HAR's requests alternate between a few lists (a page's GETs, an
	// API's POSTs).
	arr [2]arrayMemo
}

const (
	memoFields     = 64
	memoFieldBytes = 512
)

// container is an object or array of the skeleton.
type container struct {
	open, end int32 // offsets of its '{' or '[' and of the byte closing it
	count     int32 // number of members or elements
	parent    int32 // index in cs of the container it is in, or -1
}

// quotesMax bounds the skeletons whose string ends are recorded: the
// table takes four bytes per byte of skeleton, and an entry's skeleton
// (long strings are in side) is rarely more than a few KiB.
const quotesMax = 256 << 10

// reset validates buf as gjson.ValidBytes would (the skeleton holds no
// whitespace outside strings, so none is accepted there) and indexes its
// containers; false means buf is not valid JSON. buf must not change while
// the skeleton's results are in use. strs, when not nil, is where the
// scanner found buf's plain strings (frame.strs), which are valid and are
// passed over without being read again; any other string is checked here.
func (k *skeleton) reset(buf []byte, strs []strSpan) bool {
	k.b, k.s = buf, unsafe.String(unsafe.SliceData(buf), len(buf))
	// Views into the arena die with the entry they were made for.
	k.arena = k.arena[:0]
	if cap(k.arena) > 1<<20 {
		k.arena = nil
	}
	if len(buf) > 1<<31-1 {
		k.cs = k.cs[:0]
		return false
	}
	// The index is built in a local and stored once at the end: through
	// k, every append would store a slice header into the heap.
	cs := k.cs[:0]
	top := -1    // index in cs of the innermost open container
	obj := false // whether it is an object
	s := k.s
	n := len(s)
	i := 0
	next := 0 // the first of strs not passed yet
	var ok bool
	k.useQuotes = n <= quotesMax
	if k.useQuotes && cap(k.quotes) < n {
		k.quotes = make([]uint32, n+n/4)
	}
	quotes := k.quotes[:cap(k.quotes)]
	if !k.useQuotes {
		quotes = nil
	}
	k.hits = k.hits[:0]
	// One loop, a value per turn (after its member name in an object),
	// then the commas and closing brackets that follow it: a loop keeps
	// these values in registers, where labels jumped to from several
	// places spilled every one at each jump.
	needKey := false
	for {
		// headersKey: the value is a member named "headers" (see
		// arrayMemo).
		headersKey := false
		if needKey {
			if i >= n || s[i] != '"' {
				goto fail
			}
			// The member name at i: see the string case below.
			if next < len(strs) && int(strs[next].start) == i && int(strs[next].end) < n && s[strs[next].end] == '"' {
				e := int(strs[next].end)
				next++
				if i < len(quotes) {
					quotes[i] = uint32(e) << 1
				}
				headersKey = e-i == 8 && s[i+1:e] == "headers"
				i = e + 1
			} else {
				start := i
				var esc bool
				if i, esc, ok = validStr(buf, i+1); !ok {
					goto fail
				}
				if start < len(quotes) {
					quotes[start] = uint32(i-1)<<1 | b2u(esc)
				}
			}
			if i >= n || s[i] != ':' {
				goto fail
			}
			i++
		}
		if i >= n {
			goto fail
		}
		if top >= 0 {
			cs[top].count++
		}
		switch c := s[i]; c {
		case '{', '[':
			if headersKey && c == '[' && quotes != nil {
				if h, ok := k.arrayAt(i); ok {
					// A header array read before: recorded as a
					// container whose inside is not indexed (the
					// records there are cleared, so that nothing reads
					// a stale one), its strings passed.
					e := i + len(h) - 1
					cs = append(cs, container{open: int32(i), end: int32(e), count: int32(k.hits[len(k.hits)-1].count), parent: int32(top)})
					quotes[i] = uint32(e) << 1
					clear(quotes[i+1 : e+1])
					for next < len(strs) && int(strs[next].start) < e {
						next++
					}
					i = e + 1
					break
				}
			}
			cs = append(cs, container{open: int32(i), parent: int32(top)})
			top = len(cs) - 1
			obj = c == '{'
			i++
			if i >= n || !(obj && s[i] == '}' || !obj && s[i] == ']') {
				needKey = obj
				continue
			}
			// Empty: s[i] closes it, below.
		case '"':
			// The string whose opening quote is at i: passed over when
			// the scanner listed it as plain, checked otherwise; i moves
			// past its closing quote. strs lists plain strings in order,
			// and reset meets every string in order: a listed one is the
			// next of the list. (An entry that is not leaves the rest of
			// the list unused: checked here, never wrong.) Written out
			// here and for member names, not shared: this runs for every
			// string of every entry.
			if next < len(strs) && int(strs[next].start) == i && int(strs[next].end) < n && s[strs[next].end] == '"' {
				e := int(strs[next].end)
				next++
				if i < len(quotes) {
					quotes[i] = uint32(e) << 1
				}
				i = e + 1
			} else {
				start := i
				var esc bool
				if i, esc, ok = validStr(buf, i+1); !ok {
					goto fail
				}
				if start < len(quotes) {
					quotes[start] = uint32(i-1)<<1 | b2u(esc)
				}
			}
		case 't':
			if len(s)-i < 4 || s[i:i+4] != "true" {
				goto fail
			}
			i += 4
		case 'f':
			if len(s)-i < 5 || s[i:i+5] != "false" {
				goto fail
			}
			i += 5
		case 'n':
			if len(s)-i < 4 || s[i:i+4] != "null" {
				goto fail
			}
			i += 4
		default:
			if i, ok = validNum(s, i); !ok {
				goto fail
			}
		}
		// After a value: closing brackets, then a comma or the end.
		for {
			if top < 0 {
				ok = i == n
				goto done
			}
			if i >= n {
				goto fail
			}
			c := s[i]
			if c == ',' {
				i++
				needKey = obj
				break
			}
			if !(c == '}' && obj || c == ']' && !obj) {
				goto fail
			}
			// s[i] closes the innermost open container.
			cs[top].end = int32(i)
			if o := int(cs[top].open); o < len(quotes) {
				quotes[o] = uint32(i) << 1
			}
			top = int(cs[top].parent)
			i++
			if top >= 0 {
				obj = s[cs[top].open] == '{'
			}
		}
	}
fail:
	ok = false
done:
	k.cs = cs
	return ok
}

// arrayAt looks for the bytes at i (an array's opening bracket) among the
// remembered header arrays; on a match it records the hit and returns the
// remembered bytes.
func (k *skeleton) arrayAt(i int) ([]byte, bool) {
	rest := k.s[i:]
	for w := range k.memo {
		for j := range k.memo[w].arr {
			a := &k.memo[w].arr[j]
			if len(a.raw) > 0 && len(a.raw) <= len(rest) && rest[:len(a.raw)] == string(a.raw) {
				k.hits = append(k.hits, arrayHit{open: i, count: a.count, hs: a.hs})
				return a.raw, true
			}
		}
	}
	return nil, false
}

// keepArray remembers the header array raw, all of whose count elements
// were read as hs (which it copies), in place of the older of the two
// remembered. Its memory is reused, so that remembering lists that do not
// repeat (most of a real HAR's) allocates nothing once warm; but not the
// headers when a hit of the current entry (hits) still refers to them.
func (m *headerMemo) keepArray(raw []byte, count int, hs model.Headers, hits []arrayHit) {
	if m == nil || len(raw) > arrayMemoBytes || string(m.arr[0].raw) == string(raw) {
		return
	}
	old := m.arr[1]
	keep := old.hs[:0]
	for _, h := range hits {
		if cap(h.hs) > 0 && cap(keep) > 0 && &h.hs[:1][0] == &keep[:1][0] {
			keep = nil
			break
		}
	}
	m.arr[1] = m.arr[0]
	m.arr[0] = arrayMemo{raw: append(old.raw[:0], raw...), count: count, hs: append(keep, hs...)}
}

// validStr checks a string's content from i (after its opening quote) as
// gjson does: no control byte, only JSON's escapes; it returns the offset
// after the closing quote and whether an escape was seen.
func validStr(s []byte, i int) (int, bool, bool) {
	const lo, hi = 0x0101010101010101, 0x8080808080808080
	const quotes, backslashes = '"' * lo, '\\' * lo
	esc := false
	for {
		// Eight plain bytes at a time: no quote, backslash or byte < 0x20.
		for i+8 <= len(s) {
			v := binary.LittleEndian.Uint64(s[i:])
			x, y := v^quotes, v^backslashes
			m := ((x-lo)&^x | (y-lo)&^y | (v-0x2020202020202020)&^v) & hi
			if m != 0 {
				i += bits.TrailingZeros64(m) / 8
				break
			}
			i += 8
		}
		if i >= len(s) {
			return i, esc, false
		}
		switch c := s[i]; {
		case c == '"':
			return i + 1, esc, true
		case c < ' ':
			return i, esc, false
		case c == '\\':
			esc = true
			if i+1 >= len(s) {
				return i, esc, false
			}
			switch s[i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i += 2
			case 'u':
				if len(s)-i < 6 || !isHex(s[i+2]) || !isHex(s[i+3]) || !isHex(s[i+4]) || !isHex(s[i+5]) {
					return i, esc, false
				}
				i += 6
			default:
				return i, esc, false
			}
		default:
			i++
		}
	}
}

// validNum checks a number at i with gjson's grammar (JSON's).
func validNum(s string, i int) (int, bool) {
	n := len(s)
	if s[i] == '-' {
		i++
	}
	if i >= n || s[i] < '0' || s[i] > '9' {
		return i, false
	}
	if s[i] == '0' {
		i++
	} else {
		for i < n && s[i] >= '0' && s[i] <= '9' {
			i++
		}
	}
	if i < n && s[i] == '.' {
		i++
		if i >= n || s[i] < '0' || s[i] > '9' {
			return i, false
		}
		for i < n && s[i] >= '0' && s[i] <= '9' {
			i++
		}
	}
	if i < n && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < n && (s[i] == '+' || s[i] == '-') {
			i++
		}
		if i >= n || s[i] < '0' || s[i] > '9' {
			return i, false
		}
		for i < n && s[i] >= '0' && s[i] <= '9' {
			i++
		}
	}
	return i, true
}

// root is the whole skeleton as a value; reset must have accepted it.
func (k *skeleton) root() gjson.Result {
	_, r := k.value(0)
	return r
}

// end returns the offset of the byte that closes the container opening at
// off.
func (k *skeleton) end(off int) int {
	// reset recorded it where the container opens (see quotes): a
	// container never opens where a string does.
	if k.useQuotes && off >= 0 && off < len(k.b) && off < len(k.quotes) {
		if e := int(k.quotes[off] >> 1); e > off && e < len(k.b) && (k.b[e] == '}' || k.b[e] == ']') {
			return e
		}
	}
	e, _ := k.container(off)
	return e
}

// container returns the offset of the byte that closes the container
// opening at off, and its number of members or elements.
func (k *skeleton) container(off int) (int, int) {
	cs := k.cs
	lo, hi := 0, len(cs)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if int(cs[m].open) < off {
			lo = m + 1
		} else {
			hi = m
		}
	}
	if lo < len(cs) && int(cs[lo].open) == off {
		return int(cs[lo].end), int(cs[lo].count)
	}
	return -1, 0 // not a container of this skeleton: not reached on a validated one
}

// each calls fn for each member of the object (key and value) or element
// of the array v, a value this skeleton returned, as v.ForEach would.
func (k *skeleton) each(v gjson.Result, fn func(key, value gjson.Result) bool) {
	if !v.Exists() {
		return
	}
	if v.Type != gjson.JSON {
		fn(gjson.Result{}, v)
		return
	}
	s := k.s
	i := v.Index
	if i < 0 || i >= len(s) || len(v.Raw) == 0 || unsafe.StringData(v.Raw) != unsafe.StringData(s[i:]) {
		v.ForEach(fn) // not one of ours
		return
	}
	end := k.end(i)
	if end < 0 {
		v.ForEach(fn)
		return
	}
	obj := s[i] == '{'
	var key gjson.Result
	if obj {
		key.Type = gjson.String
	} else {
		key.Type, key.Num = gjson.Number, -1
	}
	i++
	for i < end {
		if obj {
			var raw, str string
			i, raw, str = k.str(i)
			key.Raw, key.Str, key.Index = raw, str, i-len(raw)
			i++ // the colon
		} else {
			key.Num++
		}
		var val gjson.Result
		i, val = k.value(i)
		if !fn(key, val) {
			return
		}
		if i < end {
			i++ // the comma
		}
	}
}

// members calls fn for each member of the object v, a value this skeleton
// returned, with its name and its value as a field, which reads the value
// only when asked: the decoders read 4 to 8 of an entry's, a request's or a
// response's 9 to 13 members, and reading the others (a number parsed again,
// a short body with escapes unescaped once more, a result of ten words
// built and copied) was a quarter of walking them. false means v is not an
// object of this skeleton and nothing was walked.
func (k *skeleton) members(v gjson.Result, fn func(key string, f field) bool) bool {
	s := k.s
	i := v.Index
	if v.Type != gjson.JSON || i < 0 || i >= len(s) || s[i] != '{' || len(v.Raw) == 0 || unsafe.StringData(v.Raw) != unsafe.StringData(s[i:]) {
		return false
	}
	end := k.end(i)
	if end < 0 {
		return false
	}
	i++
	for i < end {
		var key string
		i, _, key = k.str(i)
		i++ // the colon
		at := i
		i = k.skip(i)
		if !fn(key, field{sk: k, at: at}) {
			return true
		}
		if i < end {
			i++ // the comma
		}
	}
	return true
}

// skip returns the offset after the value at i, as value does, without
// reading it.
func (k *skeleton) skip(i int) int {
	s := k.s
	switch s[i] {
	case '{', '[':
		return k.end(i) + 1
	case '"':
		if k.useQuotes && uint(i) < uint(len(k.quotes)) {
			if q := int(k.quotes[i] >> 1); q > i && q < len(s) && s[q] == '"' {
				return q + 1
			}
		}
		q, _ := closingQuoteEsc(k.b[i+1:])
		return i + 1 + q + 1
	case 't', 'n':
		return i + 4
	case 'f':
		return i + 5
	}
	// A number reset validated: it ends at the first byte that cannot be
	// part of one (a comma or a closing bracket).
	j := i + 1
	for j < len(s) && numByte[s[j]] {
		j++
	}
	return j
}

// numByte is true for the bytes of a JSON number.
var numByte = [256]bool{'0': true, '1': true, '2': true, '3': true, '4': true, '5': true, '6': true, '7': true,
	'8': true, '9': true, '.': true, 'e': true, 'E': true, '+': true, '-': true}

// field is a member's value as members hands it: read by value, when
// wanted. ref holds the value itself on the reference path.
type field struct {
	sk  *skeleton
	at  int
	ref *gjson.Result
}

// value reads the member's value.
func (f field) value() gjson.Result {
	if f.ref != nil {
		return *f.ref
	}
	_, r := f.sk.value(f.at)
	return r
}

// value reads the value at i and returns the offset after it.
func (k *skeleton) value(i int) (int, gjson.Result) {
	s := k.s
	r := gjson.Result{Index: i}
	switch s[i] {
	case '{', '[':
		e := k.end(i)
		r.Type, r.Raw = gjson.JSON, s[i:e+1]
		return e + 1, r
	case '"':
		r.Type = gjson.String
		i, r.Raw, r.Str = k.str(i)
		return i, r
	case 't':
		r.Type, r.Raw = gjson.True, s[i:i+4]
		return i + 4, r
	case 'f':
		r.Type, r.Raw = gjson.False, s[i:i+5]
		return i + 5, r
	case 'n':
		r.Type, r.Raw = gjson.Null, s[i:i+4]
		return i + 4, r
	}
	j, _ := validNum(s, i)
	r.Type, r.Raw = gjson.Number, s[i:j]
	return j, r // Num is parsed when read: numOf
}

// str reads the (validated) string at i: the offset after it, its raw text
// and its content, unescaped as gjson does.
func (k *skeleton) str(i int) (int, string, string) {
	s := k.s
	// Where reset recorded the string ends (see quotes); a record is used
	// only if it points past the opening at a quote, so a stale one is
	// never read as valid.
	if k.useQuotes && uint(i) < uint(len(k.quotes)) {
		e := k.quotes[i]
		if q := int(e >> 1); q > i && q < len(s) && s[q] == '"' {
			raw := s[i : q+1]
			if e&1 == 0 {
				return q + 1, raw, raw[1 : q-i]
			}
			return q + 1, raw, k.unescape(raw[1 : q-i])
		}
	}
	q, esc := closingQuoteEsc(k.b[i+1:])
	j := i + 1 + q + 1
	raw := s[i:j]
	if !esc {
		return j, raw, raw[1 : len(raw)-1]
	}
	return j, raw, k.unescape(raw[1 : len(raw)-1])
}

func b2u(b bool) uint32 {
	if b {
		return 1
	}
	return 0
}

// unescape decodes the content of a valid JSON string as gjson's unescape
// does: a high surrogate pairs with a following low one, any other
// surrogate becomes U+FFFD. The result is a view into the arena, valid
// until the next reset (growing the arena leaves earlier views on the old
// array, which they keep alive).
func (k *skeleton) unescape(s string) string {
	start := len(k.arena)
	out := k.arena
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '\\' {
			out = append(out, c)
			continue
		}
		i++
		switch s[i] {
		case 'u':
			r := hexRune(s[i+1 : i+5])
			i += 4
			if utf16.IsSurrogate(r) && r < 0xDC00 && len(s)-i >= 7 && s[i+1] == '\\' && s[i+2] == 'u' {
				if r2 := hexRune(s[i+3 : i+7]); r2 >= 0xDC00 && r2 < 0xE000 {
					r = utf16.DecodeRune(r, r2)
					i += 6
				}
			}
			out = utf8.AppendRune(out, r)
		default:
			out = append(out, simpleEscapes[s[i]])
		}
	}
	k.arena = out
	b := out[start:]
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(&b[0], len(b))
}

func hexRune(s string) rune {
	var r rune
	for j := range 4 {
		c := s[j]
		switch {
		case '0' <= c && c <= '9':
			c -= '0'
		case 'a' <= c && c <= 'f':
			c = c - 'a' + 10
		default:
			c = c - 'A' + 10
		}
		r = r<<4 | rune(c)
	}
	return r
}

// headers walks a header array of this skeleton as decoder.headers's
// general path does, reading elements of the plain form (see plainHeader)
// in place, without building a value for each, and handing the others to
// general; it presizes *out to the number of elements (at most limit, the
// most headers kept), from pool.
// false means v is not an array of this skeleton and nothing was read.
func (k *skeleton) headers(v gjson.Result, in *interner, limit int, pool *headerPool, out *model.Headers, memo *headerMemo, add func(name, value string) bool, general func(gjson.Result) bool) bool {
	s := k.s
	i := v.Index
	if !v.IsArray() || i < 0 || i >= len(s) || unsafe.StringData(v.Raw) != unsafe.StringData(s[i:]) {
		return false
	}
	end, count := k.container(i)
	if end != i+len(v.Raw)-1 {
		return false
	}
	if count > 0 {
		*out = pool.Get(min(count, limit, maxPresize))
	}
	for _, h := range k.hits {
		if h.open == i {
			// Read before, in an earlier entry: the same calls of add.
			for _, f := range h.hs {
				if !add(f.Name, f.Value) {
					break
				}
			}
			if len(*out) == 0 {
				*out = nil
			}
			return true
		}
	}
	open := i
	whole := true // every element read by headerAt or the memo, none dropped
	i++
	for n := 0; i < end; n++ {
		var more bool
		if memo != nil && n < len(memo.raw) && s[i] == '{' {
			// The element as it was at this place in the last list.
			if e := k.end(i); e > i && string(memo.raw[n]) == s[i:e+1] {
				h := memo.hs[n]
				if !add(h.Name, h.Value) {
					whole = false
					break
				}
				i = e + 2 // past the element and the comma, or past the end
				continue
			}
		}
		if name, value, next, ok := k.headerAt(i); ok {
			name, value = in.str(name), in.str(value)
			more = add(name, value)
			memo.keep(n, k.b[i:next], name, value)
			i = next
		} else {
			memo.forget(n)
			whole = false
			var h gjson.Result
			i, h = k.value(i)
			more = general(h)
		}
		if !more {
			whole = false
			break
		}
		i++ // the comma, or past the end
	}
	if whole && len(*out) == count {
		memo.keepArray(k.b[open:end+1], count, *out, k.hits)
	}
	if len(*out) == 0 {
		*out = nil // as appending to nil leaves it
	}
	return true
}

// keep remembers the element at place n of the list being read: its bytes
// and what they were read as. A nil memo keeps nothing.
func (m *headerMemo) keep(n int, raw []byte, name, value string) {
	if m == nil || n >= memoFields {
		return
	}
	for len(m.raw) <= n {
		m.raw, m.hs = append(m.raw, nil), append(m.hs, model.Header{})
	}
	if len(raw) > memoFieldBytes {
		m.forget(n)
		return
	}
	m.raw[n] = append(m.raw[n][:0], raw...)
	m.hs[n] = model.Header{Name: name, Value: value}
}

// forget drops what the memo holds at place n: the element there was read
// by the general path, which the memo does not stand for.
func (m *headerMemo) forget(n int) {
	if m != nil && n < len(m.raw) {
		m.raw[n] = m.raw[n][:0]
		m.hs[n] = model.Header{}
	}
}

// headerAt reads a header of the form nearly every header has,
// {"name":"…","value":"…"}, in place: the texts are views into the
// skeleton, or into the arena for a string with escapes (a quoted user
// agent or client hint). Side references are left to the general path,
// which resolves them; so is every other form.
func (k *skeleton) headerAt(i int) (name, value string, next int, ok bool) {
	const open, mid, ref = `{"name":`, `,"value":`, `"\u0000\u0001`
	s := k.s
	if len(s)-i < len(open)+2 || s[i:i+len(open)] != open {
		return "", "", 0, false
	}
	i += len(open)
	if s[i] != '"' || s[i+1] == '\\' && strings.HasPrefix(s[i:], ref) {
		return "", "", 0, false
	}
	i, _, name = k.str(i)
	if !strings.HasPrefix(s[i:], mid) {
		return "", "", 0, false
	}
	i += len(mid)
	if len(s)-i < 2 || s[i] != '"' || s[i+1] == '\\' && strings.HasPrefix(s[i:], ref) {
		return "", "", 0, false
	}
	i, _, value = k.str(i)
	if i >= len(s) || s[i] != '}' {
		return "", "", 0, false
	}
	return name, value, i + 1, true
}

// maxPresize bounds a header slice made before its elements are read.
const maxPresize = 256
