package redact

import "strings"

// maxCookieExpr bounds the expression scriptCookies reads after
// "document.cookie =".
const maxCookieExpr = 4096

// scriptCookies masks the value of each cookie a script sets by an
// expression rather than one string: `document.cookie = "sess=" + tok +
// "; path=/"`, single quotes, template literals (`sid=${v}; path=/`),
// a value passed through a call (encodeURIComponent("…")). The string
// literals of the expression are read as one text; whatever of them falls
// between the first '=' and the next ';' is the value, masked as a
// cookie's; the name and the attributes stay. What the script computes
// (a variable, a call's result) is not in the text.
func (r *redactor) scriptCookies(s string) string {
	sp := replaceSpans{s: s}
	for i := 0; ; {
		k := strings.Index(s[i:], ".cookie")
		if k < 0 {
			break
		}
		at := i + k + len(".cookie")
		i = at
		e := skipBlank(s, at)
		if e >= len(s) || s[e] != '=' || e+1 < len(s) && s[e+1] == '=' || at < len(s) && alnum(s[at]) {
			continue
		}
		lits, end := jsLiterals(s, e+1, min(len(s), e+1+maxCookieExpr))
		if len(lits) == 0 || lits[0][0] < sp.last {
			i = max(i, end)
			continue
		}
		// The text the literals make, and where each starts in it.
		var text strings.Builder
		starts := make([]int, len(lits))
		for n, l := range lits {
			starts[n] = text.Len()
			text.WriteString(s[l[0]:l[1]])
		}
		t := text.String()
		eq := strings.IndexByte(t, '=')
		if eq < 0 {
			i = max(i, end)
			continue
		}
		vs, ve := eq+1, len(t)
		if semi := strings.IndexByte(t[vs:], ';'); semi >= 0 {
			ve = vs + semi
		}
		for n, l := range lits {
			// The part of this literal inside [vs, ve).
			a, b := max(vs, starts[n]), min(ve, starts[n]+l[1]-l[0])
			if a >= b {
				continue
			}
			from, to := l[0]+a-starts[n], l[0]+b-starts[n]
			// Blanks around the value stay.
			for from < to && s[from] == ' ' {
				from++
			}
			for to > from && s[to-1] == ' ' {
				to--
			}
			if from < to {
				if red := r.mask(maskCookie, s[from:to]); red != s[from:to] {
					sp.replace(from, to, red)
				}
			}
		}
		i = max(i, end)
	}
	return sp.result()
}

// jsLiterals returns the contents of the string literals of the
// JavaScript expression that starts at s[from] (bounded by limit), in
// order, as [start, end) offsets, template literals' text and the literals
// inside their ${…} included, and where the expression ends: a ';' or ','
// outside brackets, a bracket that closes one opened before it, or a line
// end that no '+' continues. A literal cut by a line end or the limit ends
// the reading.
func jsLiterals(s string, from, limit int) (lits [][2]int, end int) {
	depth := 0
	// stack holds, per open template literal, the depth its ${ opened at.
	var stack []int
	lastOp := byte('=')
	i := from
	for i < limit {
		c := s[i]
		switch {
		case c == '"' || c == '\'':
			j := i + 1
			for j < limit && s[j] != c && s[j] != '\n' {
				if s[j] == '\\' {
					j++
				}
				j++
			}
			if j >= limit || s[j] != c {
				return lits, j
			}
			lits = append(lits, [2]int{i + 1, j})
			i = j + 1
			lastOp = 0
			continue
		case c == '`':
			i = templateText(s, i+1, limit, &lits)
			if i < 0 {
				return lits, limit
			}
			if i < limit && s[i] == '$' {
				// ${: an expression inside the template.
				stack = append(stack, depth)
				depth++
				i += 2
				continue
			}
			i++ // the closing backquote
			lastOp = 0
			continue
		case c == '(' || c == '[' || c == '{':
			depth++
		case c == ')' || c == ']' || c == '}':
			if depth == 0 {
				return lits, i
			}
			depth--
			if c == '}' && len(stack) > 0 && stack[len(stack)-1] == depth {
				// The end of a ${…}: the template goes on.
				stack = stack[:len(stack)-1]
				j := templateText(s, i+1, limit, &lits)
				if j < 0 {
					return lits, limit
				}
				if j < limit && s[j] == '$' {
					stack = append(stack, depth)
					depth++
					i = j + 2
					continue
				}
				i = j + 1
				lastOp = 0
				continue
			}
		case (c == ';' || c == ',') && depth == 0:
			return lits, i
		case c == '\n' && depth == 0:
			next := skipBlank(s, i+1)
			for next < limit && (s[next] == '\n' || s[next] == '\r') {
				next = skipBlank(s, next+1)
			}
			if lastOp != '+' && (next >= limit || s[next] != '+') {
				return lits, i
			}
		case c == '+':
			lastOp = '+'
			i++
			continue
		}
		if c != ' ' && c != '\t' && c != '\r' && c != '\n' {
			lastOp = 0
		}
		i++
	}
	return lits, i
}

// templateText reads a template literal's text from s[i] to its closing
// backquote or its next "${", appending the text as a literal, and
// returns where it stopped (at the backquote or the '$'), or -1 when the
// template does not end before limit.
func templateText(s string, i, limit int, lits *[][2]int) int {
	start := i
	for i < limit {
		switch s[i] {
		case '\\':
			i += 2
			continue
		case '`':
			*lits = append(*lits, [2]int{start, i})
			return i
		case '$':
			if i+1 < limit && s[i+1] == '{' {
				*lits = append(*lits, [2]int{start, i})
				return i
			}
		}
		i++
	}
	return -1
}

// minQuotedToken is the shortest quoted string quotedTokens takes for a
// token: shorter ones in pages and scripts are mostly names and ids.
const minQuotedToken = 24

// quotedTokens fingerprints the quoted strings of a page or a script
// (a script's literal, an attribute's value) that are one word shaped
// like a token (looseToken, minQuotedToken bytes or more), whatever name
// they are given or none: `var k = "<token>"`, {h: "<token>"}, a
// server's value written into its page. No name says they are secrets,
// and none says they are not (fail closed). Subresource integrity and
// CSP hashes ("sha384-…") are digests of public files and stay.
func (r *redactor) quotedTokens(s string) string {
	sp := replaceSpans{s: s}
	// The next of each quote from i on, found with IndexByte (pages run
	// to megabytes and hold few quotes per byte); -1 when none is left.
	quotes := [3]byte{'"', '\'', '`'}
	next := [3]int{}
	for k := range next {
		next[k] = strings.IndexByte(s, quotes[k])
	}
	for i := 0; ; {
		k := -1
		for n := range next {
			if next[n] >= 0 && (k < 0 || next[n] < next[k]) {
				k = n
			}
		}
		if k < 0 {
			break
		}
		i = next[k]
		q := quotes[k]
		j := i + 1
		if i+minQuotedToken < len(s) && alnum(s[i+1]) && tokenTable[s[i+minQuotedToken]] {
			// Only a string of minQuotedToken token bytes or more is
			// read through; most are shorter or hold other bytes.
			for j < len(s) && tokenTable[s[j]] {
				j++
			}
		}
		if j < len(s) && s[j] == q {
			w := s[i+1 : j]
			if len(w) >= minQuotedToken && alnum(w[0]) && len(w) <= 1<<14 && looseToken(w) && !isPlaceholder(w) && !sriHash(w) {
				// A name that says what the value is rules: evidence
				// (a client id, a challenge) stays, a secret's name
				// is the other scans' to redact.
				if name := quotedName(s, i); name == "" || !evidenceName(name) && !markupAttrs[strings.ToLower(name)] && r.class(name) == classKeep {
					sp.replace(i+1, j, r.looseSecret(w))
				}
			}
			// The closing quote may open the next string only when
			// it closed none.
			j++
		}
		// Every quote before j was looked at.
		for n := range next {
			if next[n] >= 0 && next[n] < j {
				if m := strings.IndexByte(s[j:], quotes[n]); m >= 0 {
					next[n] = j + m
				} else {
					next[n] = -1
				}
			}
		}
	}
	return sp.result()
}

// markupAttrs are the HTML attributes whose values name the page's own
// elements, styles and fields: identifiers, not values.
var markupAttrs = map[string]bool{"id": true, "class": true, "for": true, "name": true, "type": true, "rel": true, "role": true,
	"style": true, "lang": true, "dir": true, "target": true, "method": true, "autocomplete": true, "form": true, "headers": true,
	"itemprop": true, "slot": true, "part": true}

// tokenTable is tokenByte as a table, for the scans of whole bodies.
var tokenTable = func() (t [256]bool) {
	for c := 0; c < 256; c++ {
		t[c] = tokenByte(byte(c))
	}
	return t
}()

// sriHash reports a subresource integrity or CSP source hash.
func sriHash(w string) bool {
	return strings.HasPrefix(w, "sha256-") || strings.HasPrefix(w, "sha384-") || strings.HasPrefix(w, "sha512-")
}

// quotedName is the name the quoted string at s[q] is given, or "": the
// name before the '=' or ':' in front of it (`k = "…"`, `"k": "…"`,
// k="…"), or, for an HTML tag's value or content attribute, the tag's
// name or id attribute (<input name="client_id" value="…">).
func quotedName(s string, q int) string {
	k := q - 1
	for k >= 0 && (s[k] == ' ' || s[k] == '\t') {
		k--
	}
	if k < 0 || s[k] != '=' && s[k] != ':' {
		return ""
	}
	name, ok := nameBefore(s, k)
	if !ok {
		return ""
	}
	if l := strings.ToLower(name); l != "value" && l != "content" {
		return name
	}
	lt := strings.LastIndexByte(s[max(0, q-1024):q], '<')
	if lt < 0 {
		return name
	}
	tag := s[max(0, q-1024)+lt : q]
	for _, attr := range []string{"name=", "id="} {
		for from := 0; ; {
			a := strings.Index(tag[from:], attr)
			if a < 0 {
				break
			}
			a += from
			from = a + len(attr)
			if a > 0 && tag[a-1] != ' ' && tag[a-1] != '\t' && tag[a-1] != '\n' {
				continue // data-name=, ...
			}
			v := tag[a+len(attr):]
			if v != "" && (v[0] == '"' || v[0] == '\'') {
				if e := strings.IndexByte(v[1:], v[0]); e >= 0 {
					return v[1 : 1+e]
				}
			}
		}
	}
	return name
}
