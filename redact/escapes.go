package redact

import (
	"fmt"
	"html"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/traceaudit/traceaudit/secret"
)

// jsEscaped redacts a script's string literals written with escapes
// (`"https:\u002F\u002Fapp\u002Fcb#access_token\u003D…"`,
// `'code\x3d…'`, `JSON.parse('{\x22refresh_token\x22:…}')`), in which no
// URL, pair or JSON member shows to the passes that read text as it is
// written: each such literal is decoded, redacted as a free value, and,
// when that changed it, written back with every character the literal
// escaped escaped again the same way (so the script still reads the same
// string, its secrets replaced).
func (r *redactor) jsEscaped(s string) string {
	if !strings.Contains(s, `\x`) && !strings.Contains(s, `\u00`) {
		return s
	}
	sp := replaceSpans{s: s}
	// from is where the literal around an escape may start: after the
	// last literal read. Other escapes passed ("\n" before a
	// "\u003d") do not move it.
	from := 0
	for i := 0; i < len(s); {
		j := strings.IndexByte(s[i:], '\\')
		if j < 0 {
			break
		}
		j += i
		if j+1 >= len(s) || (s[j+1] != 'x' && s[j+1] != 'u') {
			i = j + 2
			continue
		}
		start, end, ok := jsLiteral(s, j, from)
		if !ok {
			i = j + 2
			from = i
			continue
		}
		i = end + 1
		from = i
		lit := s[start+1 : end]
		dec, style, ok := jsUnescape(lit)
		if !ok || !strings.ContainsAny(dec, "=:{") {
			continue
		}
		red := r.free(dec, 0)
		if red == dec {
			continue
		}
		sp.replace(start+1, end, jsEscape(red, s[start], style))
	}
	return sp.result()
}

// jsLiteral finds the string literal around the escape at s[at]: the
// nearest quote before it on its line that no backslash escapes, and the
// same quote after it. from bounds the look back (a literal already
// passed).
func jsLiteral(s string, at, from int) (start, end int, ok bool) {
	start = -1
	for k := at - 1; k >= from && at-k < 1<<16; k-- {
		c := s[k]
		if c == '\n' {
			return 0, 0, false
		}
		if (c == '"' || c == '\'') && !backslashed(s, k) {
			start = k
			break
		}
	}
	if start < 0 {
		return 0, 0, false
	}
	q := s[start]
	for k := at; k < len(s) && k-at < 1<<16; k++ {
		switch s[k] {
		case '\\':
			k++
		case '\n':
			return 0, 0, false
		case q:
			return start, k, true
		}
	}
	return 0, 0, false
}

// backslashed reports an odd run of backslashes before s[k].
func backslashed(s string, k int) bool {
	n := 0
	for k--; k >= 0 && s[k] == '\\'; k-- {
		n++
	}
	return n%2 == 1
}

// jsUnescape decodes a literal's escapes, returning for each character
// written as \xHH or \uHHHH the escape's form ("x" or "u" and whether its
// hex was upper-case). ok is false for escapes it does not read.
func jsUnescape(lit string) (string, map[rune]string, bool) {
	var b strings.Builder
	style := map[rune]string{}
	for i := 0; i < len(lit); i++ {
		c := lit[i]
		if c != '\\' {
			b.WriteByte(c)
			continue
		}
		if i+1 >= len(lit) {
			return "", nil, false
		}
		e := lit[i+1]
		switch e {
		case 'x', 'u':
			n := 2
			if e == 'u' {
				n = 4
			}
			if i+2+n > len(lit) {
				return "", nil, false
			}
			hex := lit[i+2 : i+2+n]
			v, err := strconv.ParseUint(hex, 16, 32)
			if err != nil || v < 0x20 && v != '\n' && v != '\r' && v != '\t' || v >= 0xd800 && v < 0xe000 {
				return "", nil, false
			}
			form := string(e)
			if strings.ToUpper(hex) == hex && strings.ToLower(hex) != hex {
				form += "U"
			}
			if _, seen := style[rune(v)]; !seen {
				style[rune(v)] = form
			}
			b.WriteRune(rune(v))
			i += 1 + n
		case '/', '\\', '"', '\'':
			b.WriteByte(e)
			if _, seen := style[rune(e)]; !seen {
				style[rune(e)] = `\`
			}
			i++
		case 'n', 'r', 't', 'b', 'f', 'v':
			// A line break or tab among the escapes (a message of
			// lines: "…\nrefresh_token\u003d…"): decoded, as the
			// script reads it, and written back as this escape.
			c := rune(jsControl[e])
			if _, seen := style[c]; !seen {
				style[c] = "c" + string(e)
			}
			b.WriteRune(c)
			i++
		default:
			// \0, octal and line continuations: not read.
			return "", nil, false
		}
	}
	if !utf8.ValidString(b.String()) {
		return "", nil, false
	}
	return b.String(), style, true
}

// jsControl are the characters of the one-letter escapes jsUnescape reads.
var jsControl = map[byte]byte{'n': '\n', 'r': '\r', 't': '\t', 'b': '\b', 'f': '\f', 'v': '\v'}

// jsEscape writes s as the inside of a literal quoted by q, escaping the
// characters style names as the literal did, and the quote and backslash
// in any case.
func jsEscape(s string, q byte, style map[rune]string) string {
	var b strings.Builder
	for _, c := range s {
		form, ok := style[c]
		switch {
		case ok && form == `\`:
			b.WriteByte('\\')
			b.WriteRune(c)
		case ok && form[0] == 'c':
			b.WriteByte('\\')
			b.WriteString(form[1:])
		case c < 0x20:
			// A control character no escape of the literal wrote
			// (none should appear): escaped, never raw in a literal.
			fmt.Fprintf(&b, "\\u%04x", c)
		case ok && c < 0x100 && form[0] == 'x':
			b.WriteString(hexEscape("\\x%02x", form, c))
		case ok:
			b.WriteString(hexEscape("\\u%04x", form, c))
		case c == rune(q) || c == '\\':
			b.WriteByte('\\')
			b.WriteRune(c)
		default:
			b.WriteRune(c)
		}
	}
	return b.String()
}

func hexEscape(format, form string, c rune) string {
	e := fmt.Sprintf(format, c)
	if strings.HasSuffix(form, "U") {
		return e[:2] + strings.ToUpper(e[2:])
	}
	return e
}

// entityAttrs redacts attribute values written in character references
// (an encoder that writes every non-alphanumeric byte as &#xHH;, as
// OWASP's and ESAPI's do: href="https&#x3a;&#x2f;&#x2f;…&#x3f;code&#x3d;…"),
// in which no URL or pair shows to the passes that read the page as
// written: decoded, redacted as a free value, and written back with the
// characters the value referenced referenced again the same way.
func (r *redactor) entityAttrs(s string) string {
	if !strings.Contains(s, "&#") {
		return s
	}
	sp := replaceSpans{s: s}
	for i := 0; i < len(s); {
		j := strings.Index(s[i:], "&#")
		if j < 0 {
			break
		}
		j += i
		start, end, ok := attrValue(s, j, i)
		if !ok {
			i = j + 2
			continue
		}
		i = end + 1
		val := s[start+1 : end]
		dec, style := htmlUnescape(val)
		if !strings.Contains(dec, "=") && !looksURL(dec) {
			continue
		}
		red := r.free(dec, 0)
		if red == dec {
			continue
		}
		sp.replace(start+1, end, htmlEscape(red, s[start], style))
	}
	return sp.result()
}

// attrValue finds the quoted attribute value around s[at]: the nearest
// quote before it inside the tag, after an '=', and the same quote after
// it.
func attrValue(s string, at, from int) (start, end int, ok bool) {
	start = -1
	for k := at - 1; k >= from && at-k < 1<<14; k-- {
		c := s[k]
		if c == '<' || c == '>' {
			return 0, 0, false
		}
		if c == '"' || c == '\'' {
			p := k - 1
			for p >= 0 && (s[p] == ' ' || s[p] == '\t') {
				p--
			}
			if p < 0 || s[p] != '=' {
				return 0, 0, false
			}
			start = k
			break
		}
	}
	if start < 0 {
		return 0, 0, false
	}
	e := strings.IndexByte(s[at:], s[start])
	if e < 0 || e > 1<<16 || strings.ContainsAny(s[at:at+e], "<>") {
		return 0, 0, false
	}
	return start, at + e, true
}

// htmlUnescape decodes a value's character references, returning for
// each character written as a reference the reference's form.
func htmlUnescape(v string) (string, map[rune]string) {
	var b strings.Builder
	style := map[rune]string{}
	for i := 0; i < len(v); {
		if v[i] != '&' {
			b.WriteByte(v[i])
			i++
			continue
		}
		semi := strings.IndexByte(v[i:], ';')
		if semi < 0 || semi > 10 {
			b.WriteByte(v[i])
			i++
			continue
		}
		ref := v[i : i+semi+1]
		dec := html.UnescapeString(ref)
		c, size := utf8.DecodeRuneInString(dec)
		if dec == ref || size != len(dec) {
			b.WriteByte(v[i])
			i++
			continue
		}
		if _, seen := style[c]; !seen {
			style[c] = refForm(ref)
		}
		b.WriteRune(c)
		i += len(ref)
	}
	return b.String(), style
}

// refForm is a format for fmt of the reference ref's kind: hexadecimal
// (lower or upper case, with x or X), decimal, or ref itself (a named
// one).
func refForm(ref string) string {
	switch {
	case len(ref) > 3 && (ref[2] == 'x' || ref[2] == 'X'):
		digits := ref[3 : len(ref)-1]
		if strings.ToUpper(digits) == digits && strings.ToLower(digits) != digits {
			return "&#" + ref[2:3] + "%X;"
		}
		return "&#" + ref[2:3] + "%x;"
	case len(ref) > 2 && ref[1] == '#':
		return "&#%d;"
	}
	return ref
}

// htmlEscape writes s as an attribute value quoted by q, each character
// style names referenced in its form, and '&', '<', '>' and the quote
// referenced in any case.
func htmlEscape(s string, q byte, style map[rune]string) string {
	var b strings.Builder
	for _, c := range s {
		if form, ok := style[c]; ok {
			if strings.Contains(form, "%") {
				fmt.Fprintf(&b, form, c)
			} else {
				b.WriteString(form)
			}
			continue
		}
		switch {
		case c == '&':
			b.WriteString("&amp;")
		case c == '<':
			b.WriteString("&lt;")
		case c == '>':
			b.WriteString("&gt;")
		case c == rune(q):
			fmt.Fprintf(&b, "&#%d;", c)
		default:
			b.WriteRune(c)
		}
	}
	return b.String()
}

// namedTexts redacts the text of an element whose id or class names a
// secret (Keycloak's <span id="kc-totp-secret-key">, a console's
// <code class="client-secret">) when that text reads as a token: one
// token-like word, or groups of four letters and digits as an
// authenticator's key is shown to be typed ("MFXW 4ZLU MVZX EZLT"). Text
// of words (a "password-hint" <div>) stays.
func (r *redactor) namedTexts(s string) string {
	if !strings.Contains(s, "id=") && !strings.Contains(s, "class=") && !strings.Contains(s, "key=") && !strings.Contains(s, "name=") {
		return s
	}
	sp := replaceSpans{s: s}
	for i := 0; i < len(s); {
		j := strings.IndexByte(s[i:], '<')
		if j < 0 {
			break
		}
		j += i
		end := strings.IndexByte(s[j:], '>')
		if end < 0 {
			break
		}
		end += j
		i = end + 1
		tag := s[j : end+1]
		if len(tag) < 3 || !alnum(tag[1]) || len(tag) > 1<<12 {
			continue
		}
		name, whole := "", false
		if !htmlTag(tag) {
			// An XML element named by its key or name attribute (Java's
			// <entry key="password">, <param name="…">): its text is the
			// value, whatever its shape.
			for _, attr := range []string{"key", "name"} {
				if w := attrOf(tag, attr); w != "" && r.class(w) != classKeep {
					name, whole = w, true
				}
			}
		}
		for _, attr := range []string{"id", "class"} {
			for _, w := range strings.Fields(attrOf(tag, attr)) {
				// Syntax highlighters (Prism) mark every word of a
				// code sample class="token …".
				if r.class(w) != classKeep && (attr == "id" || !strings.EqualFold(w, "token")) {
					name = w
				}
			}
		}
		if name == "" {
			continue
		}
		te := strings.IndexByte(s[i:], '<')
		if te < 0 {
			break
		}
		text := s[i : i+te]
		core := strings.TrimSpace(text)
		if core == "" || !whole && !keyText(core) {
			continue
		}
		if red := r.value(name, core, "", 0); red != core {
			lead := text[:strings.Index(text, core)]
			sp.replace(i+len(lead), i+len(lead)+len(core), red)
		}
	}
	return sp.result()
}

// attrOf is the value of attribute name in tag ("" when absent).
func attrOf(tag, name string) string {
	for k := 0; ; {
		j := indexFoldASCII(tag[k:], name+"=")
		if j < 0 {
			return ""
		}
		j += k
		k = j + len(name) + 1
		if j == 0 || !(tag[j-1] == ' ' || tag[j-1] == '\t' || tag[j-1] == '\n') {
			continue
		}
		v := tag[k:]
		if v != "" && (v[0] == '"' || v[0] == '\'') {
			if e := strings.IndexByte(v[1:], v[0]); e >= 0 {
				return v[1 : e+1]
			}
			return ""
		}
		if e := strings.IndexAny(v, " \t\n>"); e >= 0 {
			return v[:e]
		}
		return v
	}
}

// keyText reports a text that reads as a token: one token-like word, or
// two or more groups of four upper-case letters and digits.
func keyText(t string) bool {
	if t == "" || len(t) > 1<<10 {
		return false
	}
	if !strings.ContainsAny(t, " \t\n") {
		return secret.TokenLike(t)
	}
	groups := strings.Fields(t)
	if len(groups) < 2 {
		return false
	}
	for _, g := range groups {
		if len(g) != 4 {
			return false
		}
		for k := 0; k < 4; k++ {
			if c := g[k]; !(c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
				return false
			}
		}
	}
	return true
}

// htmlTag reports a tag of HTML's own elements, whose name attribute
// names a control or anchor, not the text that follows.
func htmlTag(tag string) bool {
	n := 1
	for n < len(tag) && alnum(tag[n]) {
		n++
	}
	switch strings.ToLower(tag[1:n]) {
	case "a", "button", "input", "select", "option", "textarea", "form", "label", "meta", "iframe", "img", "map", "fieldset",
		"output", "object", "slot", "details", "div", "span", "p", "li", "td", "th", "section", "script", "style", "link":
		return true
	}
	return false
}

// plistPairs redacts a property list's values by their keys
// (<key>Password</key><string>…</string>, a configuration profile's
// payload).
func (r *redactor) plistPairs(s string) string {
	if !strings.Contains(s, "<key>") {
		return s
	}
	sp := replaceSpans{s: s}
	for i := 0; i < len(s); {
		j := strings.Index(s[i:], "<key>")
		if j < 0 {
			break
		}
		ks := i + j + len("<key>")
		ke := strings.Index(s[ks:], "</key>")
		if ke < 0 || ke > 256 {
			i = ks
			continue
		}
		name := s[ks : ks+ke]
		i = ks + ke + len("</key>")
		if r.class(name) == classKeep {
			continue
		}
		rest := strings.TrimLeft(s[i:], " \t\r\n")
		for _, el := range []string{"string", "data"} {
			open, closing := "<"+el+">", "</"+el+">"
			if !strings.HasPrefix(rest, open) {
				continue
			}
			vs := len(s) - len(rest) + len(open)
			ve := strings.Index(s[vs:], closing)
			if ve < 0 {
				break
			}
			val := s[vs : vs+ve]
			if red := r.value(name, val, "", 0); red != val {
				sp.replace(vs, vs+ve, red)
			}
			i = vs + ve
			break
		}
	}
	return sp.result()
}
