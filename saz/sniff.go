package saz

import (
	"encoding/binary"
	"io"

	"github.com/traceaudit/traceaudit/model"
)

// Sniff reports whether prefix, the first bytes of a file, looks like a SAZ:
// a zip archive whose local headers, as far as prefix reaches, include a
// raw/ session member or Fiddler's _index.htm. Fiddler writes raw/ first;
// other zip tools may put [Content_Types].xml first, which alone would also
// match every Office document, so it only counts when a raw/ member follows
// within prefix. Is settles what a prefix cannot.
func Sniff(prefix []byte) bool {
	off := 0
	for off+localHeaderLen <= len(prefix) && binary.LittleEndian.Uint32(prefix[off:]) == localHeaderSig {
		flags := binary.LittleEndian.Uint16(prefix[off+6:])
		compressed := int(binary.LittleEndian.Uint32(prefix[off+18:]))
		nameLen := int(binary.LittleEndian.Uint16(prefix[off+26:]))
		extraLen := int(binary.LittleEndian.Uint16(prefix[off+28:]))
		nameEnd := off + localHeaderLen + nameLen
		if nameEnd > len(prefix) {
			return false
		}
		name := string(prefix[off+localHeaderLen : nameEnd])
		if name == "raw/" || name == "_index.htm" {
			return true
		}
		if _, _, ok := sessionMember(name); ok {
			return true
		}
		if flags&0x8 != 0 {
			return false // size unknown until the data descriptor
		}
		off = nameEnd + extraLen + compressed
	}
	return false
}

// Is reports whether the archive of the given size is a zip holding at least
// one SAZ session member, reading only its directory.
func Is(ra io.ReaderAt, size int64) bool {
	// Only a truncated archive costs inflation here (to find where members
	// end); a sniff gets a small budget.
	r := &Reader{maxMembers: DefaultMaxMembers, limits: model.DefaultLimits, inflateLeft: 16 << 20}
	members, err := r.listMembers(ra, size)
	if err != nil {
		return false
	}
	for _, m := range members {
		if _, _, ok := sessionMember(m.name); ok {
			return true
		}
	}
	return false
}
