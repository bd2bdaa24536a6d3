package main

import (
	"bytes"
	"unsafe"

	"github.com/tidwall/gjson"
	"github.com/traceaudit/traceaudit/secret"
)

// maxIssuedDepth bounds the nesting read of an answer's JSON for issued
// secrets: the strings of containers nested deeper are not read.
const maxIssuedDepth = 16

// appendJSONSecrets appends the secrets a JSON document issues by name:
// the strings under credential names (access_token, sessionToken,
// client_secret…) at any depth, an array's strings named by the name that
// holds it, and the members' names that are tokens (secret.TokenKey: a
// token cache keys its entries by the token itself, as redact's jsonKey
// finds them), in document order.
//
// It is one pass over the bytes, not a parse: scan learns these from
// every JSON answer of a trace, and walking each with gjson (validate,
// then parse every value) cost a scan of 100,000 entries a quarter of its
// CPU. Strings are skipped to their closing quote with bytes.IndexByte;
// only a string with escapes is decoded (as gjson decodes it). A document
// cut short or broken is read as far as it goes: a token in a body cut at
// --limit-body is still learnt. What it appends may share t's bytes (the
// caller clones what it keeps). With topParams, a top-level member named as
// an OAuth parameter a request sends (code, state, code_verifier:
// secret.IsSecretParam) is learnt too, as a JSON request body carries them.
func appendJSONSecrets(dst []secret.Secret, t []byte, nc nameCache, topParams bool) []secret.Secret {
	// One entry per open container, the innermost last: whether it is an
	// object, the name that holds it, whether that name is a credential's,
	// and the object's last member name.
	type level struct {
		obj     bool
		holder  bool
		name    string
		lastKey string
	}
	var stackBuf [maxIssuedDepth + 1]level
	stack := stackBuf[:0]
	depth := 0 // open containers, also past maxIssuedDepth
	for i := 0; i < len(t) && len(dst) < maxBodySecrets; i++ {
		switch c := t[i]; c {
		case '{', '[':
			depth++
			if depth > maxIssuedDepth {
				continue
			}
			name := ""
			if n := len(stack); n > 0 {
				if name = stack[n-1].name; stack[n-1].obj {
					name = stack[n-1].lastKey
				}
			}
			holder := name != "" && (nc.credential(name) || secret.IsSessionParam(name))
			stack = append(stack, level{obj: c == '{', holder: holder, name: name})
		case '}', ']':
			if depth > 0 {
				if depth <= maxIssuedDepth && len(stack) > 0 {
					stack = stack[:len(stack)-1]
				}
				depth--
			}
		case '"':
			end, escaped := stringEnd(t, i+1)
			if end < 0 {
				return dst // cut inside a string
			}
			raw := t[i+1 : end]
			i = end
			if depth == 0 || depth > maxIssuedDepth || len(stack) == 0 {
				continue
			}
			s := unsafe.String(unsafe.SliceData(raw), len(raw))
			if escaped {
				s = gjson.ParseBytes(t[i-len(raw)-1 : end+1]).Str
			}
			top := &stack[len(stack)-1]
			j := end + 1
			for j < len(t) && (t[j] == ' ' || t[j] == '\t' || t[j] == '\r' || t[j] == '\n') {
				j++
			}
			if top.obj && j < len(t) && t[j] == ':' {
				top.lastKey = s
				if secret.TokenKey(s, top.holder) {
					dst = append(dst, secret.New(s))
				}
				continue
			}
			name := top.name
			if top.obj {
				name = top.lastKey
			}
			if name != "" && s != "" && (nc.credential(name) || topParams && depth == 1 && top.obj && secret.IsSecretParam(name)) {
				dst = append(dst, secret.New(s))
			}
		}
	}
	return dst
}

// stringEnd returns the index of the quote that closes the JSON string
// starting at t[from], or -1, and whether the string holds escapes.
func stringEnd(t []byte, from int) (int, bool) {
	escaped := false
	for p := from; p < len(t); {
		q := bytes.IndexByte(t[p:], '"')
		if q < 0 {
			return -1, escaped
		}
		q += p
		// The quote is escaped when an odd number of backslashes precede it.
		n := 0
		for k := q - 1; k >= from && t[k] == '\\'; k-- {
			n++
		}
		if !escaped && bytes.IndexByte(t[p:q], '\\') >= 0 {
			escaped = true
		}
		if n%2 == 0 {
			return q, escaped
		}
		p = q + 1
	}
	return -1, escaped
}
