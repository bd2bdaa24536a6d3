package har

import (
	"hash/maphash"
	"strings"
)

// interner hands out one copy of each short text it has seen: header names
// and most header values repeat from entry to entry (user agents, accept
// lists, cache policies), and copying each was a third of the allocations
// of reading a HAR of small entries. Texts are kept in a direct-mapped
// cache (a text replaces the one in its slot), so what it holds is bounded
// whatever the input: internSlots texts of at most internMaxLen bytes. A
// nil interner copies every text.
type interner struct {
	seed   maphash.Seed
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
	return &interner{seed: maphash.MakeSeed(), media: make(map[string]string), protos: make(map[string]string)}
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
	slot := &in.slots[maphash.String(in.seed, s)&(internSlots-1)]
	if *slot == s {
		return *slot
	}
	t := strings.Clone(s)
	*slot = t
	return t
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
