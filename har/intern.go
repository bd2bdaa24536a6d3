package har

import (
	"encoding/binary"
	"math/bits"
	"strings"
	"unsafe"
)

// interner hands out one copy of each short text it has seen: header names
// and most header values repeat from entry to entry (user agents, accept
// lists, cache policies), and copying each was a third of the allocations
// of reading a HAR of small entries. Texts are kept in a direct-mapped
// cache (a text replaces the one in its slot), so what it holds is bounded
// whatever the input: internSlots texts of at most internMaxLen bytes. A
// nil interner copies every text.
type interner struct {
	slots  [internSlots]string
	media  map[string]string // mediaType's answers, by its argument
	protos map[string]string // normalizeProto's
}

const (
	internMaxLen   = 128
	internSlots    = 4096 // a power of two
	internMaxCount = 4096 // most answers remembered by a memo
)

func newInterner() *interner {
	return &interner{media: make(map[string]string), protos: make(map[string]string)}
}

// str returns s or an equal string seen before, never s itself: s may be a
// view into a buffer that is reused.
func (in *interner) str(s string) string {
	if in == nil || len(s) > internMaxLen {
		return strings.Clone(s)
	}
	if s == "" {
		return ""
	}
	slot := &in.slots[internHash(s)&(internSlots-1)]
	if *slot == s {
		return *slot
	}
	t := strings.Clone(s)
	*slot = t
	return t
}

// internHash hashes a text of 1 to internMaxLen bytes for its slot, with
// unaligned loads and no byte loop (wyhash's way of reading short inputs):
// it runs for every header name and value of every entry, where maphash's
// call cost more than the lookup. It need not resist crafted collisions:
// colliding texts only take each other's slot, and a miss costs a copy, as
// without the interner.
func internHash(s string) uint64 {
	const k0, k1 = 0x9E3779B97F4A7C15, 0xBF58476D1CE4E5B9
	q := unsafe.Slice(unsafe.StringData(s), len(s))
	p, n := q, len(q)
	var a, b uint64
	switch {
	case n >= 8:
		for len(p) > 16 {
			hi, lo := bits.Mul64(binary.LittleEndian.Uint64(p)^k0^a, binary.LittleEndian.Uint64(p[8:])^k1)
			a = hi ^ lo
			p = p[16:]
		}
		if len(p) >= 8 {
			a ^= binary.LittleEndian.Uint64(p)
		}
		b = binary.LittleEndian.Uint64(q[n-8:])
	case n >= 4:
		a = uint64(binary.LittleEndian.Uint32(p))
		b = uint64(binary.LittleEndian.Uint32(p[n-4:]))
	default:
		a = uint64(p[0])<<16 | uint64(p[n>>1])<<8 | uint64(p[n-1])
	}
	hi, lo := bits.Mul64(a^k1^uint64(n), b^k0)
	// splitmix64's finalizer: one product alone mixes a one-bit change
	// (texts differing in a letter) poorly into the low bits, the slot's.
	h := hi ^ lo
	h = (h ^ h>>30) * 0xBF58476D1CE4E5B9
	h = (h ^ h>>27) * 0x94D049BB133111EB
	return h ^ h>>31
}

// mediaType is mediaType(v), remembered: parsing a Content-Type allocates,
// and a HAR holds a handful of distinct ones. v may be a view.
func (in *interner) mediaType(v string) string {
	if in == nil {
		return strings.Clone(mediaType(v))
	}
	return in.memo(in.media, v, mediaType)
}

// proto is normalizeProto(v), remembered.
func (in *interner) proto(v string) string {
	if in == nil {
		return strings.Clone(normalizeProto(v))
	}
	return in.memo(in.protos, v, normalizeProto)
}

func (in *interner) memo(m map[string]string, v string, f func(string) string) string {
	if len(v) > internMaxLen {
		return strings.Clone(f(v))
	}
	if t, ok := m[v]; ok {
		return t
	}
	if len(m) >= internMaxCount {
		clear(m)
	}
	t := in.str(f(v))
	m[strings.Clone(v)] = t
	return t
}
