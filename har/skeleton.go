package har

import (
	"encoding/binary"
	"math/bits"
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
	b      []byte  // the frame's buffer
	s      string  // the same bytes, viewed as a string
	opens  []int32 // offset of every '{' and '[', in order
	ends   []int32 // offset of the matching '}' or ']'
	counts []int32 // number of members or elements
	stack  []int32 // indexes into opens of the containers not closed yet
	arena  []byte  // unescaped strings of the current skeleton
}

// reset validates buf as gjson.ValidBytes would (the skeleton holds no
// whitespace outside strings, so none is accepted there) and indexes its
// containers; false means buf is not valid JSON. buf must not change while
// the skeleton's results are in use. strs, when not nil, is where the
// scanner found buf's plain strings (frame.strs), which are valid and are
// passed over without being read again; any other string is checked here.
func (k *skeleton) reset(buf []byte, strs []strSpan) bool {
	k.b, k.s = buf, unsafe.String(unsafe.SliceData(buf), len(buf))
	k.opens, k.ends, k.counts, k.stack = k.opens[:0], k.ends[:0], k.counts[:0], k.stack[:0]
	// Views into the arena die with the entry they were made for.
	k.arena = k.arena[:0]
	if cap(k.arena) > 1<<20 {
		k.arena = nil
	}
	if len(buf) > 1<<31-1 {
		return false
	}
	s := k.s
	n := len(s)
	i := 0
	next := 0 // the first of strs not passed yet
	var ok bool
	// str checks the string whose opening quote is at i and moves i
	// past its closing quote.
	str := func() bool {
		for next < len(strs) && int(strs[next].start) < i {
			next++
		}
		if next < len(strs) {
			if sp := strs[next]; int(sp.start) == i && int(sp.end) < n && s[sp.end] == '"' {
				next++
				i = int(sp.end) + 1
				return true
			}
		}
		i, _, ok = validStr(buf, i+1)
		return ok
	}
value:
	if i >= n {
		return false
	}
	if len(k.stack) > 0 {
		k.counts[k.stack[len(k.stack)-1]]++
	}
	switch c := s[i]; c {
	case '{', '[':
		k.stack = append(k.stack, int32(len(k.opens)))
		k.opens = append(k.opens, int32(i))
		k.ends = append(k.ends, 0)
		k.counts = append(k.counts, 0)
		i++
		if i < n && (c == '{' && s[i] == '}' || c == '[' && s[i] == ']') {
			goto closeIt
		}
		if c == '{' {
			goto key
		}
		goto value
	case '"':
		if !str() {
			return false
		}
	case 't':
		if len(s)-i < 4 || s[i:i+4] != "true" {
			return false
		}
		i += 4
	case 'f':
		if len(s)-i < 5 || s[i:i+5] != "false" {
			return false
		}
		i += 5
	case 'n':
		if len(s)-i < 4 || s[i:i+4] != "null" {
			return false
		}
		i += 4
	default:
		if i, ok = validNum(s, i); !ok {
			return false
		}
	}
	goto after
key:
	if i >= n || s[i] != '"' {
		return false
	}
	if !str() {
		return false
	}
	if i >= n || s[i] != ':' {
		return false
	}
	i++
	goto value
closeIt:
	// s[i] closes the innermost open container.
	{
		top := k.stack[len(k.stack)-1]
		k.ends[top] = int32(i)
		k.stack = k.stack[:len(k.stack)-1]
		i++
	}
after:
	if len(k.stack) == 0 {
		return i == n
	}
	if i >= n {
		return false
	}
	{
		obj := s[k.opens[k.stack[len(k.stack)-1]]] == '{'
		switch s[i] {
		case ',':
			i++
			if obj {
				goto key
			}
			goto value
		case '}':
			if obj {
				goto closeIt
			}
		case ']':
			if !obj {
				goto closeIt
			}
		}
	}
	return false
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
	e, _ := k.container(off)
	return e
}

// container returns the offset of the byte that closes the container
// opening at off, and its number of members or elements.
func (k *skeleton) container(off int) (int, int) {
	lo, hi := 0, len(k.opens)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if int(k.opens[m]) < off {
			lo = m + 1
		} else {
			hi = m
		}
	}
	if lo < len(k.opens) && int(k.opens[lo]) == off {
		return int(k.ends[lo]), int(k.counts[lo])
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
	q, esc := closingQuoteEsc(k.b[i+1:])
	j := i + 1 + q + 1
	raw := k.s[i:j]
	if !esc {
		return j, raw, raw[1 : len(raw)-1]
	}
	return j, raw, k.unescape(raw[1 : len(raw)-1])
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
func (k *skeleton) headers(v gjson.Result, in *interner, limit int, pool *headerPool, out *model.Headers, add func(name, value string) bool, general func(gjson.Result) bool) bool {
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
	i++
	for i < end {
		var more bool
		if name, value, next, plain := plainHeaderAt(s, i); plain {
			more = add(in.str(name), in.str(value))
			i = next
		} else {
			var h gjson.Result
			i, h = k.value(i)
			more = general(h)
		}
		if !more {
			break
		}
		i++ // the comma, or past the end
	}
	if len(*out) == 0 {
		*out = nil // as appending to nil leaves it
	}
	return true
}

// maxPresize bounds a header slice made before its elements are read.
const maxPresize = 256

// plainHeaderAt reads {"name":"…","value":"…"} at i with no escape in
// either string; the strings are views into s.
func plainHeaderAt(s string, i int) (name, value string, next int, ok bool) {
	const open, mid = `{"name":"`, `","value":"`
	if len(s)-i < len(open) || s[i:i+len(open)] != open {
		return "", "", 0, false
	}
	i += len(open)
	j := plainEnd(s, i)
	if j < 0 {
		return "", "", 0, false
	}
	name = s[i:j]
	i = j
	if len(s)-i < len(mid) || s[i:i+len(mid)] != mid {
		return "", "", 0, false
	}
	i += len(mid)
	j = plainEnd(s, i)
	if j < 0 || len(s)-j < 2 || s[j+1] != '}' {
		return "", "", 0, false
	}
	return name, s[i:j], j + 2, true
}

// plainEnd returns the offset of the quote ending a string's content that
// starts at i, or -1 when a backslash comes first.
func plainEnd(s string, i int) int {
	const lo, hi = 0x0101010101010101, 0x8080808080808080
	const quotes, backslashes = '"' * lo, '\\' * lo
	for ; i+8 <= len(s); i += 8 {
		v := binary.LittleEndian.Uint64(unsafe.Slice(unsafe.StringData(s[i:]), 8))
		x, y := v^quotes, v^backslashes
		if m := ((x-lo)&^x | (y-lo)&^y) & hi; m != 0 {
			i += bits.TrailingZeros64(m) / 8
			break
		}
	}
	for ; i < len(s); i++ {
		switch s[i] {
		case '"':
			return i
		case '\\':
			return -1
		}
	}
	return -1
}
