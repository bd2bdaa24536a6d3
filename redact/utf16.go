package redact

import (
	"bytes"
	"encoding/binary"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// utf16Text returns a body written in UTF-16 as UTF-8 text: one that
// starts with a byte order mark, or whose charset parameter (ct, the
// Content-Type; "" when unknown) names UTF-16. A .NET service's answer
// or a WCF message can be so written, and names and values in it are no
// ASCII a rule reads. ok is false when the bytes are no UTF-16 text (odd
// length, a lone surrogate, control bytes but line ends and tabs).
func utf16Text(ct string, data []byte) (text []byte, order byteOrder, bom, ok bool) {
	switch {
	case len(data) >= 2 && data[0] == 0xff && data[1] == 0xfe:
		order, bom = binary.LittleEndian, true
	case len(data) >= 2 && data[0] == 0xfe && data[1] == 0xff:
		order, bom = binary.BigEndian, true
	default:
		cs := charsetOf(ct)
		switch cs {
		case "utf-16le":
			order = binary.LittleEndian
		case "utf-16be", "utf-16":
			// RFC 2781: UTF-16 without a mark is big-endian, but
			// Windows writes little-endian: the one whose first
			// character is ASCII is taken.
			order = binary.BigEndian
			if len(data) >= 2 && data[0] != 0 && data[1] == 0 {
				order = binary.LittleEndian
			}
		default:
			// Neither mark nor charset: text in UTF-16 all the same
			// when its first characters are ASCII written so (a
			// service that answers UTF-16 without saying it, a HAR's
			// base64 of its bytes).
			var sniffed bool
			if order, sniffed = sniffUTF16(data); !sniffed {
				return nil, nil, false, false
			}
		}
	}
	b := data
	if bom {
		b = data[2:]
	}
	if len(b)%2 != 0 {
		return nil, nil, false, false
	}
	units := make([]uint16, len(b)/2)
	for i := range units {
		units[i] = order.Uint16(b[2*i:])
	}
	runes := utf16.Decode(units)
	var out bytes.Buffer
	out.Grow(len(runes))
	for _, c := range runes {
		if c == utf8.RuneError || c < 0x20 && c != '\t' && c != '\n' && c != '\r' {
			return nil, nil, false, false
		}
		out.WriteRune(c)
	}
	return out.Bytes(), order, bom, true
}

// sniffUTF16 reports bytes whose first characters (up to 256, four at
// least) are printable ASCII written in UTF-16 without a byte order mark,
// and in which order: each a byte of text and a zero byte.
func sniffUTF16(b []byte) (byteOrder, bool) {
	if len(b) < 8 || len(b)%2 != 0 || (b[0] == 0) == (b[1] == 0) {
		return nil, false
	}
	lo := 0 // the byte of each pair that holds the character
	var order byteOrder = binary.LittleEndian
	if b[0] == 0 {
		lo, order = 1, binary.BigEndian
	}
	for i := 0; i+1 < min(len(b), 512); i += 2 {
		c, z := b[i+lo], b[i+1-lo]
		if z != 0 || !(c >= 0x20 && c < 0x7f || c == '\t' || c == '\n' || c == '\r') {
			return nil, false
		}
	}
	return order, true
}

// encodeUTF16 writes UTF-8 text back as utf16Text read it.
func encodeUTF16(text []byte, order byteOrder, bom bool) []byte {
	units := utf16.Encode([]rune(string(text)))
	out := make([]byte, 0, 2*len(units)+2)
	if bom {
		out = order.AppendUint16(out, 0xfeff)
	}
	for _, u := range units {
		out = order.AppendUint16(out, u)
	}
	return out
}

// byteOrder reads and appends 16-bit units.
type byteOrder interface {
	binary.ByteOrder
	binary.AppendByteOrder
}

// charsetOf is the lower-cased charset parameter of a Content-Type.
func charsetOf(ct string) string {
	for p := range strings.SplitSeq(ct, ";") {
		if k, v, ok := strings.Cut(strings.TrimSpace(p), "="); ok && strings.EqualFold(strings.TrimSpace(k), "charset") {
			return strings.ToLower(strings.Trim(strings.TrimSpace(v), `"`))
		}
	}
	return ""
}

// bodyIn redacts a body whose Content-Type is ct: one written in UTF-16
// is redacted as UTF-8 text and written back in UTF-16 as it was, when
// that changed it; any other as body does.
func (r *redactor) bodyIn(ct string, data []byte) []byte {
	if text, order, bom, ok := utf16Text(ct, data); ok {
		if red := r.body(mediaType(ct), text); !bytes.Equal(red, text) {
			return encodeUTF16(red, order, bom)
		}
		return data
	}
	return r.body(mediaType(ct), data)
}
