package etl

import "errors"

var errCompressed = errors.New("etl: compressed buffer is damaged")

// decompressXpress undoes the plain LZ77 variant of LZXpress ([MS-XCA]
// 2.3/2.4), which ETW uses for buffers of sessions started with
// compression (pktmon does). The output never grows past max bytes: the
// buffer header says how much the buffer held, and a hostile stream must
// not inflate beyond it.
func decompressXpress(src []byte, max int) ([]byte, error) {
	dst := make([]byte, 0, max) // max is bounded by the caller
	var flags uint32
	flagCount := 0
	pos := 0
	lastHalf := -1 // position of the byte whose high nibble is still unused
	for pos < len(src) {
		if flagCount == 0 {
			if pos+4 > len(src) {
				break // trailing padding
			}
			flags = uint32(src[pos]) | uint32(src[pos+1])<<8 | uint32(src[pos+2])<<16 | uint32(src[pos+3])<<24
			pos += 4
			flagCount = 32
		}
		flagCount--
		if flags&(1<<flagCount) == 0 {
			if pos == len(src) {
				break
			}
			if len(dst) >= max {
				return dst, errCompressed
			}
			dst = append(dst, src[pos])
			pos++
			continue
		}
		if pos == len(src) {
			break
		}
		if pos+2 > len(src) {
			return dst, errCompressed
		}
		m := int(src[pos]) | int(src[pos+1])<<8
		pos += 2
		offset := m/8 + 1
		length := m % 8
		if length == 7 {
			if lastHalf < 0 {
				if pos >= len(src) {
					return dst, errCompressed
				}
				lastHalf = pos
				length = int(src[pos] & 0x0f)
				pos++
			} else {
				length = int(src[lastHalf] >> 4)
				lastHalf = -1
			}
			if length == 15 {
				if pos >= len(src) {
					return dst, errCompressed
				}
				length = int(src[pos])
				pos++
				if length == 255 {
					if pos+2 > len(src) {
						return dst, errCompressed
					}
					length = int(src[pos]) | int(src[pos+1])<<8
					pos += 2
					if length == 0 {
						if pos+4 > len(src) {
							return dst, errCompressed
						}
						length = int(uint32(src[pos]) | uint32(src[pos+1])<<8 | uint32(src[pos+2])<<16 | uint32(src[pos+3])<<24)
						pos += 4
					}
					if length < 15+7 {
						return dst, errCompressed
					}
					length -= 15 + 7
				}
				length += 15
			}
			length += 7
		}
		length += 3
		if offset > len(dst) || length > max-len(dst) {
			return dst, errCompressed
		}
		// A match may overlap its own output, repeating its last offset
		// bytes: copy from the match's start, the copyable run doubling
		// each round, so a long run of one byte costs few copies.
		from := len(dst) - offset
		for length > 0 {
			n := min(length, len(dst)-from)
			dst = append(dst, dst[from:from+n]...)
			length -= n
		}
	}
	return dst, nil
}
