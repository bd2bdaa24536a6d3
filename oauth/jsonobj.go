package oauth

import (
	"encoding/binary"
	"encoding/json"
	"strconv"
	"unicode/utf8"
	"unsafe"
)

// jsonObject holds the top-level members of a JSON object as spans of the
// text, read the way json.Unmarshal reads it into a
// map[string]json.RawMessage (the text is valid JSON exactly when
// json.Valid says so, a later member wins over an earlier one of the same
// name, the top-level null is an object without members) without the
// map, the decoder's two passes and a second json.Unmarshal per member: a
// token response of 3.5 KB was a quarter of a scan's CPU.
type jsonObject struct {
	members []jsonMember
}

type jsonMember struct {
	key   []byte // the quoted name as written
	dec   string // the name unquoted, when it has escapes or bytes beyond ASCII
	val   []byte // the value as written
	plain bool   // val is a string without escapes and bytes beyond ASCII
}

// jsonMaxDepth is encoding/json's limit of nesting (the top-level object
// counts): text nested deeper is invalid for it.
const jsonMaxDepth = 10000

// parseJSONObject reads data, its members appended to buf (the caller's
// array on its stack: a jsonObject holding its own array would be on the
// heap); ok is false when json.Unmarshal into a map would fail.
func parseJSONObject(data []byte, buf []jsonMember) (o jsonObject, ok bool) {
	o.members, ok = parseMembers(data, buf[:0])
	return o, ok
}

// parseMembers appends the members of the object data holds to members.
// It is not a method storing into a jsonObject: a slice stored through a
// pointer escapes, and with it the caller's array (a token response's
// 1.2 KB of members allocated for each answer read).
func parseMembers(data []byte, members []jsonMember) ([]jsonMember, bool) {
	i := skipJSONSpace(data, 0)
	if i == len(data) {
		return members, false
	}
	switch data[i] {
	case 'n':
		if !hasLiteral(data, i, "null") {
			return members, false
		}
		return members, skipJSONSpace(data, i+4) == len(data)
	case '{':
	default:
		return members, false
	}
	i = skipJSONSpace(data, i+1)
	if i < len(data) && data[i] == '}' {
		return members, skipJSONSpace(data, i+1) == len(data)
	}
	for {
		if i >= len(data) || data[i] != '"' {
			return members, false
		}
		end, plain, ok := scanJSONString(data, i)
		if !ok {
			return members, false
		}
		mb := jsonMember{key: data[i:end]}
		if !plain {
			if mb.dec, ok = unmarshalString(mb.key); !ok {
				return members, false
			}
		}
		i = skipJSONSpace(data, end)
		if i >= len(data) || data[i] != ':' {
			return members, false
		}
		i = skipJSONSpace(data, i+1)
		if i < len(data) && data[i] == '"' {
			end, mb.plain, ok = scanJSONString(data, i)
		} else {
			end, ok = skipJSONValue(data, i)
		}
		if !ok {
			return members, false
		}
		mb.val = data[i:end]
		members = append(members, mb)
		i = skipJSONSpace(data, end)
		if i >= len(data) {
			return members, false
		}
		switch data[i] {
		case ',':
			i = skipJSONSpace(data, i+1)
		case '}':
			return members, skipJSONSpace(data, i+1) == len(data)
		default:
			return members, false
		}
	}
}

// get returns the value of the member named k; the last one wins, as in a
// map filled in order.
func (o *jsonObject) get(k string) ([]byte, bool) {
	for j := len(o.members) - 1; j >= 0; j-- {
		if o.members[j].name() == k {
			return o.members[j].val, true
		}
	}
	return nil, false
}

// name is the member's name; for a plain name, a conversion the compiler
// does without copying when compared.
func (m *jsonMember) name() string {
	if m.dec != "" || len(m.key) == 2 {
		return m.dec
	}
	return string(m.key[1 : len(m.key)-1])
}

// str is json.Unmarshal of member k into a string: its text for a string,
// "" for null, anything else or no member.
func (o *jsonObject) str(k string) string {
	for j := len(o.members) - 1; j >= 0; j-- {
		if m := &o.members[j]; m.name() == k {
			if m.plain {
				return string(m.val[1 : len(m.val)-1])
			}
			s, _ := jsonString(m.val)
			return s
		}
	}
	return ""
}

// view is str without a copy for a plain string: its text in the parsed
// data, valid while the data is; any other value is str's own.
func (o *jsonObject) view(k string) string {
	for j := len(o.members) - 1; j >= 0; j-- {
		if m := &o.members[j]; m.name() == k {
			if m.plain {
				v := m.val[1 : len(m.val)-1]
				return unsafe.String(unsafe.SliceData(v), len(v))
			}
			s, _ := jsonString(m.val)
			return s
		}
	}
	return ""
}

// jsonString unquotes a value that is a JSON string (ok false otherwise);
// null is "" with ok, as json.Unmarshal into a string leaves it.
func jsonString(raw []byte) (s string, ok bool) {
	if len(raw) == 0 {
		return "", false
	}
	switch raw[0] {
	case 'n':
		return "", true
	case '"':
	default:
		return "", false
	}
	inner := raw[1 : len(raw)-1]
	for _, c := range inner {
		if c == '\\' || c >= utf8.RuneSelf {
			// Escapes and bytes beyond ASCII: encoding/json's own
			// unquoting (U+FFFD for invalid bytes and lone surrogates).
			return unmarshalString(raw)
		}
	}
	return string(inner), true
}

// unmarshalString is json.Unmarshal of raw into a string: the slow path,
// on its own so that its string is on the heap only when it runs.
func unmarshalString(raw []byte) (string, bool) {
	var s string
	if json.Unmarshal(raw, &s) != nil {
		return "", false
	}
	return s, true
}

// jsonNumber is json.Unmarshal of a value into a json.Number: a number's
// text, a string's when it is a valid number, "" for null. ok is false
// for anything else; then s is the string that value holds, if any.
func jsonNumber(raw []byte) (n string, s string, ok bool) {
	if len(raw) == 0 {
		return "", "", false
	}
	switch c := raw[0]; {
	case c == '-' || c >= '0' && c <= '9':
		return string(raw), "", true
	case c == 'n':
		return "", "", true
	case c == '"':
		s, _ = jsonString(raw)
		if isJSONNumber(s) {
			return s, "", true
		}
		return "", s, false
	}
	return "", "", false
}

// isJSONNumber says whether s is a JSON number, as encoding/json checks a
// string it stores into a json.Number.
func isJSONNumber(s string) bool {
	end, ok := scanJSONNumber([]byte(s), 0)
	return ok && end == len(s)
}

// expiresIn reads expires_in as the JSON reading of a token response did:
// a number (or a string holding one) in [0, 2^31), else a string Atoi
// reads as non-negative.
func (o *jsonObject) expiresIn() (int, bool) { return o.seconds("expires_in") }

// seconds reads a member holding seconds (expires_in,
// refresh_token_expires_in) as expiresIn does.
func (o *jsonObject) seconds(name string) (int, bool) {
	raw, ok := o.get(name)
	if !ok {
		return 0, false
	}
	n, s, ok := jsonNumber(raw)
	if ok {
		if v, err := strconv.ParseInt(n, 10, 64); err == nil && v >= 0 && v < 1<<31 {
			return int(v), true
		}
		return 0, false
	}
	if v, err := strconv.Atoi(s); err == nil && v >= 0 {
		return v, true
	}
	return 0, false
}

func skipJSONSpace(data []byte, i int) int {
	for i < len(data) && (data[i] == ' ' || data[i] == '\t' || data[i] == '\r' || data[i] == '\n') {
		i++
	}
	return i
}

func hasLiteral(data []byte, i int, lit string) bool {
	return len(data)-i >= len(lit) && string(data[i:i+len(lit)]) == lit
}

// scanJSONString returns the end of the string that starts at data[i]
// ('"'); plain is true when it has no escapes and no byte beyond ASCII.
func scanJSONString(data []byte, i int) (end int, plain, ok bool) {
	plain = true
	for i++; i < len(data); i++ {
		// Eight plain bytes at a time (a token response is mostly the
		// long plain strings of its tokens): none is a quote, a
		// backslash, a control byte or a byte beyond ASCII.
		for i+8 <= len(data) {
			v := binary.LittleEndian.Uint64(data[i:])
			x, y := v^quotes8, v^backslashes8
			if ((x-lo8)&^x|(y-lo8)&^y|(v-spaces8)|v)&hi8 != 0 {
				break
			}
			i += 8
		}
		for i < len(data) && jsonPlainByte[data[i]] {
			i++
		}
		if i == len(data) {
			break
		}
		switch c := data[i]; {
		case c == '"':
			return i + 1, plain, true
		case c < 0x20:
			return 0, false, false
		case c >= utf8.RuneSelf:
			plain = false
		case c == '\\':
			plain = false
			i++
			if i >= len(data) {
				return 0, false, false
			}
			switch data[i] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
			case 'u':
				if len(data)-i <= 4 {
					return 0, false, false
				}
				for _, h := range data[i+1 : i+5] {
					if !('0' <= h && h <= '9' || 'a' <= h && h <= 'f' || 'A' <= h && h <= 'F') {
						return 0, false, false
					}
				}
				i += 4
			default:
				return 0, false, false
			}
		}
	}
	return 0, false, false
}

// Constants of the eight-bytes-at-a-time test of scanJSONString: a byte
// of v is a quote, a backslash or below 0x20 when the byte of x, y or v
// less lo8 borrows into its high bit; v's own high bit is a byte beyond
// ASCII. (A borrow only runs on past a byte that already matched.)
const (
	lo8, hi8                     = 0x0101010101010101, 0x8080808080808080
	quotes8, backslashes8        = '"' * lo8, '\\' * lo8
	spaces8               uint64 = 0x20 * lo8
)

// jsonPlainByte is true for the bytes a string holds as they are: not
// '"', '\\', a control byte or a byte beyond ASCII.
var jsonPlainByte = func() (t [256]bool) {
	for c := 0x20; c < utf8.RuneSelf; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

// scanJSONNumber returns the end of the number that starts at data[i].
func scanJSONNumber(data []byte, i int) (int, bool) {
	if i < len(data) && data[i] == '-' {
		i++
	}
	if i >= len(data) {
		return 0, false
	}
	switch {
	case data[i] == '0':
		i++
	case data[i] >= '1' && data[i] <= '9':
		i = skipDigits(data, i)
	default:
		return 0, false
	}
	if i < len(data) && data[i] == '.' {
		j := skipDigits(data, i+1)
		if j == i+1 {
			return 0, false
		}
		i = j
	}
	if i < len(data) && (data[i] == 'e' || data[i] == 'E') {
		i++
		if i < len(data) && (data[i] == '+' || data[i] == '-') {
			i++
		}
		j := skipDigits(data, i)
		if j == i {
			return 0, false
		}
		i = j
	}
	return i, true
}

func skipDigits(data []byte, i int) int {
	for i < len(data) && data[i] >= '0' && data[i] <= '9' {
		i++
	}
	return i
}

// skipJSONValue returns the end of the value that starts at data[i], a
// member's value of the top-level object: containers in it are nested
// from depth 2. It keeps the open containers on a stack of its own, not
// the goroutine's (hostile input nests 10,000 deep).
func skipJSONValue(data []byte, i int) (int, bool) {
	var small [32]bool // true for an object
	open := small[:0]
	for {
		// A value starts at i.
		if i >= len(data) {
			return 0, false
		}
		switch c := data[i]; {
		case c == '{' || c == '[':
			open = append(open, c == '{')
			if 1+len(open) > jsonMaxDepth {
				return 0, false
			}
			i = skipJSONSpace(data, i+1)
			if i < len(data) && (c == '{' && data[i] == '}' || c == '[' && data[i] == ']') {
				open = open[:len(open)-1]
				i++
				break
			}
			if c == '{' {
				var ok bool
				if i, ok = skipJSONName(data, i); !ok {
					return 0, false
				}
			}
			continue
		case c == '"':
			end, _, ok := scanJSONString(data, i)
			if !ok {
				return 0, false
			}
			i = end
		case c == '-' || c >= '0' && c <= '9':
			end, ok := scanJSONNumber(data, i)
			if !ok {
				return 0, false
			}
			i = end
		case c == 't' && hasLiteral(data, i, "true"):
			i += 4
		case c == 'f' && hasLiteral(data, i, "false"):
			i += 5
		case c == 'n' && hasLiteral(data, i, "null"):
			i += 4
		default:
			return 0, false
		}
		// A value ended at i: close containers until one goes on.
	next:
		for {
			if len(open) == 0 {
				return i, true
			}
			i = skipJSONSpace(data, i)
			if i >= len(data) {
				return 0, false
			}
			obj := open[len(open)-1]
			switch c := data[i]; {
			case c == ',':
				i = skipJSONSpace(data, i+1)
				if obj {
					var ok bool
					if i, ok = skipJSONName(data, i); !ok {
						return 0, false
					}
				}
				break next
			case obj && c == '}' || !obj && c == ']':
				open = open[:len(open)-1]
				i++
			default:
				return 0, false
			}
		}
	}
}

// skipJSONName skips a member's name and its colon, and the space after.
func skipJSONName(data []byte, i int) (int, bool) {
	if i >= len(data) || data[i] != '"' {
		return 0, false
	}
	end, _, ok := scanJSONString(data, i)
	if !ok {
		return 0, false
	}
	i = skipJSONSpace(data, end)
	if i >= len(data) || data[i] != ':' {
		return 0, false
	}
	return skipJSONSpace(data, i+1), true
}
