package saz

import (
	"bytes"
	"encoding/binary"
	"io"

	"github.com/traceaudit/traceaudit/parse"
)

// Sniff reports whether prefix, the first bytes of a file, looks like a SAZ:
// a zip archive whose first member is one Fiddler writes first (raw/, a
// session member, _index.htm or [Content_Types].xml). Archives written by
// other zip tools may order members differently; Is settles those.
func Sniff(prefix []byte) bool {
	if len(prefix) < localHeaderLen || binary.LittleEndian.Uint32(prefix) != localHeaderSig {
		return false
	}
	nameLen := int(binary.LittleEndian.Uint16(prefix[26:]))
	if len(prefix) < localHeaderLen+nameLen {
		return false
	}
	name := prefix[localHeaderLen : localHeaderLen+nameLen]
	if bytes.Equal(name, []byte("raw/")) || bytes.Equal(name, []byte("_index.htm")) || bytes.Equal(name, []byte("[Content_Types].xml")) {
		return true
	}
	_, _, ok := sessionMember(string(name))
	return ok
}

// Is reports whether the archive of the given size is a zip holding at least
// one SAZ session member, reading only its directory.
func Is(ra io.ReaderAt, size int64) bool {
	// Only a truncated archive costs inflation here (to find where members
	// end); a sniff gets a small budget.
	r := &Reader{maxMembers: DefaultMaxMembers, limits: parse.DefaultLimits, inflateLeft: 16 << 20}
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
