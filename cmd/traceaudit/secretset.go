package main

import (
	"hash/maphash"
	"strings"
	"unsafe"

	"github.com/traceaudit/traceaudit/model"
	"github.com/traceaudit/traceaudit/secret"
)

// secretSet holds the distinct secrets the exchanges of one trace carry or
// issue by name (appendExchangeSecrets), for the scrubber of its output. A
// session cookie or a Bearer token comes back in every request: kept once,
// and cloned, so that the set neither grows with the number of exchanges
// nor pins the bodies and header sections the values were read from.
type secretSet struct {
	seen    map[setKey]struct{}
	list    []secret.Secret
	bytes   int
	scratch []secret.Secret
	names   nameCache
}

// nameCache remembers what the header names and JSON members met are to
// the learning of secrets (nameKind): a trace repeats a few hundred of
// them in every exchange, and asking anew cost a scan of 100,000 entries
// 6 % of its CPU, then comparing each header name with Cookie,
// Authorization and Proxy-Authorization (strings.EqualFold) another 2 %.
// The zero nameCache remembers nothing (newNameCache's does).
type nameCache struct {
	kinds map[string]nameEntry
	// front holds recent entries by where the name's bytes lie: a
	// reader hands out the same copy of a header name in exchange after
	// exchange (har's interner), which one comparison finds there without
	// hashing the name for kinds, 2 % of a scan's instructions.
	front *[nameFront]nameEntry
}

// nameEntry is a name (a copy the cache owns) and its kind.
type nameEntry struct {
	name string
	kind nameKind
}

// nameFront is the number of entries of a nameCache's front. A name's
// entry is the top bits of its address times 2^64/φ (Fibonacci hashing):
// the address's low bits, shifted, left 43 % of the lookups of a scan of
// the har-100k shape to the map, this 4 %.
const (
	nameFrontBits = 8
	nameFront     = 1 << nameFrontBits
)

func newNameCache() nameCache {
	return nameCache{kinds: map[string]nameEntry{}, front: new([nameFront]nameEntry)}
}

// nameKind is what a name is to appendExchangeSecrets, as strings.EqualFold
// and secret.IsCredentialName tell it (Unicode folding included: "Coo\u212Aie",
// with a Kelvin sign, is a Cookie), one bit each.
type nameKind uint8

const (
	nameCredential    nameKind = 1 << iota // secret.IsCredentialName
	nameCookie                             // Cookie
	nameSetCookie                          // Set-Cookie or Set-Cookie2
	nameAuthorization                      // Authorization or Proxy-Authorization
	nameSecretHeader                       // secret.IsSecretHeader (X-CSRF, X-Session-Key)
)

// kindOf tells what name is, asking each question anew.
func kindOf(name string) nameKind {
	var k nameKind
	if secret.IsCredentialName(name) {
		k |= nameCredential
	}
	if secret.IsSecretHeader(name) {
		k |= nameSecretHeader
	}
	if strings.EqualFold(name, "Cookie") {
		k |= nameCookie
	}
	if strings.EqualFold(name, "Set-Cookie") || strings.EqualFold(name, "Set-Cookie2") {
		k |= nameSetCookie
	}
	if strings.EqualFold(name, "Authorization") || strings.EqualFold(name, "Proxy-Authorization") {
		k |= nameAuthorization
	}
	return k
}

// maxNames bounds a nameCache; names past it are asked each time.
const maxNames = 4096

// kind is kindOf(name), remembered. The front's entry is compared with
// name by its text, so that a name whose bytes lie where another's did
// (one read from a body since reused) is not taken for it.
func (c nameCache) kind(name string) nameKind {
	var slot *nameEntry
	if c.front != nil && name != "" {
		p := uintptr(unsafe.Pointer(unsafe.StringData(name)))
		slot = &c.front[uint64(p^uintptr(len(name)))*0x9E3779B97F4A7C15>>(64-nameFrontBits)]
		if slot.name == name {
			return slot.kind
		}
	}
	if e, ok := c.kinds[name]; ok {
		if slot != nil {
			*slot = e
		}
		return e.kind
	}
	k := kindOf(name)
	if c.kinds != nil && len(c.kinds) < maxNames {
		e := nameEntry{name: strings.Clone(name), kind: k}
		c.kinds[e.name] = e
		if slot != nil {
			*slot = e
		}
	}
	return k
}

// credential is secret.IsCredentialName(name), remembered.
func (c nameCache) credential(name string) bool { return c.kind(name)&nameCredential != 0 }

// Bounds of one trace's set: past them, further values are not learnt
// (the scrubber still knows the events' secrets).
const (
	maxSetSecrets = 1 << 16
	maxSetBytes   = 16 << 20
)

// addExchange adds the secrets ex carries or issues by name, except the
// values evs, the events extracted from it, hold already (the scrubber
// learns those from the events: keeping and compacting them again cost a
// scan of 10,000 sign-ins 5 % of its CPU).
func (s *secretSet) addExchange(ex *model.Exchange, evs []model.Event) {
	if s.names.kinds == nil {
		s.names = newNameCache()
	}
	s.scratch = appendExchangeSecrets(s.scratch[:0], ex, s.names)
	if len(evs) > 0 {
		known := s.scratch[:0]
		for _, v := range s.scratch {
			if !heldBy(evs, v) {
				known = append(known, v)
			}
		}
		s.scratch = known
	}
	s.addAll(s.scratch)
	clear(s.scratch) // holds no value past the call
}

// heldBy reports a value one of evs holds (secret.Secret.MayHold). For an
// event's compacted token that is its length and ends only, so v may be
// another value alike but for its middle: the scrubber, which learns the
// token from the event, masks every span with those ends all the same.
func heldBy(evs []model.Event, v secret.Secret) bool {
	if v.IsCompact() {
		return false
	}
	raw, held := v.Reveal(), false
	for i := range evs {
		evs[i].EachSecret(func(s secret.Secret) { held = held || s.MayHold(raw) })
	}
	return held
}

// addAll adds vs, each once. A value of secret.CompactMin bytes or more
// (an access token a token answer issued and every later request sends) is
// kept compacted, as scan keeps the events' tokens: the scrubber finds it
// as well, in 70 bytes.
func (s *secretSet) addAll(vs []secret.Secret) {
	for _, v := range vs {
		if v.Len() < secret.ScrubMin || len(s.list) >= maxSetSecrets {
			continue
		}
		if v.IsCompact() {
			// Another set's token, kept compacted (scan --case and events
			// --case merge the files' sets): kept as it is, within the
			// bounds; the scrubber drops a duplicate.
			if s.bytes+70 <= maxSetBytes {
				s.list = append(s.list, v)
				s.bytes += 70
			}
			continue
		}
		raw := v.Reveal()
		k := setKey{maphash.String(setSeed, raw), len(raw)}
		if _, ok := s.seen[k]; ok {
			continue
		}
		kept, n := secret.Compact(raw), 70
		if !kept.IsCompact() {
			kept, n = secret.New(strings.Clone(raw)), len(raw)
		}
		if s.bytes+n > maxSetBytes {
			continue
		}
		if s.seen == nil {
			s.seen = map[setKey]struct{}{}
		}
		s.seen[k] = struct{}{}
		s.list = append(s.list, kept)
		s.bytes += n
	}
}

// setKey tells values apart by a 64-bit hash and their length, so that
// the set holds no copy of a value for the lookup.
type setKey struct {
	h uint64
	n int
}

var setSeed = maphash.MakeSeed()

// secrets returns the set's secrets in the order first met.
func (s *secretSet) secrets() []secret.Secret {
	if s == nil {
		return nil
	}
	return s.list
}
