package tlsdec

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"github.com/traceaudit/traceaudit/model"
)

// ErrPCAPNG marks a pcapng file whose block structure is broken.
var ErrPCAPNG = errors.New("tlsdec: malformed pcapng block")

const (
	blockSHB = 0x0A0D0D0A
	blockDSB = 0x0000000A

	secretsTLSKeyLog = 0x544c534b // "TLSK"

	optEnd     = 0
	optComment = 1

	byteOrderMagic uint32 = 0x1A2B3C4D

	// maxSecretsBlock bounds the blocks that are read into memory (section
	// headers and secrets blocks); packet blocks are skipped unread.
	maxSecretsBlock = 16 << 20
)

// SecretsFromPCAPNG collects the TLS secrets embedded in a pcapng file:
// Decryption Secrets Blocks of type TLSK (as editcap --inject-secrets writes
// them) and NSS key log lines in section header comments. Secrets found
// anywhere apply to the whole file. A file that is not pcapng yields an empty
// key log. Damage after the first block ends the walk: the secrets found so
// far are returned with a note.
func SecretsFromPCAPNG(r io.ReaderAt, size int64) (*KeyLog, []model.Note, error) {
	keys := &KeyLog{}
	var notes []model.Note
	var order binary.ByteOrder
	var hdr [12]byte
	for off := int64(0); off < size; {
		if size-off < 12 {
			notes = append(notes, damaged(off, "trailing bytes shorter than a block header"))
			break
		}
		if _, err := r.ReadAt(hdr[:], off); err != nil {
			return keys, notes, fmt.Errorf("tlsdec: reading pcapng at byte %d: %w", off, err)
		}
		if binary.LittleEndian.Uint32(hdr[0:4]) == blockSHB {
			switch byteOrderMagic {
			case binary.LittleEndian.Uint32(hdr[8:12]):
				order = binary.LittleEndian
			case binary.BigEndian.Uint32(hdr[8:12]):
				order = binary.BigEndian
			default:
				if off == 0 {
					return keys, notes, fmt.Errorf("%w: byte 0: bad byte-order magic", ErrPCAPNG)
				}
				notes = append(notes, damaged(off, "section header with a bad byte-order magic"))
				return keys, notes, nil
			}
		} else if off == 0 {
			// Not pcapng (classic pcap, or something else): no embedded
			// secrets.
			return keys, nil, nil
		}
		typ := order.Uint32(hdr[0:4])
		length := int64(order.Uint32(hdr[4:8]))
		if length < 12 || length%4 != 0 || length > size-off {
			if off == 0 {
				return keys, notes, fmt.Errorf("%w: byte 0: block length %d", ErrPCAPNG, length)
			}
			// A cut-short packet block loses no secrets, and the packet
			// reader reports it; a damaged length or secrets block does.
			if typ == blockDSB || typ == blockSHB || length < 12 || length%4 != 0 {
				notes = append(notes, damaged(off, fmt.Sprintf("block length %d does not fit the file; secrets after byte %d are not read", length, off)))
			}
			break
		}
		if (typ == blockSHB || typ == blockDSB) && length <= maxSecretsBlock {
			body := make([]byte, length-12)
			if _, err := r.ReadAt(body, off+8); err != nil {
				return keys, notes, fmt.Errorf("tlsdec: reading pcapng at byte %d: %w", off, err)
			}
			if typ == blockSHB {
				// Magic(4) version(4) section length(8), then options.
				if len(body) >= 16 {
					for _, c := range comments(body[16:], order) {
						keys.Merge(parseKeyLogLenient(c))
					}
				}
			} else if len(body) >= 8 && order.Uint32(body[0:4]) == secretsTLSKeyLog {
				n := int64(order.Uint32(body[4:8]))
				if n > int64(len(body)-8) {
					notes = append(notes, damaged(off, "decryption secrets block longer than its block"))
				} else {
					k, err := ParseKeyLog(bytes.NewReader(body[8 : 8+n]))
					if err != nil {
						notes = append(notes, damaged(off, "decryption secrets block: "+err.Error()))
						k = parseKeyLogLenient(body[8 : 8+n])
					}
					keys.Merge(k)
				}
			}
		} else if typ == blockDSB {
			notes = append(notes, damaged(off, fmt.Sprintf("decryption secrets block of %d bytes skipped (limit %d)", length, maxSecretsBlock)))
		}
		off += length
	}
	return keys, notes, nil
}

func damaged(off int64, msg string) model.Note {
	return model.Note{Kind: model.NotePcapngDamaged, Ref: fmt.Sprintf("byte %d", off), Message: msg}
}

// comments returns the opt_comment values of a block's options.
func comments(opts []byte, order binary.ByteOrder) [][]byte {
	var out [][]byte
	for len(opts) >= 4 {
		code := order.Uint16(opts[0:2])
		n := int(order.Uint16(opts[2:4]))
		if code == optEnd {
			break
		}
		padded := (n + 3) &^ 3
		if 4+padded > len(opts) {
			break
		}
		if code == optComment {
			out = append(out, opts[4:4+n])
		}
		opts = opts[4+padded:]
	}
	return out
}
