package har

import "strings"

// interner hands out one copy of each short text it has seen: header names
// and most header values repeat from entry to entry (user agents, accept
// lists, cache policies), and copying each was a third of the allocations
// of reading a HAR of small entries. It is bounded: short texts only, and
// forgotten all at once when full, so what it holds stays small whatever
// the input. A nil interner copies every text.
type interner struct {
	m map[string]string
}

const (
	internMaxLen   = 128
	internMaxCount = 4096
)

func newInterner() *interner { return &interner{m: make(map[string]string, 256)} }

// str returns s or an equal string seen before, never s itself: s may be a
// view into a buffer that is reused.
func (in *interner) str(s string) string {
	if in == nil || len(s) > internMaxLen {
		return strings.Clone(s)
	}
	if t, ok := in.m[s]; ok {
		return t
	}
	if len(in.m) >= internMaxCount {
		clear(in.m)
	}
	t := strings.Clone(s)
	in.m[t] = t
	return t
}
