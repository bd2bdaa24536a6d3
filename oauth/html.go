package oauth

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"html"
	"iter"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/traceaudit/traceaudit/model"
	xhtml "golang.org/x/net/html"
)

// htmlForm is an HTML form's action and its hidden inputs: what a
// response_mode=form_post page makes the browser POST to the app.
type htmlForm struct {
	Action string
	Method string
	Fields url.Values
}

// maxHTMLTokens bounds the tokenizer's work on one page.
const maxHTMLTokens = 200000

// formPostPage finds the first form whose hidden inputs carry OAuth response
// parameters (code, state, id_token, error). Browsers never show these
// values in a URL, so the page body is the only place to read them.
func formPostPage(data []byte) (htmlForm, bool) {
	head := data[:min(len(data), 1<<20)]
	if isASCII(head) {
		// Most pages: search without a lowered copy of the body.
		if !containsFoldASCII(head, "<form") {
			return htmlForm{}, false
		}
	} else if !bytes.Contains(bytes.ToLower(head), []byte("<form")) {
		return htmlForm{}, false
	}
	z := xhtml.NewTokenizer(bytes.NewReader(data))
	z.SetMaxBuf(1 << 20)
	var cur *htmlForm
	for i := 0; i < maxHTMLTokens; i++ {
		tt := z.Next()
		switch tt {
		case xhtml.ErrorToken:
			if cur != nil && isOAuthForm(cur) {
				return *cur, true
			}
			return htmlForm{}, false
		case xhtml.StartTagToken, xhtml.SelfClosingTagToken:
			t := z.Token()
			switch t.Data {
			case "form":
				cur = &htmlForm{Action: attr(t, "action"), Method: strings.ToUpper(attr(t, "method")), Fields: url.Values{}}
			case "input":
				if cur == nil {
					continue
				}
				name := attr(t, "name")
				typ := strings.ToLower(attr(t, "type"))
				if name != "" && (typ == "hidden" || typ == "") && len(cur.Fields) < 64 {
					cur.Fields.Add(name, attr(t, "value"))
				}
			}
		case xhtml.EndTagToken:
			if t := z.Token(); t.Data == "form" && cur != nil {
				if isOAuthForm(cur) {
					return *cur, true
				}
				cur = nil
			}
		}
	}
	return htmlForm{}, false
}

func isOAuthForm(f *htmlForm) bool {
	for _, k := range []string{"code", "error", "id_token", "access_token"} {
		if f.Fields.Get(k) != "" {
			return true
		}
	}
	return false
}

func attr(t xhtml.Token, name string) string {
	for _, a := range t.Attr {
		if a.Key == name {
			return a.Val
		}
	}
	return ""
}

// The regexps are compiled on first use (lazyRegexp): the three with long
// bounded repetitions ({0,600}, {0,400}, {1,1000}) compile to programs of
// thousands of instructions, 2.2 ms and 1 MB at the start of every command,
// and most runs never meet a page they are for.
var (
	reAADMessage  = lazyRegexp(`\b((?:AADSTS|AADB2C)\d{4,9}):\s*([^"<\r\n\\]{0,600})`)
	reMSIS        = lazyRegexp(`\b(MSIS\d{3,9})\b:?\s*([^"<\r\n\\]{0,400})`)
	reRequestID   = lazyRegexp(`(?i)(?:request[ -]?id|trace[ -]?id)\s*[:=]\s*"?([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})`)
	reCorrelation = lazyRegexp(`(?i)correlation[ -]?id"?\s*[:=]\s*"?([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})`)
	reSessionID   = lazyRegexp(`"sessionId"\s*:\s*"([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})"`)
	reTimestamp   = lazyRegexp(`(?i)timestamp"?\s*[:=]\s*"?(\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}:\d{2}(?:\.\d+)?Z?)`)
	reEchoedURI   = lazyRegexp(`(?i)redirect URI '([^']{1,1000})'`)
)

var (
	htmlErrPhrases = []struct{ match, oauthErr string }{
		{"callback url mismatch", "unauthorized_client"},
		{"must be a login redirect uri", "invalid_request"},
		{"absolute uri that is whitelisted", "invalid_request"},
		{"invalid parameter: redirect_uri", "invalid_request"},
		{"pre-registered 'redirect_uris'", "invalid_request"},
		{"the provided value for the input parameter 'redirect_uri' is not valid", "invalid_request"},
	}
)

// htmlErrorPage reads a provider's HTML error page: Entra's page with
// Request Id / Correlation Id / Timestamp and an AADSTS message, AD FS MSIS
// codes, Google's "Error 400: redirect_uri_mismatch" in any language, and the redirect URI
// pages of Okta, Auth0, Keycloak and Authelia. It returns nil when the page
// is not a recognised error page.
func htmlErrorPage(data []byte, p model.Provider) *model.ProviderError {
	if len(data) == 0 {
		return nil
	}
	if p.Family == model.FamilyOkta {
		if pe := oktaErrorCodePage(data); pe != nil {
			return pe
		}
	}
	if head := data[:min(len(data), 1<<20)]; plainPage(head) && !mayBeErrorPage(head, p) {
		return nil
	}
	raw := string(data[:min(len(data), 1<<20)])
	text := html.UnescapeString(raw)
	text = strings.ReplaceAll(text, `\u0027`, "'")
	pe := &model.ProviderError{}
	// Cheap substring and provider checks first: the regexps scan up to a
	// MiB of every HTML answer, and most pages are ordinary login pages.
	hasAAD := strings.Contains(text, "AADSTS") || strings.Contains(text, "AADB2C")
	if m := matchIf(hasAAD, reAADMessage, text); m != nil {
		pe.Codes = codesInText(text)
		pe.Description = strings.TrimSpace(m[1] + ": " + strings.TrimSpace(m[2]))
		pe.Error = "authorize_error"
		if m[1] == "AADSTS50011" && EchoedRedirectURI(pe) == "" {
			// A translation quoting the URI in double quotes, where the
			// message as read stopped.
			if full := aadFullMessage(text, m[1]); quotedURI(full) != "" {
				pe.Description = full
			}
		}
	} else if m := matchIf(p.Family == model.FamilyADFS && strings.Contains(text, "MSIS"), reMSIS, text); m != nil {
		pe.Codes = []string{m[1]}
		pe.Description = strings.TrimSpace(m[1] + ": " + strings.TrimSpace(m[2]))
		pe.Error = "authorize_error"
	} else if status, name := googleStatusError(p, text); name != "" {
		pe.Error = name
		pe.Description = "Error " + status + ": " + name
	} else {
		for _, ph := range htmlErrPhrases {
			if i := foldIndex(text, ph.match); i >= 0 {
				pe.Error = ph.oauthErr
				end := min(len(text), i+300)
				if j := strings.IndexAny(text[i:end], "<\"\n"); j > 0 {
					end = i + j
				}
				pe.Description = strings.TrimSpace(text[i:end])
				break
			}
		}
		if pe.Error == "" {
			if msg := keycloakRedirectURIError(text); msg != "" {
				pe.Error = "invalid_request"
				pe.Description = msg + " (" + keycloakInvalidRedirect + ")"
			} else if msg := oktaRedirectURIError(text); msg != "" {
				pe.Error = "invalid_request"
				pe.Description = msg + " (" + oktaLoginRedirect + ")"
			} else if msg := auth0RedirectURIError(text); msg != "" {
				pe.Error = "unauthorized_client"
				pe.Description = msg + " (" + auth0CallbackMismatch + ")"
			}
		}
	}
	if pe.Error == "" {
		return nil
	}
	if m := reRequestID().FindStringSubmatch(text); m != nil {
		pe.TraceID = m[1]
	} else if m := reSessionID().FindStringSubmatch(text); m != nil {
		pe.TraceID = m[1]
	}
	if pe.TraceID == "" && p.Family == model.FamilyADFS {
		pe.TraceID = adfsActivityID(text)
	}
	if m := reCorrelation().FindStringSubmatch(text); m != nil {
		pe.Correlation = m[1]
	}
	if m := reTimestamp().FindStringSubmatch(text); m != nil {
		pe.Timestamp = m[1]
	}
	return pe
}

// reGUID finds a GUID.
var reGUID = lazyRegexp(`\b[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\b`)

// adfsActivityID is the Activity ID AD FS's error page shows first in its
// error details (the id its admin event logs file the request under), ""
// when the page has none. The label is in the browser's language ("ID
// d'activité", "Aktivitäts-ID"); the element's id is not.
func adfsActivityID(text string) string {
	i := strings.Index(text, "errorDetails")
	if i < 0 {
		return ""
	}
	return reGUID().FindString(text[i:min(len(text), i+2000)])
}

// statusErrorName finds an error page's "Error 400: redirect_uri_mismatch"
// in any language: Google words it "Fehler 400: …", "Erreur 400 : …",
// "エラー 400: …" or "错误 400：…" (a full-width colon), and what stays the
// same is a 4xx or 5xx status, a colon and the error's snake_case name. The
// word before the status is never read, so no language is needed.
func statusErrorName(text string) (status, name string) {
	for i := 0; i < len(text); i++ {
		var after int
		switch {
		case text[i] == ':':
			after = i + 1
		case text[i] == 0xef && strings.HasPrefix(text[i:], "\uff1a"):
			after = i + len("\uff1a")
		default:
			continue
		}
		if status = statusBefore(text[max(0, i-16):i]); status == "" {
			continue
		}
		if name = errorNameAt(skipSpaces(text[after:])); name != "" {
			return status, name
		}
	}
	return "", ""
}

// googleStatusError is statusErrorName on a Google page, nothing on
// another provider's.
func googleStatusError(p model.Provider, text string) (status, name string) {
	if p.Family != model.FamilyGoogle {
		return "", ""
	}
	return statusErrorName(text)
}

// hasStatusErrorName is statusErrorName's answer on a plain page, without
// copying it.
func hasStatusErrorName(b []byte) bool {
	for from := 0; ; {
		i := bytes.IndexByte(b[from:], ':')
		if i < 0 {
			return false
		}
		i += from
		// A window each side: the status and its spaces before, the name
		// (at most 64 bytes) after.
		if statusBefore(string(b[max(0, i-16):i])) != "" && errorNameAt(skipSpaces(string(b[i+1:min(len(b), i+80)]))) != "" {
			return true
		}
		from = i + 1
	}
}

// statusBefore is the 4xx or 5xx status that ends s before spaces (a
// French page puts a no-break space before its colon), "" when none does.
func statusBefore(s string) string {
	s = strings.TrimRightFunc(s, unicode.IsSpace)
	if len(s) < 3 {
		return ""
	}
	d := s[len(s)-3:]
	if d[0] != '4' && d[0] != '5' || d[1] < '0' || d[1] > '9' || d[2] < '0' || d[2] > '9' {
		return ""
	}
	if len(s) > 3 {
		if c := s[len(s)-4]; c >= '0' && c <= '9' || c == '.' || c == ',' || c == '-' || c == ':' || c == '/' {
			return "" // part of a longer number, a time or a path
		}
	}
	return d
}

func skipSpaces(s string) string { return strings.TrimLeftFunc(s, unicode.IsSpace) }

// errorNameAt is the snake_case error name s starts with
// (redirect_uri_mismatch, invalid_request, deleted_client), "" when s does
// not start with one: lower-case letters in at least two words, ending where
// a name cannot go on.
func errorNameAt(s string) string {
	n := 0
	for n < len(s) && n <= 64 && (s[n] >= 'a' && s[n] <= 'z' || s[n] == '_' || n > 0 && s[n] >= '0' && s[n] <= '9') {
		n++
	}
	if n == 0 || n > 64 || n < len(s) && (s[n] >= 'A' && s[n] <= 'Z' || s[n] >= 0x80) {
		return ""
	}
	name := s[:n]
	if name[0] == '_' || name[n-1] == '_' || !strings.Contains(name, "_") {
		return ""
	}
	return name
}

// foldIndex is where lower (lower-case ASCII) starts in text, compared as
// in strings.ToLower(text), -1 when it is not there. Lowering a whole page
// to look for a phrase cost a copy of it through unicode.ToLower rune by
// rune (the pages are seldom pure ASCII), a third of a scan's CPU when
// every token request is answered with a page. Only ASCII letters and two
// other runes lower to ASCII (U+0130 to 'i', the Kelvin sign to 'k'), so
// the phrase is a run of runes each lowering to its next byte, starting at
// an ASCII byte or a lead byte, where a rune of text starts.
func foldIndex(text, lower string) int {
	if lower == "" {
		return 0
	}
	// The bytes a match can start with, and the next position of each
	// (-2: not searched yet, -1: none left).
	var first [3]byte
	nf := 0
	c := lower[0]
	first[nf], nf = c, nf+1
	if 'a' <= c && c <= 'z' {
		first[nf], nf = c-('a'-'A'), nf+1
	}
	switch c {
	case 'i':
		first[nf], nf = 0xc4, nf+1 // U+0130
	case 'k':
		first[nf], nf = 0xe2, nf+1 // U+212A
	}
	next := [3]int{-2, -2, -2}
	for from := 0; from < len(text); {
		i := -1
		for k := 0; k < nf; k++ {
			if next[k] != -1 && next[k] < from {
				next[k] = strings.IndexByte(text[from:], first[k])
				if next[k] >= 0 {
					next[k] += from
				}
			}
			if next[k] >= 0 && (i < 0 || next[k] < i) {
				i = next[k]
			}
		}
		if i < 0 {
			return -1
		}
		if foldPrefix(text[i:], lower) {
			return i
		}
		from = i + 1
	}
	return -1
}

// foldPrefix reports whether text starts with runes lowering to lower's
// bytes, one rune each.
func foldPrefix(text, lower string) bool {
	j := 0
	for k := 0; k < len(lower); k++ {
		if j >= len(text) {
			return false
		}
		c := text[j]
		if c < utf8.RuneSelf {
			if 'A' <= c && c <= 'Z' {
				c += 'a' - 'A'
			}
			if c != lower[k] {
				return false
			}
			j++
			continue
		}
		r, size := utf8.DecodeRuneInString(text[j:])
		if unicode.ToLower(r) != rune(lower[k]) {
			return false
		}
		j += size
	}
	return true
}

// plainPage reports whether b is ASCII without character references or
// backslashes: html.UnescapeString, the \u0027 replacement and
// strings.ToLower then change nothing but ASCII case, so what
// htmlErrorPage looks for can be looked for in b itself.
func plainPage(b []byte) bool {
	return isASCII(b) && bytes.IndexByte(b, '&') < 0 && bytes.IndexByte(b, '\\') < 0
}

// mayBeErrorPage runs htmlErrorPage's preconditions over a plain page
// without copying it: false means htmlErrorPage finds nothing there, which
// is the answer for almost every HTML body of a trace (the copies and the
// lowered text cost a fifth of a capture scan's CPU).
func mayBeErrorPage(b []byte, p model.Provider) bool {
	if bytes.Contains(b, []byte("AADSTS")) || bytes.Contains(b, []byte("AADB2C")) ||
		p.Family == model.FamilyADFS && bytes.Contains(b, []byte("MSIS")) ||
		p.Family == model.FamilyGoogle && hasStatusErrorName(b) ||
		bytes.Contains(b, []byte(keycloakErrorID)) || bytes.Contains(b, []byte(oktaAppSettings)) ||
		bytes.Contains(b, []byte(auth0AppSettings)) {
		return true
	}
	for _, ph := range htmlErrPhrases {
		if containsFoldASCII(b, ph.match) {
			return true
		}
	}
	return false
}

func isASCII(b []byte) bool {
	// Eight bytes at a time: this runs over every HTML body of a trace.
	for len(b) >= 8 {
		if binary.LittleEndian.Uint64(b)&0x8080808080808080 != 0 {
			return false
		}
		b = b[8:]
	}
	for _, c := range b {
		if c >= 0x80 {
			return false
		}
	}
	return true
}

// containsFoldASCII reports whether b contains lower (lower-case ASCII)
// in any ASCII case.
func containsFoldASCII(b []byte, lower string) bool {
	first, up := lower[0], lower[0]
	if 'a' <= up && up <= 'z' {
		up -= 'a' - 'A'
	}
	// Next positions of each case of the first byte, each found once per
	// pass over b (-1: none left; -2: not searched yet).
	nextLo, nextUp := -2, -2
	if up == first {
		nextUp = -1
	}
	for from := 0; len(b)-from >= len(lower); {
		if nextLo != -1 && nextLo < from {
			nextLo = index(b, from, first)
		}
		if nextUp != -1 && nextUp < from {
			nextUp = index(b, from, up)
		}
		i := nextLo
		if i < 0 || nextUp >= 0 && nextUp < i {
			i = nextUp
		}
		if i < 0 || len(b)-i < len(lower) {
			return false
		}
		if equalFoldASCII(b[i:i+len(lower)], lower) {
			return true
		}
		from = i + 1
	}
	return false
}

// index is the position of c in b from from on, -1 when absent.
func index(b []byte, from int, c byte) int {
	if i := bytes.IndexByte(b[from:], c); i >= 0 {
		return from + i
	}
	return -1
}

func equalFoldASCII(b []byte, lower string) bool {
	for k := 0; k < len(lower); k++ {
		c := b[k]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != lower[k] {
			return false
		}
	}
	return true
}

// matchIf runs re only when the cheap precondition holds (and compiles it
// only then).
func matchIf(ok bool, re func() *regexp.Regexp, text string) []string {
	if !ok {
		return nil
	}
	return re().FindStringSubmatch(text)
}

// EchoedRedirectURI returns the redirect URI an error message quotes
// (Entra's AADSTS50011 "The redirect URI '…' specified in the request…").
func EchoedRedirectURI(pe *model.ProviderError) string {
	if pe == nil {
		return ""
	}
	if m := reEchoedURI().FindStringSubmatch(pe.Description); m != nil {
		return m[1]
	}
	if slices.Contains(pe.Codes, "AADSTS50011") {
		return quotedURI(pe.Description)
	}
	return ""
}

// uriQuotes pairs the quotation marks Entra's translations of AADSTS50011
// put around the redirect URI (English 'x', Spanish "x" or “x”, German
// „x“, French « x », Japanese 「x」) with their closing marks.
var uriQuotes = []struct{ open, close string }{
	{"'", "'"}, {`"`, `"`}, {"‘", "’"}, {"“", "”"}, {"„", "“"},
	{"«", "»"}, {"「", "」"},
}

// quotedURI is the first quoted absolute URI of a message, "" when there
// is none: Entra words AADSTS50011 in the page's language ("La dirección
// de respuesta "https://contoso.com" no coincide…"), and the URI it quotes
// is the one quoted text with a scheme (the application's id is a GUID).
func quotedURI(msg string) string {
	msg = msg[:min(len(msg), 2000)]
	best, bestAt := "", len(msg)
	for _, q := range uriQuotes {
		for from := 0; from < bestAt; {
			i := strings.Index(msg[from:], q.open)
			if i < 0 || from+i >= bestAt {
				break
			}
			i += from + len(q.open)
			from = i
			v := strings.TrimSpace(msg[i:])
			j := strings.Index(v, q.close)
			if j <= 0 || j > 1000 {
				continue
			}
			v = strings.TrimSpace(v[:j])
			if k := strings.Index(v, "://"); k > 0 && !strings.ContainsAny(v, " \t\n") && isScheme(v[:k]) {
				best, bestAt = v, i
				break
			}
		}
	}
	return best
}

// isScheme reports whether s is a URI scheme (RFC 3986: a letter, then
// letters, digits, "+", "-" or ".").
func isScheme(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || i > 0 && (c >= '0' && c <= '9' || c == '+' || c == '-' || c == '.')) {
			return false
		}
	}
	return s != ""
}

// messageMode reports the response modes whose answer is a page that hands
// the result to the opener or parent window by postMessage: Auth0's
// web_message, Okta's okta_post_message.
func messageMode(mode string) bool {
	switch strings.ToLower(mode) {
	case "web_message", "okta_post_message":
		return true
	}
	return false
}

// rePostMessageField finds the OAuth members of the object such a page
// posts: {"code":"…","state":"…"} (Auth0) or {'code': '…'} (Okta).
var rePostMessageField = lazyRegexp(`["']?\b(code|state|error|error_description|id_token|access_token)["']?\s*:\s*(?:"((?:[^"\\]|\\.)+)"|'((?:[^'\\]|\\.)+)')`)

// postMessagePage reads the OAuth response a web_message or
// okta_post_message page posts to the app: the page body is the only place
// the code appears in a trace.
func postMessagePage(data []byte) (url.Values, bool) {
	raw := data[:min(len(data), 1<<20)]
	if !bytes.Contains(raw, []byte("postMessage")) {
		return nil, false
	}
	v := url.Values{}
	for _, m := range rePostMessageField().FindAllSubmatch(raw, 32) {
		val := m[2]
		if val == nil {
			val = m[3]
		}
		if k := string(m[1]); v.Get(k) == "" {
			v.Set(k, jsUnescape(string(val)))
		}
	}
	if !isOAuthForm(&htmlForm{Fields: v}) {
		return nil, false
	}
	return v, true
}

// jsUnescape undoes the escapes of a JavaScript string literal that
// providers write (\/, \xHH, \uHHHH, \\, \", \').
func jsUnescape(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '\\' || i+1 >= len(s) {
			b.WriteByte(c)
			continue
		}
		i++
		switch n := s[i]; {
		case n == 'x' && i+2 < len(s) && isHexDigit(s[i+1]) && isHexDigit(s[i+2]):
			b.WriteByte(unhexDigit(s[i+1])<<4 | unhexDigit(s[i+2]))
			i += 2
		case n == 'u' && i+4 < len(s) && isHexDigit(s[i+1]) && isHexDigit(s[i+2]) && isHexDigit(s[i+3]) && isHexDigit(s[i+4]):
			r := rune(unhexDigit(s[i+1]))<<12 | rune(unhexDigit(s[i+2]))<<8 | rune(unhexDigit(s[i+3]))<<4 | rune(unhexDigit(s[i+4]))
			b.WriteRune(r)
			i += 4
		default:
			b.WriteByte(n)
		}
	}
	return b.String()
}

func isHexDigit(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func unhexDigit(c byte) byte {
	switch {
	case c >= 'a':
		return c - 'a' + 10
	case c >= 'A':
		return c - 'A' + 10
	}
	return c - '0'
}

// maxPageText bounds the visible text read from an error page: the message
// of an error page comes first, as a plain-text error body's does.
const maxPageText = 4096

// pageText is the visible text of an HTML page: text outside script, style
// and other non-rendered elements, character references decoded, runs of
// white space folded to one space, at most maxPageText bytes. It lets an
// error page an unrecognised server renders ("Unregistered redirect_uri",
// Spring's "[invalid_request] OAuth 2.0 Parameter: redirect_uri") be read as
// its plain-text error body would be.
func pageText(data []byte) string {
	s := visibleText(data, maxPageText)
	if len(s) > maxPageText {
		s = s[:maxPageText]
	}
	return strings.TrimSpace(s)
}

// pageTextPrefix is pageText(data)[:min(len, n)], for n < maxPageText,
// with the page read no further than its first n bytes of text: a token
// endpoint's page is described in 200 bytes, and the tokenizer went on
// through the page for the 4,096 pageText keeps. The text has no leading
// space, and only a cut at maxPageText can leave a trailing one, so the
// prefix is the same.
func pageTextPrefix(data []byte, n int) string {
	s := visibleText(data, min(n, maxPageText-1))
	return s[:min(len(s), n, maxPageText-1)]
}

// visibleText gathers the words of pageText until it holds at least limit
// bytes: their first limit bytes are the same whatever limit was.
func visibleText(data []byte, limit int) string {
	var b strings.Builder
	space := false
	for raw := range visibleTextTokens(data) {
		// Word by word, no further than limit: a page's text can be
		// one token of most of a MiB, of which the start is kept.
		for f := range strings.FieldsSeq(html.UnescapeString(string(raw))) {
			if space {
				b.WriteByte(' ')
			}
			b.WriteString(f)
			space = true
			if b.Len() >= limit {
				break
			}
		}
		if b.Len() >= limit {
			break
		}
	}
	return b.String()
}

// labelTokens yields the first 400 shown text tokens of a page, entities
// decoded and white space folded, skipping empty ones: what the readers of
// pages that label their values ("Error Code:", "error_description:") walk.
func labelTokens(data []byte) iter.Seq[string] {
	return func(yield func(string) bool) {
		n := 0
		for raw := range visibleTextTokens(data) {
			if n++; n > 400 {
				return
			}
			if t := strings.Join(strings.Fields(html.UnescapeString(string(raw))), " "); t != "" && !yield(t) {
				return
			}
		}
	}
}

// visibleTextTokens yields the raw text tokens of a page's first MiB that
// are outside script, style and other non-rendered elements, reading at
// most maxHTMLTokens tokens. A token's bytes are valid until the next one
// is asked for.
func visibleTextTokens(data []byte) iter.Seq[[]byte] {
	return func(yield func([]byte) bool) {
		z := xhtml.NewTokenizer(bytes.NewReader(data[:min(len(data), 1<<20)]))
		skip := 0 // depth inside elements whose text is not shown
		for n := 0; n < maxHTMLTokens; n++ {
			switch z.Next() {
			case xhtml.ErrorToken:
				return
			case xhtml.StartTagToken:
				if name, _ := z.TagName(); hiddenElement(string(name)) {
					skip++
				}
			case xhtml.EndTagToken:
				if name, _ := z.TagName(); hiddenElement(string(name)) && skip > 0 {
					skip--
				}
			case xhtml.TextToken:
				if skip == 0 && !yield(z.Text()) {
					return
				}
			}
		}
	}
}

func hiddenElement(name string) bool {
	switch name {
	case "script", "style", "head", "noscript", "template", "svg":
		return true
	}
	return false
}

// googleAuthErr is what the authError parameter of Google's error page URL
// says (accounts.google.com/signin/oauth/error?authError=…).
type googleAuthErr struct {
	name, desc string
	status     uint64
}

// googleAuthError reads an authError parameter: URL-safe base64 of a
// protobuf message whose field 1 is the error's name, field 2 its
// description (in English whatever the page's language) and field 4 the
// HTTP status. The zero value when s is not such a message.
func googleAuthError(s string) googleAuthErr {
	s = strings.TrimRight(s, "=")
	if s == "" || len(s) > 8192 {
		return googleAuthErr{}
	}
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		if b, err = base64.RawStdEncoding.DecodeString(s); err != nil {
			return googleAuthErr{}
		}
	}
	var ae googleAuthErr
	for len(b) > 0 {
		key, n := binary.Uvarint(b)
		if n <= 0 {
			return googleAuthErr{}
		}
		b = b[n:]
		switch key & 7 {
		case 0:
			v, n := binary.Uvarint(b)
			if n <= 0 {
				return googleAuthErr{}
			}
			b = b[n:]
			if key>>3 == 4 && v >= 400 && v < 600 {
				ae.status = v
			}
		case 2:
			l, n := binary.Uvarint(b)
			if n <= 0 || l > uint64(len(b)-n) {
				return googleAuthErr{}
			}
			v := b[n : n+int(l)]
			b = b[n+int(l):]
			switch key >> 3 {
			case 1:
				ae.name = string(v)
			case 2:
				// A text, not a nested message (whose bytes hold
				// control characters).
				if utf8.Valid(v) && bytes.IndexFunc(v, unicode.IsControl) < 0 {
					ae.desc = strings.TrimSpace(string(v[:min(len(v), 300)]))
				}
			}
		case 1:
			if len(b) < 8 {
				return googleAuthErr{}
			}
			b = b[8:]
		case 5:
			if len(b) < 4 {
				return googleAuthErr{}
			}
			b = b[4:]
		default:
			return googleAuthErr{}
		}
	}
	if errorNameAt(ae.name) != ae.name && !isOAuthErrorName(ae.name) {
		return googleAuthErr{}
	}
	return ae
}

// withAuthError completes the error read from Google's page with the one
// its URL carries: the URL's name is the error whatever the page's
// language or layout, and its description says what the page may not.
func withAuthError(page *model.ProviderError, ae googleAuthErr) *model.ProviderError {
	if ae.name == "" {
		return page
	}
	if page == nil || page.Error != ae.name {
		if page == nil {
			page = &model.ProviderError{}
		}
		page.Error, page.Description = ae.name, ae.name
		if ae.status != 0 {
			page.Description = "Error " + strconv.FormatUint(ae.status, 10) + ": " + ae.name
		}
	}
	if ae.desc != "" {
		page.Description += " (" + ae.desc + ")"
	}
	return page
}

// errorIDPage reads the error page IdentityServer (Duende, IdentityServer4)
// sends the browser to when it cannot redirect an error to the app
// (/home/error?errorId=…: the id is an opaque key to a message kept on the
// server). The page shows the OAuth error, then its description (only
// while the server runs in development) and the request id its log files
// the error under. nil when the page names no OAuth error.
func errorIDPage(data []byte) *model.ProviderError {
	text := pageText(data)
	i, name := firstErrorName(text)
	if name == "" {
		return nil
	}
	pe := &model.ProviderError{Error: name}
	rest := text[i+len(name):]
	if j := foldIndex(rest, "request id"); j >= 0 {
		id := strings.TrimLeft(rest[j+len("request id"):], ": ")
		if k := strings.IndexFunc(id, func(r rune) bool {
			return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune(":._|-", r))
		}); k >= 0 {
			id = id[:k]
		}
		if len(id) <= 100 {
			pe.TraceID = id
		}
		rest = rest[:j]
	}
	rest = strings.TrimSpace(strings.TrimLeft(rest, " .:"))
	if len(rest) > 300 {
		rest = rest[:300]
	}
	pe.Description = rest
	return pe
}

// firstErrorName is the first RFC 6749 / OIDC error name a text shows, as a
// word, and where it starts; "" when there is none.
func firstErrorName(text string) (int, string) {
	for i := 0; i < len(text); {
		c := text[i]
		if !(c >= 'a' && c <= 'z' || c == '_') {
			i++
			continue
		}
		j := i
		for j < len(text) && (text[j] >= 'a' && text[j] <= 'z' || text[j] == '_') {
			j++
		}
		if isOAuthErrorName(text[i:j]) && (i == 0 || !isWordByte(text[i-1])) && (j == len(text) || !isWordByte(text[j])) {
			return i, text[i:j]
		}
		i = j
	}
	return -1, ""
}

func isWordByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_'
}

// Keycloak's error page (login theme error.ftl, inherited by keycloak.v2
// and most custom themes) shows its message in an element with this id,
// in the realm's or the browser's language.
const keycloakErrorID = "kc-error-message"

// keycloakInvalidRedirect is the English message (invalidParameterMessage
// of the theme's messages_en.properties with redirect_uri) the catalog
// classifies.
const keycloakInvalidRedirect = "Invalid parameter: redirect_uri"

// maxKeycloakMessage bounds how much of the page after the element's id is
// read: the message is the element's first paragraph.
const maxKeycloakMessage = 2048

// keycloakRedirectURIError is the message of a Keycloak error page that
// names the redirect_uri parameter, as the page words it, "" when the page
// is not Keycloak's or its message does not name it. Keycloak rejects a
// redirect URI at authorize time with invalidParameterMessage and the
// parameter's name ("Ungültiger Parameter: redirect_uri", "Paramètre
// invalide : redirect_uri", "無効なパラメーターです: redirect_uri"): the
// words are translated, the parameter's name never is, so the page is read
// in any language by its element id and the name.
func keycloakRedirectURIError(text string) string {
	i := strings.Index(text, keycloakErrorID)
	if i < 0 || i < 4 || !strings.HasSuffix(strings.TrimRight(text[i-4:i], `"'`), "id=") {
		return ""
	}
	rest := text[i+len(keycloakErrorID):]
	rest = rest[:min(len(rest), maxKeycloakMessage)]
	j := strings.IndexByte(rest, '>')
	if j < 0 {
		return ""
	}
	rest = rest[j+1:]
	if k := strings.Index(rest, "</div"); k >= 0 {
		rest = rest[:k]
	}
	msg := tagsToSpaces(rest)
	if !hasWord(msg, "redirect_uri") {
		return ""
	}
	if len(msg) > 300 {
		msg = msg[:300]
		for len(msg) > 0 && !utf8.ValidString(msg) {
			msg = msg[:len(msg)-1]
		}
	}
	return msg
}

// reKCSummary finds the message of the kcContext object a Keycloakify
// theme's page declares in a script (window.kcContext = {…, "message":
// {"summary": "…", "type": "error"}, "pageId": "error.ftl", …}): the page
// is drawn in the browser from it, so no element holds the message.
var reKCSummary = lazyRegexp(`["']?\bsummary["']?\s*:\s*"((?:[^"\\\r\n]|\\.){1,600})"`)

// keycloakPageMessage is the message of a page a Keycloak server answered
// an authorize request with (4xx) that names the redirect_uri parameter,
// whatever the theme: themes other than Keycloak's own put the message in
// elements of their choosing (a class kc-error-message, an alert, a plain
// paragraph), so the message is the first text of the page outside
// scripts and styles that names redirect_uri as a word ("Ungültiger
// Parameter: redirect_uri"), else the summary of a Keycloakify page's
// kcContext. "" when neither names it.
func keycloakPageMessage(data []byte) string {
	data = data[:min(len(data), 1<<20)]
	if !bytes.Contains(data, []byte("redirect_uri")) {
		return ""
	}
	for raw := range visibleTextTokens(data) {
		if !bytes.Contains(raw, []byte("redirect_uri")) {
			continue
		}
		if msg := strings.Join(strings.Fields(html.UnescapeString(string(raw))), " "); hasWord(msg, "redirect_uri") {
			return clipMessage(msg)
		}
	}
	for _, m := range reKCSummary().FindAllSubmatch(data, 8) {
		if msg := strings.Join(strings.Fields(jsUnescape(string(m[1]))), " "); hasWord(msg, "redirect_uri") {
			return clipMessage(html.UnescapeString(msg))
		}
	}
	return ""
}

// keycloakErrorMessage is the message of a Keycloak error page, whatever
// it says: the text of the element whose id or class is kc-error-message
// (Keycloak's themes and those derived from them), else the summary of a
// Keycloakify page's kcContext. "" when the page has neither.
func keycloakErrorMessage(data []byte) string {
	data = data[:min(len(data), 1<<20)]
	if bytes.Contains(data, []byte(keycloakErrorID)) {
		z := xhtml.NewTokenizer(bytes.NewReader(data))
		var b strings.Builder
		depth, skip := 0, 0 // inside the element; inside a hidden one
		for n := 0; n < maxHTMLTokens && b.Len() < 600; n++ {
			tt := z.Next()
			if tt == xhtml.ErrorToken {
				break
			}
			switch tt {
			case xhtml.StartTagToken:
				name, hasAttr := z.TagName()
				if depth > 0 {
					depth++
					if hiddenElement(string(name)) {
						skip++
					}
					continue
				}
				for hasAttr {
					var k, v []byte
					k, v, hasAttr = z.TagAttr()
					if (string(k) == "id" || string(k) == "class") && slices.Contains(strings.Fields(string(v)), keycloakErrorID) {
						depth = 1
						break
					}
				}
			case xhtml.EndTagToken:
				if depth > 0 {
					if name, _ := z.TagName(); hiddenElement(string(name)) && skip > 0 {
						skip--
					}
					if depth--; depth == 0 {
						return clipMessage(strings.Join(strings.Fields(b.String()), " "))
					}
				}
			case xhtml.TextToken:
				if depth > 0 && skip == 0 {
					b.WriteString(html.UnescapeString(string(z.Text())))
					b.WriteByte(' ')
				}
			}
		}
		if msg := strings.Join(strings.Fields(b.String()), " "); msg != "" {
			return clipMessage(msg)
		}
	}
	if bytes.Contains(data, []byte("kcContext")) {
		if m := reKCSummary().FindSubmatch(data); m != nil {
			return clipMessage(html.UnescapeString(strings.Join(strings.Fields(jsUnescape(string(m[1]))), " ")))
		}
	}
	return ""
}

// clipMessage cuts a message to 300 bytes on a rune boundary.
func clipMessage(msg string) string {
	if len(msg) > 300 {
		msg = msg[:300]
		for len(msg) > 0 && !utf8.ValidString(msg) {
			msg = msg[:len(msg)-1]
		}
	}
	return msg
}

// tagsToSpaces is s with its tags replaced by spaces and runs of white
// space folded to one: the text of a short piece of HTML.
func tagsToSpaces(s string) string {
	var b strings.Builder
	in := false
	for _, r := range s {
		switch {
		case r == '<':
			in = true
			b.WriteByte(' ')
		case r == '>' && in:
			in = false
		case !in:
			b.WriteRune(r)
		}
	}
	return strings.Join(strings.Fields(b.String()), " ")
}

// hasWord reports whether w occurs in s as a whole word (no letter, digit
// or underscore on either side).
func hasWord(s, w string) bool {
	for from := 0; ; {
		i := strings.Index(s[from:], w)
		if i < 0 {
			return false
		}
		i += from
		end := i + len(w)
		if (i == 0 || !isWordByte(s[i-1])) && (end == len(s) || !isWordByte(s[end])) {
			return true
		}
		from = i + 1
	}
}

// oktaAppSettings is the path of the admin console's page of an OIDC app
// that Okta's error page links to when it refuses a redirect URI ("…must
// be a Login redirect URI in the client app settings:
// https://{org}-admin.okta.com/admin/app/oidc_client/instance/{appId}#tab-general"):
// the General tab is where the sign-in redirect URIs are registered.
const oktaAppSettings = "/admin/app/oidc_client/instance/"

// oktaLoginRedirect is the English message's words the catalog classifies.
const oktaLoginRedirect = "must be a Login redirect URI"

// oktaRedirectURIError is the sentence of an Okta error page that links to
// the app's General settings and names the redirect_uri parameter, as the
// page words it, "" when the page has no such sentence. The link and the
// parameter's name stay the same in every language the page is shown in;
// the sentence is read back from the link to the tag before it, at most
// 400 bytes.
func oktaRedirectURIError(text string) string {
	k := strings.Index(text, oktaAppSettings)
	if k < 0 {
		return ""
	}
	end := k + len(oktaAppSettings)
	t := strings.Index(text[end:min(len(text), end+64)], "#tab-general")
	if t < 0 {
		return ""
	}
	end += t + len("#tab-general")
	start := max(0, k-400)
	if j := strings.LastIndexByte(text[start:k], '>'); j >= 0 {
		start += j + 1
	}
	msg := tagsToSpaces(text[start:end])
	if !hasWord(msg, "redirect_uri") {
		return ""
	}
	if len(msg) > 300 {
		msg = msg[len(msg)-300:]
	}
	// A start cut inside a rune (at the 400-byte window or the 300 kept).
	for len(msg) > 0 && !utf8.RuneStart(msg[0]) {
		msg = msg[1:]
	}
	return msg
}

// auth0AppSettings is the Auth0 Dashboard's page of an application that
// Auth0's error page links to when it refuses a redirect URI ("Please go
// to the Application Settings page",
// https://manage.auth0.com/#/applications/{clientId}/settings): where the
// Allowed Callback URLs are.
const auth0AppSettings = "manage.auth0.com/#/applications/"

// auth0CallbackMismatch is the English message's words the catalog
// classifies.
const auth0CallbackMismatch = "Callback URL mismatch"

// auth0RedirectURIError is what an Auth0 error page that links to the
// application's settings says of the redirect_uri parameter, as the page
// words it: the text of the 600 bytes before the link, when it names
// redirect_uri as a word ("The provided redirect_uri is not in the list
// of allowed callback URLs"); "" when the page has no such link or text.
// Auth0 shows its error page in the language the sign-in asked for
// (ui_locales); the link and the parameter's name stay the same.
func auth0RedirectURIError(text string) string {
	k := strings.Index(text, auth0AppSettings)
	if k < 0 {
		return ""
	}
	end := k + len(auth0AppSettings)
	if !strings.Contains(text[end:min(len(text), end+80)], "/settings") {
		return ""
	}
	start := max(0, k-600)
	for start < k && !utf8.RuneStart(text[start]) {
		start++
	}
	msg := tagsToSpaces(text[start:k])
	// A cut inside a tag leaves its tail: start after the first '>'.
	if i := strings.IndexByte(text[start:k], '>'); i >= 0 && strings.IndexByte(text[start:start+i], '<') < 0 {
		msg = tagsToSpaces(text[start+i+1 : k])
	}
	i := strings.LastIndex(msg, "redirect_uri")
	if i < 0 || !hasWord(msg, "redirect_uri") {
		return ""
	}
	// The sentence naming the parameter: from the end of the one before.
	from := 0
	if j := strings.LastIndexAny(msg[:i], ".!?。"); j >= 0 {
		from = j + 1
		for from < len(msg) && !utf8.RuneStart(msg[from]) {
			from++
		}
	}
	to := len(msg)
	if j := strings.IndexAny(msg[i:], ".!?。"); j >= 0 {
		_, size := utf8.DecodeRuneInString(msg[i+j:])
		to = i + j + size
	}
	return clipMessage(strings.TrimSpace(msg[from:to]))
}

// aadFullMessage is the message of code in an Entra page read to its end
// whatever quotation marks it holds: up to a tag, a line end, or the end of
// the JSON string it is in ($Config's strServiceExceptionMessage), with
// the string's escapes undone; at most 600 bytes.
func aadFullMessage(text, code string) string {
	i := strings.Index(text, code+":")
	if i < 0 {
		return ""
	}
	w := text[i:min(len(text), i+1000)]
	end := len(w)
	for _, stop := range []string{"<", "\r", "\n", `",`, `"}`} {
		if j := strings.Index(w, stop); j >= 0 && j < end {
			end = j
		}
	}
	msg := strings.TrimSpace(jsUnescape(w[:end]))
	if len(msg) > 600 {
		msg = msg[:600]
		for len(msg) > 0 && !utf8.ValidString(msg) {
			msg = msg[:len(msg)-1]
		}
	}
	return msg
}

// keycloakMissingParam is the English message Keycloak's theme gives a
// parameter the authorize request lacks (missingParameterMessage of
// messages_en.properties, "Missing parameters: {0}"; "Missing parameter:
// {0}" in older releases), the one the catalog classifies.
const keycloakMissingParam = "Missing parameter: "

// keycloakAuthorizeParams are the authorize request's parameters a
// Keycloak message can name: the word after its colon is one of them, not
// any word a translated message happens to end with.
var keycloakAuthorizeParams = []string{
	"acr_values", "claims", "client_id", "code_challenge", "code_challenge_method",
	"display", "id_token_hint", "login_hint", "max_age", "nonce", "prompt",
	"redirect_uri", "request", "request_uri", "response_mode", "response_type",
	"scope", "state", "ui_locales",
}

// keycloakNamedParam is the parameter a Keycloak message names the way
// its bundles word invalidParameterMessage and missingParameterMessage in
// every language: the parameter's name right after a colon ("Paramètres
// manquants : redirect_uri", "缺少参数：redirect_uri"), whatever follows it
// (the base theme's element also holds the link back to the application).
// "" when no colon is followed by an authorize parameter's name.
func keycloakNamedParam(msg string) string {
	for rest := msg; ; {
		i, size := strings.IndexByte(rest, ':'), 1
		if j := strings.Index(rest, "："); j >= 0 && (i < 0 || j < i) {
			i, size = j, len("：")
		}
		if i < 0 {
			return ""
		}
		rest = rest[i+size:]
		word, _, _ := strings.Cut(strings.TrimSpace(rest), " ")
		if word = strings.TrimRight(word, ".,;"); slices.Contains(keycloakAuthorizeParams, word) {
			return word
		}
	}
}

// keycloakMissingParameter reads a Keycloak error page (any theme, any
// language) refusing an authorize request for a parameter it lacks: the
// page's message names the parameter after its colon, and either the
// request sent no value for it (what the trace shows, whatever the words;
// Keycloak also refuses a missing redirect_uri with invalidParameterMessage)
// or the message is the English missingParameterMessage. The error is
// invalid_request, described by the page's words followed by "(Missing
// parameter: name)" so the catalog classifies it: the fix is to send the
// parameter, not to register a redirect URI. nil when the page is not such
// a refusal. A request carrying its parameters in a request object
// (request, request_uri) may hold the parameter there, so only the words
// count for it.
func keycloakMissingParameter(data []byte, params url.Values) *model.ProviderError {
	msg := keycloakErrorMessage(data)
	if msg == "" {
		msg = keycloakPageMessage(data)
	}
	name := keycloakNamedParam(msg)
	if name == "" {
		return nil
	}
	sent := params.Get(name) != "" || params.Get("request") != "" || params.Get("request_uri") != ""
	if sent && foldIndex(msg, "missing parameter") < 0 {
		return nil
	}
	return &model.ProviderError{Error: "invalid_request", Description: msg + " (" + keycloakMissingParam + name + ")"}
}

// oktaErrorCodePage reads the error page Okta renders when it cannot
// redirect an authorize request's error to the app ("Identity Provider:
// Unknown", "Error Code: server_error", "Description: The requested feature
// is not enabled in this environment."): the OAuth error is what follows
// "Error Code:", the description what follows "Description:". Without
// this the page was one http_400 quoting all of its text, so the catalog
// never saw the provider's description by itself. Nil when the page shows
// no OAuth error name after the label.
func oktaErrorCodePage(data []byte) *model.ProviderError {
	const codeLabel, descLabel = "error code:", "description:"
	if !containsFoldASCII(data[:min(len(data), 1<<20)], codeLabel) {
		return nil
	}
	var name, desc string
	want := "" // the label whose value is the next token
	for t := range labelTokens(data) {
		switch {
		case want == codeLabel:
			name, want = errorNameAt(t), ""
			continue
		case want == descLabel:
			desc, want = t, ""
			continue
		}
		for _, label := range []string{codeLabel, descLabel} {
			i := foldIndex(t, label)
			if i < 0 {
				continue
			}
			rest := strings.TrimSpace(t[i+len(label):])
			if label == codeLabel {
				// The description can share the element ("Error Code:
				// x Description: y").
				if j := foldIndex(rest, descLabel); j >= 0 {
					desc = strings.TrimSpace(rest[j+len(descLabel):])
					rest = strings.TrimSpace(rest[:j])
				}
			}
			switch {
			case rest == "":
				want = label
			case label == codeLabel:
				name = errorNameAt(rest)
			default:
				desc = rest
			}
		}
		if name != "" && desc != "" {
			break
		}
	}
	if !isOAuthErrorName(name) {
		return nil
	}
	if len(desc) > 300 {
		desc = strings.ToValidUTF8(desc[:300], "") // a cut inside a rune
	}
	return &model.ProviderError{Error: name, Description: desc}
}

// labelledErrorPage reads an error page that shows the OAuth error's
// parameters as labelled lines, "error: invalid_redirect_uri" and
// "error_description: redirect_uri did not match any of the client's
// registered redirect_uris", as panva's oidc-provider renders an authorize
// error it cannot send back to the app (its default renderError, each
// parameter as <strong>name</strong>: value). Without this the page was
// read for the first standard error name in its text (none: oidc-provider's
// invalid_redirect_uri is RFC 7591's) and became invalid_request described
// by the whole page. Nil unless the page labels an error name.
func labelledErrorPage(data []byte) *model.ProviderError {
	const errLabel, descLabel = "error", "error_description"
	if !containsFoldASCII(data[:min(len(data), 1<<20)], descLabel) {
		return nil
	}
	var name, desc string
	want, colon := "", false // the label whose value comes next; whether its colon does too
	for t := range labelTokens(data) {
		if want != "" {
			label := want
			want = ""
			v, hasColon := strings.CutPrefix(t, ":")
			if hasColon || !colon {
				if v = strings.TrimSpace(v); label == errLabel && name == "" {
					name = v
				} else if label == descLabel && desc == "" {
					desc = v
				}
				continue
			}
		}
		label, rest, found := strings.Cut(t, ":")
		label = strings.ToLower(strings.TrimSpace(label))
		if label != errLabel && label != descLabel {
			continue
		}
		switch rest = strings.TrimSpace(rest); {
		case !found:
			want, colon = label, true
		case rest == "":
			want, colon = label, false
		case label == errLabel && name == "":
			name = rest
		case label == descLabel && desc == "":
			desc = rest
		}
	}
	if !errorNameToken(name) {
		return nil
	}
	if len(desc) > 300 {
		desc = strings.ToValidUTF8(desc[:300], "") // a cut inside a rune
	}
	return &model.ProviderError{Error: name, Description: desc}
}

// errorNameToken reports an OAuth-style error name: lower case letters,
// digits and underscores ("invalid_redirect_uri", "invalid_client").
func errorNameToken(s string) bool {
	if len(s) < 3 || len(s) > 64 || s[0] < 'a' || s[0] > 'z' {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; c != '_' && (c < 'a' || c > 'z') && (c < '0' || c > '9') {
			return false
		}
	}
	return true
}

// errorPageMarks are what only a provider's error page shows, never its
// sign-in, consent or account pages: an answer to an authorize request
// bearing one is a refusal whatever its status, and is read as an error
// status's page is (pageError, Keycloak's message). Most of these pages
// come with 400, but a page served with 200 (a provider version, a theme,
// a proxy that rewrites the status) refuses the sign-in all the same.
// Family "" marks any provider's page. mark is lower-case ASCII, found
// case-insensitively; why says whose page shows it.
var errorPageMarks = []struct {
	family    model.Family
	mark, why string
}{
	{model.FamilyKeycloak, `id="` + keycloakErrorID + `"`, "Keycloak's error.ftl, every theme deriving from base"},
	{model.FamilyKeycloak, `"error.ftl"`, "a Keycloakify page's kcContext pageId"},
	{model.FamilyPing, "redirect uri mismatch", "PingFederate's message for a redirect URI its client does not list"},
	{model.FamilyPing, "unknown or invalid client_id", "PingFederate's message for a client it does not have"},
	{"", "unregistered redirect_uri", "Dex's error page (server/oauth2.go)"},
	{"", "oauth 2.0 parameter: redirect_uri", "Spring Authorization Server's error"},
	{"", `<div id="errorcontent"`, "LemonLDAP::NG's portal error page (error.tpl), served with 200"},
}

// glewlwydRefusal describes Glewlwyd's answer to an authorize request it
// will not send back to the app: 403 with no body (the catalog matches it).
const glewlwydRefusal = "403 with no body"

// lemonldapErrors are the portal errors (Lemonldap::NG::Portal::Main::
// Constants) its OpenID Connect issuer answers an authorize request with
// on its error page, with the English message its page shows
// (static/languages/en.json, PE<number>): the page itself carries the
// number alone (<span trmsg="108">), translated by the page's script.
var lemonldapErrors = map[string][2]string{
	"24":  {"PE_ERROR", "Error"},
	"37":  {"PE_BADURL", "Bad URL"},
	"84":  {"PE_UNAUTHORIZEDPARTNER", "You're not authorized to access to this host"},
	"90":  {"PE_OIDC_SERVICE_NOT_ALLOWED", "OpenID Connect service not allowed"},
	"107": {"PE_UNKNOWNPARTNER", "This application is not known"},
	"108": {"PE_UNAUTHORIZEDURL", "Unauthorized URL"},
}

// lemonldapPageError is the error of LemonLDAP::NG's portal error page
// (error.tpl: <div id="errorcontent"> around <div class="message
// message-negative alert"><span trmsg="N">): its constant as the error, its
// English message as the description; nil for any other page, and for a
// number the table does not hold.
func lemonldapPageError(page []byte) *model.ProviderError {
	head := page[:min(len(page), 64<<10)]
	i := bytes.Index(head, []byte(`<div id="errorcontent"`))
	if i < 0 {
		return nil
	}
	rest := head[i:]
	j := bytes.Index(rest, []byte(`trmsg="`))
	if j < 0 || j > 1024 {
		return nil
	}
	rest = rest[j+len(`trmsg="`):]
	k := bytes.IndexByte(rest, '"')
	if k < 0 || k > 4 {
		return nil
	}
	e, ok := lemonldapErrors[string(rest[:k])]
	if !ok {
		return nil
	}
	return &model.ProviderError{Error: e[0], Description: e[1]}
}

// dexPageMessage is the message of Dex's error page (web/templates:
// error.html inside header.html, `<div class="dex-container">` around
// `<div class="theme-panel"><h2 class="theme-heading">{{ .ErrType }}</h2>
// <p>{{ .ErrMsg }}</p>`), its ErrMsg; "" for any other page, and for
// Dex's other pages (login, approval), whose panel holds a form.
func dexPageMessage(page []byte) string {
	head := page[:min(len(page), 64<<10)]
	if !containsFoldASCII(head, `class="dex-container"`) || containsFoldASCII(head, "<form") {
		return ""
	}
	i := bytes.Index(head, []byte(`class="theme-heading"`))
	if i < 0 {
		return ""
	}
	rest := head[i:]
	j := bytes.Index(rest, []byte("<p>"))
	if j < 0 {
		return ""
	}
	rest = rest[j+len("<p>"):]
	k := bytes.Index(rest, []byte("</p>"))
	if k < 0 || k > 1024 {
		return ""
	}
	msg := strings.TrimSpace(html.UnescapeString(string(rest[:k])))
	if msg == "" || !utf8.ValidString(msg) || strings.ContainsAny(msg, "<>") {
		return ""
	}
	return msg
}

// errorPageMarked reports whether page bears one of errorPageMarks of
// provider p's family, or of any provider's.
func errorPageMarked(page []byte, p model.Provider) bool {
	head := page[:min(len(page), 1<<20)]
	for _, m := range errorPageMarks {
		if (m.family == "" || m.family == p.Family) && containsFoldASCII(head, m.mark) {
			return true
		}
	}
	return false
}
