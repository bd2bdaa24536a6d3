package redact

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"html"
	"net/url"
	"regexp"
	"sort"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/tidwall/gjson"
	"github.com/traceaudit/traceaudit/secret"
)

// bodyKind sorts a body by what its rewrite needs.
type bodyKind int

const (
	bodyBinary bodyKind = iota
	bodyForm
	bodyJSON
	bodyText // HTML, XML, scripts, plain text
)

func kindOf(mt string, data []byte) bodyKind {
	mt = strings.ToLower(mt)
	switch {
	case mt == "application/x-www-form-urlencoded":
		return bodyForm
	case strings.Contains(mt, "json"):
		return bodyJSON
	case strings.HasPrefix(mt, "text/"), strings.Contains(mt, "xml"), strings.Contains(mt, "html"),
		strings.Contains(mt, "javascript"), strings.Contains(mt, "ecmascript"):
		return bodyText
	case strings.HasPrefix(mt, "multipart/") && utf8.Valid(data):
		// Form fields in parts: the sweep and the scans still apply.
		return bodyText
	case binaryType(mt):
		return bodyBinary
	}
	// No type, application/octet-stream, or a type not known here (a
	// vendor's, a mislabelled one): what the body holds decides. Text is
	// rewritten as text; only bytes that are no text are left as they are,
	// the sweep's shapes being all that can be looked for in them.
	if !utf8.Valid(data[:min(len(data), 4096)]) {
		return bodyBinary
	}
	t := bytes.TrimSpace(data)
	if len(t) > 0 && (t[0] == '{' || t[0] == '[') && json.Valid(t) {
		return bodyJSON
	}
	if looksForm(t) {
		return bodyForm
	}
	return bodyText
}

// binaryType reports the media types whose bodies are binary by nature:
// images, audio, video, fonts, archives, PDF, protobuf, WebAssembly.
func binaryType(mt string) bool {
	for _, p := range []string{"image/", "audio/", "video/", "font/"} {
		if strings.HasPrefix(mt, p) {
			return true
		}
	}
	switch mt {
	case "application/pdf", "application/zip", "application/gzip", "application/x-gzip", "application/wasm",
		"application/x-protobuf", "application/protobuf", "application/grpc", "application/font-woff":
		return true
	}
	return false
}

// unnamedFields reports the media types of serializations whose fields
// are numbered, not named (gRPC and gRPC-Web, protobuf, MessagePack,
// CBOR, Thrift, Avro, BSON): a token in them sits under no name the
// redaction could know it by, so the body is not copied (fail closed).
// JSON mappings of them ("application/json+protobuf") are JSON.
func unnamedFields(mt string) bool {
	mt = strings.ToLower(mt)
	if mt == "" || strings.Contains(mt, "json") {
		return false
	}
	for _, w := range []string{"grpc", "protobuf", "x-proto", "msgpack", "cbor", "thrift", "avro", "bson"} {
		if strings.Contains(mt, w) {
			return true
		}
	}
	return false
}

// unnamedBody replaces a body of unnamed fields (see unnamedFields).
const unnamedBody = "[body removed by traceaudit redact: %s holds fields without names, which cannot be redacted]"

// looksForm mirrors the oauth extractor: an '=' and none of the bytes a form never holds.
func looksForm(b []byte) bool {
	return bytes.IndexByte(b, '=') >= 0 && !bytes.ContainsAny(b, " \n{<")
}

// oauthBody reports bodies StripBodies keeps: the ones an OAuth message or
// an error page can travel in.
func oauthBody(mt string) bool {
	mt = strings.ToLower(mt)
	return mt == "" || strings.Contains(mt, "json") || strings.Contains(mt, "html") || strings.Contains(mt, "xml") ||
		mt == "application/x-www-form-urlencoded" || mt == "text/plain"
}

// body rewrites a decoded message body according to its media type.
// Binary bodies come back unchanged.
func (r *redactor) body(mt string, data []byte) []byte {
	if len(data) == 0 {
		return data
	}
	if unnamedFields(mt) {
		r.count()
		return []byte(fmt.Sprintf(unnamedBody, mediaType(mt)))
	}
	if red, ok := r.base64Body(mt, data); ok {
		return red
	}
	if red, ok := r.bareToken(mt, data); ok {
		return red
	}
	switch kindOf(mt, data) {
	case bodyForm:
		s := string(data)
		if red := r.pairs(s, 0); red != s {
			return []byte(red)
		}
		return data
	case bodyJSON:
		if out, ok := r.json(data); ok {
			return out
		}
		return []byte(r.text(string(data)))
	case bodyText:
		s := r.qpSections(string(data))
		lmt := strings.ToLower(mt)
		switch {
		case strings.HasPrefix(lmt, "multipart/"):
			s = r.multipart(s)
		case lmt == "text/plain" && looksForm(bytes.TrimSpace(data)):
			// A form sent as text/plain, which spares a cross-origin
			// preflight.
			s = r.pairs(s, 0)
		case lmt == "text/event-stream":
			s = r.eventStream(s)
		default:
			// A STOMP frame or an HTTP message logged as text.
			if red, ok := r.headerBlock(s, 0); ok {
				s = red
			}
		}
		if red := r.text(s); red != string(data) {
			return []byte(red)
		}
	case bodyBinary:
		if !binaryType(strings.ToLower(mt)) {
			// application/octet-stream, no type or a vendor's: bytes
			// that are no text may still carry text.
			return r.binaryRuns(data)
		}
	}
	return data
}

// base64Body redacts a body that is base64 or base64url of JSON or of a
// form, whole (a serverless function's answer sent base64-encoded under
// a textual type, a client that encodes what it posts): decoded, redacted
// and encoded again, as such a value is (encoded). ok is false when the
// body is no such text.
func (r *redactor) base64Body(mt string, data []byte) ([]byte, bool) {
	t := bytes.TrimSpace(data)
	if len(t) < 16 || binaryType(strings.ToLower(mt)) || base64Of(string(t)) == nil {
		return nil, false
	}
	red, ok := r.encoded(string(t), 0)
	if !ok || red == string(t) {
		return nil, false
	}
	lead := len(data) - len(bytes.TrimLeft(data, " \t\r\n\f\v"))
	out := append(append([]byte(nil), data[:lead]...), red...)
	return append(out, data[lead+len(t):]...), true
}

// bareToken fingerprints a body that is one token and nothing else, bare
// or as a JSON string (a metadata service's session token answered as
// text/plain, an API that answers a token as a JSON string): no name
// says what it is, so its shape does (secret.OpaqueToken, as a URL
// parameter's). ok is false when the body is no such word.
func (r *redactor) bareToken(mt string, data []byte) ([]byte, bool) {
	t := bytes.TrimSpace(data)
	if len(t) < 12 || len(t) > 1<<16 || binaryType(strings.ToLower(mt)) || bytes.ContainsAny(t, " \t\r\n") {
		return nil, false
	}
	w := t
	if len(w) >= 2 && w[0] == '"' && w[len(w)-1] == '"' {
		w = w[1 : len(w)-1]
	}
	// A short token (an IMDS session token, a CSRF token of 16 bytes)
	// is as secret as a long one: under OpaqueToken's 32 bytes, a word
	// with capitals, small letters and digits that is no name
	// (looseToken) is one.
	if !secret.OpaqueToken("", string(w)) && !hexToken(w) && !looseToken(string(w)) {
		return nil, false
	}
	at := bytes.Index(data, w)
	return append(append(append([]byte(nil), data[:at]...), r.secret(string(w))...), data[at+len(w):]...), true
}

// hexToken reports 32 hex digits or more, letters and digits among them:
// a CSRF or session token written in hex, whose 16 symbols OpaqueToken's
// entropy bar does not let through.
func hexToken(w []byte) bool {
	letter, digit := false, false
	for _, c := range w {
		switch {
		case c >= '0' && c <= '9':
			digit = true
		case c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F':
			letter = true
		default:
			return false
		}
	}
	return len(w) >= 32 && letter && digit
}

// minRun is the shortest run of text binaryRuns reads: shorter ones hold
// no name and value.
const minRun = 8

// binaryRuns redacts the runs of printable ASCII in a body that is no text
// (application/octet-stream, a vendor's type: a serialization of its own,
// a blob with a header): a token there sits in such a run, after its name
// ("access_token=…", "\"refresh_token\":\"…\"") or where the trace sent it
// elsewhere (the sweep). Each run is read as a free value and as text; one
// that changed is written redacted in its place, its length changed, the
// other bytes as they were.
func (r *redactor) binaryRuns(data []byte) []byte {
	var out []byte
	last := 0
	for i := 0; i < len(data); {
		if !runByte(data[i]) {
			i++
			continue
		}
		start := i
		for i < len(data) && runByte(data[i]) {
			i++
		}
		if i-start < minRun {
			continue
		}
		run := string(data[start:i])
		red := r.opaqueWords(r.text(r.free(run, 0)))
		if red == run {
			continue
		}
		if out == nil {
			out = make([]byte, 0, len(data))
		}
		out = append(out, data[last:start]...)
		out = append(out, red...)
		last = i
	}
	if out == nil {
		return data
	}
	return append(out, data[last:]...)
}

// opaqueWords fingerprints the words of a run of text in binary data that
// are shaped like a token (secret.OpaqueToken): a serializer writes a
// value apart from its name, a length between them.
func (r *redactor) opaqueWords(run string) string {
	sp := replaceSpans{s: run}
	for i := 0; i < len(run); {
		if !tokenByte(run[i]) {
			i++
			continue
		}
		start := i
		for i < len(run) && tokenByte(run[i]) {
			i++
		}
		if w := run[start:i]; secret.OpaqueToken("", w) {
			sp.replace(start, i, r.secret(w))
		}
	}
	return sp.result()
}

func tokenByte(c byte) bool { return alnum(c) || strings.IndexByte("-_.~+/=", c) >= 0 }

// runByte reports the bytes of a run of text in binary data.
func runByte(c byte) bool { return c >= 0x20 && c < 0x7f || c == '\t' || c == '\n' || c == '\r' }

// eventStream redacts the data of each event of a server-sent event
// stream as a value of its own (JSON, a name=value pair, a token), or as
// the value of its event's name when that names a secret ("event: token").
func (r *redactor) eventStream(s string) string {
	lines := strings.Split(s, "\n")
	event := ""
	for i, l := range lines {
		if strings.TrimSpace(l) == "" {
			event = "" // an event ends at a blank line
			continue
		}
		if rest, ok := strings.CutPrefix(l, "event:"); ok {
			event = strings.TrimSpace(rest)
			continue
		}
		if rest, ok := strings.CutPrefix(l, "data:"); ok {
			cr := ""
			if strings.HasSuffix(rest, "\r") {
				rest, cr = rest[:len(rest)-1], "\r"
			}
			lead := rest[:len(rest)-len(strings.TrimLeft(rest, " "))]
			v := rest[len(lead):]
			red := r.free(v, 0)
			if event != "" && r.class(event) != classKeep && red == v {
				red = r.value(event, v, "", 0)
			}
			lines[i] = "data:" + lead + red + cr
		}
	}
	return strings.Join(lines, "\n")
}

// maxJSONDepth bounds the walk of a JSON body; deeper values are left to the
// sweep.
const maxJSONDepth = 64

// edit replaces raw bytes [start, end) of a document.
type edit struct {
	start, end int
	repl       []byte
}

func applyEdits(doc []byte, eds []edit) []byte {
	if len(eds) == 0 {
		return doc
	}
	sort.Slice(eds, func(i, j int) bool { return eds[i].start < eds[j].start })
	out := make([]byte, 0, len(doc))
	last := 0
	for _, e := range eds {
		if e.start < last || e.end > len(doc) {
			continue // overlapping edits cannot happen on leaves; be safe
		}
		out = append(out, doc[last:e.start]...)
		out = append(out, e.repl...)
		last = e.end
	}
	return append(out, doc[last:]...)
}

// jsonString encodes s as a JSON string without HTML escaping, as HAR
// producers write them.
func jsonString(s string) []byte {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.Encode(s) // a string always encodes
	return bytes.TrimSuffix(b.Bytes(), []byte("\n"))
}

// json rewrites a JSON body: members named like secrets are redacted at any
// depth, other strings as free values. ok is false when data is not JSON.
func (r *redactor) json(data []byte) ([]byte, bool) {
	if !gjson.ValidBytes(data) {
		return nil, false
	}
	doc := gjson.ParseBytes(data)
	method := ""
	if doc.IsObject() {
		method = doc.Get("code_challenge_method").String()
	}
	var eds []edit
	sc := scopePlain
	if r.storeRequest == storeAll {
		sc = scopeStore
	}
	r.jsonValue(doc, "", method, 0, sc, &eds)
	if short := shortReplaced(data, eds); len(short) > 0 {
		eds = echoEdits(doc, eds, short)
	}
	return applyEdits(data, eds), true
}

// echoMin is the shortest replaced value looked for in the rest of its
// document: shorter ones are digits of a counter as often as a secret.
const echoMin = 4

// shortReplaced returns the values, too short for the sweep, that the edits
// replaced whole in data, each with its replacement: a device flow's
// user_code, a PIN or a one-time code, which the same answer can repeat in
// words (Entra's device code answer: "… enter the code FGH7KLMN2 to
// authenticate.").
func shortReplaced(data []byte, eds []edit) map[string]string {
	var short map[string]string
	for _, e := range eds {
		old := gjson.ParseBytes(data[e.start:e.end]).Str
		if len(old) < echoMin || len(old) >= sweepMin {
			continue
		}
		if short == nil {
			short = map[string]string{}
		}
		short[old] = gjson.ParseBytes(e.repl).Str
	}
	return short
}

// echoEdits adds to eds the strings of doc that eds leave as they are but
// that hold one of short as a word, with each such word replaced.
func echoEdits(doc gjson.Result, eds []edit, short map[string]string) []edit {
	edited := make(map[int]bool, len(eds))
	for _, e := range eds {
		edited[e.start] = true
	}
	olds := make([]string, 0, len(short))
	for old := range short {
		olds = append(olds, old)
	}
	// Longest first, so that a value holding another is replaced whole;
	// then by value, so that output does not follow map order.
	sort.Slice(olds, func(i, j int) bool {
		if len(olds[i]) != len(olds[j]) {
			return len(olds[i]) > len(olds[j])
		}
		return olds[i] < olds[j]
	})
	var walk func(v gjson.Result, depth int)
	walk = func(v gjson.Result, depth int) {
		switch {
		case v.Type == gjson.String:
			if edited[v.Index] {
				return
			}
			s := v.Str
			for _, old := range olds {
				s = replaceWord(s, old, short[old])
			}
			if s != v.Str {
				eds = append(eds, edit{v.Index, v.Index + len(v.Raw), jsonString(s)})
			}
		case (v.IsObject() || v.IsArray()) && depth < maxJSONDepth:
			v.ForEach(func(_, x gjson.Result) bool {
				walk(x, depth+1)
				return true
			})
		}
	}
	walk(doc, 0)
	return eds
}

// replaceWord replaces old in s where it stands as a word: not next to a
// letter or digit.
func replaceWord(s, old, repl string) string {
	sp := replaceSpans{s: s}
	for i := 0; ; {
		j := strings.Index(s[i:], old)
		if j < 0 {
			break
		}
		at, end := i+j, i+j+len(old)
		if (at == 0 || !alnum(s[at-1])) && (end == len(s) || !alnum(s[end])) {
			sp.replace(at, end, repl)
			i = end
			continue
		}
		i = at + 1
	}
	return sp.result()
}

// scope is what a JSON value's place makes of it beyond its name.
type scope uint8

const (
	scopePlain scope = iota
	// scopeParams: GraphQL's variables, an operation's parameters, read
	// as a form's are: a "code" there is a code at any depth.
	scopeParams
	// scopeStore: what a secret store holds, answers or is given (Key
	// Vault's value, a Vault answer's data, a Kubernetes Secret's data):
	// every string and number is a secret, whatever its member's name.
	scopeStore
	// scopeVaultKV: a Vault KV version 2 answer's data, whose data is
	// the secret and whose metadata (times, version) is not.
	scopeVaultKV
)

func (r *redactor) jsonValue(v gjson.Result, name, method string, depth int, sc scope, eds *[]edit) {
	switch {
	case sc == scopeStore && (v.Type == gjson.String || v.Type == gjson.Number):
		raw := v.Str
		if v.Type == gjson.Number {
			raw = v.Raw
		}
		if raw == "" || isPlaceholder(raw) {
			return
		}
		if red := r.secret(raw); red != raw {
			*eds = append(*eds, edit{v.Index, v.Index + len(v.Raw), jsonString(red)})
		}
	case v.Type == gjson.Number && name != "" && (r.class(name) == classMasked || r.holds(name)) && !secret.CredentialTime(name, v.Raw):
		// A one-time code, PIN or session id sent as a number
		// ({"otp":482913}); a nested "code" (an API's error code) and
		// the names of the lists that are not credentials keep theirs.
		var red string
		if r.class(name) == classMasked {
			red = r.mask(maskKindOf(name), v.Raw)
		} else {
			red = r.secret(v.Raw)
		}
		if red != v.Raw {
			*eds = append(*eds, edit{v.Index, v.Index + len(v.Raw), jsonString(red)})
		}
	case v.Type == gjson.String:
		var red string
		switch {
		case name == "" || depth > 1 && sc != scopeParams && strings.EqualFold(name, "code"):
			// A nested "code" is an API error code (Graph's
			// {"error":{"code":"InvalidAuthenticationToken"}}), evidence
			// to keep; oauth reads OAuth parameters from the top level
			// only, and a real authorization code is still swept.
			red = r.free(v.Str, 0)
		default:
			red = r.value(name, v.Str, method, 0)
		}
		if red != v.Str {
			*eds = append(*eds, edit{v.Index, v.Index + len(v.Raw), jsonString(red)})
		}
	case v.IsObject() || v.IsArray():
		if depth >= maxJSONDepth {
			return
		}
		isObj := v.IsObject()
		// What a credential's name holds is credential through and
		// through: the strings of an array under it
		// ({"refresh_tokens":["…"]}) and the members of an object under
		// it ({"access_token":{"value":"…"}}) that do not describe it.
		holder := name != "" && r.holds(name)
		// A {"name": "client_secret", "value": "…"} object (and "key"
		// for "name") names its value.
		pairName, pairValue, store, pairKey := "", "", false, false
		var stored func(k string, x gjson.Result) scope
		if isObj && sc != scopeStore {
			pairName, pairValue, store = pairObjectName(v)
			pairKey = v.Get("value").Exists() && v.Get("key").Type == gjson.String
			stored = storeMembers(v, depth, r.storeRequest)
		}
		var named []string
		if !isObj && sc != scopeStore {
			named = arrayNames(v)
		}
		idx := -1
		v.ForEach(func(k, x gjson.Result) bool {
			idx++
			if isObj {
				// A token cache keys its entries by the token itself.
				if red := r.jsonKey(k.Str, holder); red != k.Str {
					*eds = append(*eds, edit{k.Index, k.Index + len(k.Raw), jsonString(red)})
				}
			}
			n, xsc := "", sc
			switch {
			case sc == scopeStore:
			case sc == scopeVaultKV:
				if k.Str == "data" {
					xsc = scopeStore
				} else {
					xsc = scopePlain
				}
				n = k.Str
			case isObj && pairName != "" && k.Str == pairValue:
				n = pairName
			case isObj && pairKey && strings.EqualFold(k.Str, "key") && x.Type == gjson.String:
				// A {"key": …, "value": …} pair's key is the name of
				// its value (App Configuration's "Db:Password"), which
				// support reads: free text, not an API key.
			case store && (strings.EqualFold(k.Str, "value") || strings.EqualFold(k.Str, "payload")):
				xsc = scopeStore // what a secret store answers with
			case isObj:
				n = k.Str
				if holder && r.class(n) == classKeep && !secret.DescribesCredential(n) && !timeName(n) {
					n = name
				} else if strings.EqualFold(n, "id") && sessionHolder(name) {
					// {"session": {"id": "…"}}: the session's id.
					n = "session_id"
				}
				if stored != nil {
					xsc = stored(k.Str, x)
				}
				if xsc == sc && strings.EqualFold(k.Str, "variables") && x.IsObject() {
					xsc = scopeParams
				}
			case holder:
				n = name
			case name != "" && r.class(name) == classMasked:
				n = name // a list of one-time codes (recovery_codes)
			case idx < len(named) && named[idx] != "":
				n = named[idx]
			}
			r.jsonValue(x, n, method, depth+1, xsc, eds)
			return true
		})
	}
}

// arrayNames returns, for an array of strings that pairs names with
// values, the name of each value element ("" for the others): a command
// line's flag naming a secret and the argument after it ("--api-key",
// "…"), and Node's rawHeaders (["Host", "…", "Cookie", "…"]: names at
// even places, a common header among them). Nil for other arrays.
func arrayNames(v gjson.Result) []string {
	// Most arrays are neither: looked at without a copy first.
	n, flag, first := 0, false, false
	v.ForEach(func(_, x gjson.Result) bool {
		if n == 0 {
			first = x.Type == gjson.String && headerToken(x.Str)
		}
		flag = flag || x.Type == gjson.String && len(x.Str) >= 3 && x.Str[0] == '-'
		n++
		return true
	})
	if n < 2 || !flag && !(first && n%2 == 0) {
		return nil
	}
	var elems []string
	strs := true
	v.ForEach(func(_, x gjson.Result) bool {
		if x.Type != gjson.String || len(elems) == 1024 {
			strs = false
			return false
		}
		elems = append(elems, x.Str)
		return true
	})
	if !strs || len(elems) < 2 {
		return nil
	}
	var names []string
	set := func(i int, n string) {
		if names == nil {
			names = make([]string, len(elems))
		}
		names[i] = n
	}
	if len(elems)%2 == 0 {
		headers, common := true, false
		for i := 0; i < len(elems) && headers; i += 2 {
			headers = headerToken(elems[i])
			switch strings.ToLower(elems[i]) {
			case "host", "user-agent", "accept", "content-type", "connection":
				common = true
			}
		}
		if headers && common {
			for i := 1; i < len(elems); i += 2 {
				set(i, elems[i-1])
			}
			return names
		}
	}
	for i := 0; i+1 < len(elems); i++ {
		f := elems[i]
		if len(f) < 3 || f[0] != '-' || strings.IndexByte(f, '=') >= 0 || strings.HasPrefix(elems[i+1], "-") {
			continue
		}
		if flag := strings.TrimLeft(f, "-"); classify(flag) != classKeep {
			set(i+1, flag)
		}
	}
	return names
}

// headerToken reports a string that may be a header's name.
func headerToken(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !alnum(s[i]) && s[i] != '-' && s[i] != '_' {
			return false
		}
	}
	return true
}

// sessionHolder reports a member name of an object that describes a
// session ({"session": {"id": …, "expires": …}}), whose id is the
// session's.
func sessionHolder(name string) bool {
	return strings.EqualFold(name, "session") || strings.EqualFold(name, "userSession") || strings.EqualFold(name, "user_session")
}

// storeKind is what a request to a secret store gives it: nothing known,
// the members that hold a secret's value (a PUT to Key Vault's
// /secrets/<name>: {"value": …}; Secret Manager's addVersion: {"payload":
// …}), or the whole body (a request bearing a Vault token: a KV write's
// data, a database's connection password, a policy).
type storeKind uint8

const (
	storeNone storeKind = iota
	storeValue
	storeAll
)

// storeRequestKind tells what a request to rawURL, bearing a Vault token
// or not, gives a secret store.
func storeRequestKind(rawURL string, vaultToken bool) storeKind {
	if vaultToken {
		return storeAll
	}
	path := rawURL
	if i := strings.IndexAny(path, "?#"); i >= 0 {
		path = path[:i]
	}
	if i := strings.Index(path, "://"); i >= 0 {
		if j := strings.IndexByte(path[i+3:], '/'); j >= 0 {
			path = path[i+3+j:]
		} else {
			path = ""
		}
	}
	// A segment "secrets" followed by a name: Key Vault's
	// /secrets/<name>, Secret Manager's /secrets/<id>:addVersion,
	// Kubernetes' /namespaces/<ns>/secrets/<name>.
	i := strings.Index(path, "/secrets/")
	if i >= 0 && len(path) > i+len("/secrets/") {
		return storeValue
	}
	return storeNone
}

// storeMembers returns, for an object at depth, the scope each member
// takes when the object is a secret store's or a key: a JSON Web Key's
// private members, an SSM SecureString parameter's Value, a Spring Cloud
// Config property source read from Vault, Vault's answer (request_id,
// lease_duration, renewable, data: data is the secret, or its data for KV
// version 2), a Kubernetes Secret (data and stringData), the top level of
// a request giving a secret store its value (store). Nil when the object
// is none of those.
func storeMembers(v gjson.Result, depth int, store storeKind) func(k string, x gjson.Result) scope {
	if depth == 0 && store == storeValue {
		return func(k string, x gjson.Result) scope {
			switch strings.ToLower(k) {
			case "value", "payload", "data", "stringdata":
				return scopeStore
			}
			return scopePlain
		}
	}
	// One pass over the members.
	var lease, renewable, kube, data, jwk, secure, vaultSource bool
	v.ForEach(func(k, x gjson.Result) bool {
		switch k.Str {
		case "Type":
			secure = x.Type == gjson.String && x.Str == "SecureString"
		case "name":
			vaultSource = x.Type == gjson.String && (strings.HasPrefix(x.Str, "vault:") || strings.HasPrefix(x.Str, "credhub-"))
		case "kty":
			jwk = x.Type == gjson.String
		case "lease_duration":
			lease = true
		case "renewable":
			renewable = true
		case "data", "stringData":
			data = data || x.IsObject()
		case "kind":
			kube = kube || x.Type == gjson.String && x.Str == "Secret"
		case "type":
			kube = kube || x.Type == gjson.String && (x.Str == "Opaque" || strings.HasPrefix(x.Str, "kubernetes.io/") ||
				strings.HasPrefix(x.Str, "bootstrap.kubernetes.io/") || strings.HasPrefix(x.Str, "helm.sh/release"))
		}
		return true
	})
	switch {
	case secure:
		// AWS Systems Manager's parameter of type SecureString, read
		// with its decryption ({"Name": …, "Type": "SecureString",
		// "Value": …}): the value is the secret whatever the name.
		return func(k string, x gjson.Result) scope {
			if k == "Value" {
				return scopeStore
			}
			return scopePlain
		}
	case vaultSource:
		// A Spring Cloud Config server's property source read from
		// Vault or CredHub ({"name": "vault:app/prod", "source": {…}}):
		// every property of it is a secret.
		return func(k string, x gjson.Result) scope {
			if k == "source" {
				return scopeStore
			}
			return scopePlain
		}
	case jwk:
		// A JSON Web Key's private members (RFC 7518: RSA's d, p, q,
		// dp, dq, qi and oth, EC's and OKP's d, a symmetric key's k).
		return func(k string, x gjson.Result) scope {
			switch k {
			case "d", "p", "q", "dp", "dq", "qi", "oth", "k":
				return scopeStore
			}
			return scopePlain
		}
	case depth == 0 && lease && renewable:
		return func(k string, x gjson.Result) scope {
			if k != "data" {
				return scopePlain
			}
			if x.Get("data").Exists() && x.Get("metadata").IsObject() {
				return scopeVaultKV
			}
			return scopeStore
		}
	case kube && data:
		return func(k string, x gjson.Result) scope {
			if k == "data" || k == "stringData" {
				return scopeStore
			}
			return scopePlain
		}
	}
	return nil
}

// jsonKey redacts an object's member name that is a secret: a value the
// trace uses as a secret elsewhere (the sweep), a JWT, or a token by its
// shape (secret.TokenKey, which the listings' scrubber asks too). Under a
// credential's name (holder) a shorter key is a token too
// ({"refresh_tokens":{"<token>":{…}}}).
func (r *redactor) jsonKey(k string, holder bool) string {
	if len(k) < sweepShortMin || isPlaceholder(k) {
		return k
	}
	if secret.TokenKey(k, holder) {
		return r.secret(k)
	}
	return r.sweep.apply(k)
}

// holdsCredential reports a name whose value, whatever its shape, is a
// credential: the token, secret, password, assertion and api-key families
// in any style, and session ids.
func holdsCredential(name string) bool {
	return secret.IsCredentialName(name) || secret.IsSessionParam(name)
}

// pairObjectName returns the secret name of a {"name": …, "value": …}
// or {"key": …, "value": …} object, or "". A secret store's answer names
// its value by its id or name instead: Key Vault's {"value": …, "id":
// "https://….vault.azure.net/secrets/…"}, Google Secret Manager's
// {"name": "projects/…/secrets/…", "payload": {"data": …}}; for those
// store is true.
//
// The pair's members may go by other names: the name's by field, label,
// k, or a name ending in Key or Name (CloudFormation's ParameterKey, a
// form builder's fieldName), the value's by v, val, text or a name ending
// in Value (ParameterValue); valKey is the value member's name.
func pairObjectName(v gjson.Result) (nm, valKey string, store bool) {
	named := 0
	v.ForEach(func(k, x gjson.Result) bool {
		if x.Type == gjson.String && (strings.EqualFold(k.Str, "id") || strings.EqualFold(k.Str, "name")) && strings.Contains(x.Str, "/secrets/") {
			store = true
		}
		switch {
		case strings.EqualFold(k.Str, "value"):
			valKey = k.Str
		case valKey == "" && pairValueMember(k.Str):
			valKey = k.Str
		case pairNameMember(k.Str) && x.Type == gjson.String:
			if nm == "" {
				nm = x.Str
			}
			named++
		}
		return true
	})
	if valKey == "" || nm == "" || named > 1 && !strings.EqualFold(valKey, "value") || classify(nm) == classKeep {
		return "", "", store
	}
	return nm, valKey, store
}

// pairNameMember reports a member that names a pair's value.
func pairNameMember(k string) bool {
	l := strings.ToLower(k)
	switch l {
	case "name", "key", "keyname", "field", "fieldname", "label", "k":
		return true
	}
	return len(l) > 4 && (strings.HasSuffix(l, "key") || strings.HasSuffix(l, "name")) && !strings.Contains(l, "value")
}

// pairValueMember reports a member that holds a pair's value, when the
// pair has no "value".
func pairValueMember(k string) bool {
	l := strings.ToLower(k)
	switch l {
	case "v", "val", "text":
		return true
	}
	return len(l) > 5 && strings.HasSuffix(l, "value")
}

// timeName reports a member naming a time, which support reads
// (createdDateTime, issued_at).
func timeName(n string) bool {
	l := strings.ToLower(n)
	return strings.Contains(l, "time") || strings.Contains(l, "date") || strings.HasSuffix(l, "_at") || strings.HasSuffix(n, "At")
}

var reAttr = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`(?i)\b(name|value|content|type|http-equiv|key|id)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+))`)
})

// text rewrites HTML, XML, scripts and plain text: hidden inputs of forms
// (form_post pages), JSON-like "name":"value" members (the login page's
// $Config), URLs, then collected secrets anywhere. The scans are by hand:
// bodies run to megabytes of script, and regular expressions over all of
// it cost a hundred times more.
func (r *redactor) text(s string) string {
	if strings.Contains(s, "PRIVATE KEY-----") {
		s = r.privateKeys(s)
	}
	s = r.inputTags(s)
	s = r.xmlElements(s)
	s = r.textareas(s)
	s = r.jsonPairs(s)
	if strings.Contains(s, ".cookie") {
		s = r.scriptCookies(s)
	}
	if strings.Contains(s, "&quot;") || strings.Contains(s, "&#34;") {
		s = r.escapedPairs(s)
	}
	s = r.labelCells(s)
	s = r.columnCells(s)
	s = r.fieldLines(s)
	s = r.callPairs(s)
	s = r.jsEscaped(s)
	s = r.entityAttrs(s)
	s = r.namedTexts(s)
	s = r.plistPairs(s)
	if strings.Contains(s, "data:") {
		s = r.dataURLs(s)
	}
	s = r.urls(s)
	s = r.relativeURLs(s)
	s = r.quotedTokens(s)
	return r.sweep.apply(r.shapes(maskEmails(s)))
}

// xmlSecretElement reports an XML element whose content is a credential
// or personal, by its local name: WS-Security's Password, Username and
// BinarySecurityToken, WS-Trust's RequestedSecurityToken, SAML's
// Assertion and Artifact (the one-time handle an ArtifactResolve
// redeems). Names of the OAuth lists that HTML also uses for other things
// (<code>, <state>) are not looked at.
func xmlSecretElement(local string) bool {
	return classify(local) == classMasked || holdsCredential(local) || strings.EqualFold(local, "Artifact")
}

// class is classify remembered per name: pages and scripts repeat a
// few names (jQuery("div"), "id": …) thousands of times.
func (r *redactor) class(name string) class {
	if c, ok := r.classes[name]; ok {
		return c
	}
	c := classify(name)
	if r.classes == nil {
		r.classes = map[string]class{}
	}
	if len(r.classes) < 4096 {
		r.classes[strings.Clone(name)] = c // not a slice of the body
	}
	return c
}

// holds is holdsCredential remembered per name.
func (r *redactor) holds(name string) bool {
	if v, ok := r.holders[name]; ok {
		return v
	}
	v := holdsCredential(name)
	if r.holders == nil {
		r.holders = map[string]bool{}
	}
	if len(r.holders) < 4096 {
		r.holders[strings.Clone(name)] = v
	}
	return v
}

// xmlSecretName is xmlSecretElement remembered per name: a page repeats
// a few tag names thousands of times.
func (r *redactor) xmlSecretName(local string) bool {
	if v, ok := r.xmlNames[local]; ok {
		return v
	}
	v := xmlSecretElement(local)
	if r.xmlNames == nil {
		r.xmlNames = map[string]bool{}
	}
	if len(r.xmlNames) < 4096 {
		r.xmlNames[strings.Clone(local)] = v // not a slice of the body
	}
	return v
}

// xmlTokenHolders are elements whose element content is a security
// token, fingerprinted whole: WS-Trust's RequestedSecurityToken and
// RequestedProofToken, SAML's Assertion and EncryptedAssertion. Others
// named like tokens (RequestSecurityTokenResponse) are looked into.
var xmlTokenHolders = map[string]bool{"requestedsecuritytoken": true, "requestedprooftoken": true, "assertion": true,
	"encryptedassertion": true, "binarysecuritytoken": true}

// xmlElements rewrites the content of XML elements named as secrets: a
// text content by its name (masked or fingerprinted), an element content
// (a SAML assertion inside RequestedSecurityToken) fingerprinted whole
// when the element holds a token (xmlTokenHolders).
func (r *redactor) xmlElements(s string) string {
	if !strings.Contains(s, "</") {
		return s
	}
	sp := replaceSpans{s: s}
	for i := 0; i < len(s); {
		j := strings.IndexByte(s[i:], '<')
		if j < 0 {
			break
		}
		i += j + 1
		n := i
		for n < len(s) && (alnum(s[n]) || s[n] == ':' || s[n] == '_' || s[n] == '-' || s[n] == '.') {
			n++
		}
		if n == i || n >= len(s) {
			continue
		}
		full := s[i:n]
		local := full[strings.LastIndexByte(full, ':')+1:]
		if local == "" || !r.xmlSecretName(local) {
			continue
		}
		gt := strings.IndexByte(s[n:], '>')
		if gt < 0 {
			break
		}
		open := n + gt
		if s[open-1] == '/' {
			continue // empty element
		}
		start := open + 1
		closeTag := "</" + full + ">"
		k := strings.Index(s[start:min(len(s), start+(1<<20))], closeTag)
		if k < 0 {
			continue
		}
		end := start + k
		content := s[start:end]
		var red string
		if strings.IndexByte(content, '<') >= 0 {
			if !xmlTokenHolders[strings.ToLower(local)] {
				continue // its elements are looked at one by one
			}
			red = r.secret(content)
		} else {
			val := html.UnescapeString(content)
			name := local
			if strings.EqualFold(local, "Artifact") {
				name = "SAMLart" // as the artifact binding's parameter
			}
			red = r.value(name, val, "", 0)
			if red == val {
				red = content
			} else {
				red = html.EscapeString(red)
			}
		}
		if red != content {
			sp.replace(start, end, red)
		}
		i = end + len(closeTag)
	}
	return sp.result()
}

// textareas rewrites the content of every <textarea name=…> whose name is
// secret (a SAML POST binding's page may carry the message there).
func (r *redactor) textareas(s string) string {
	sp := replaceSpans{s: s}
	for i := 0; i < len(s); {
		j := indexTag(s[i:], "<textarea")
		if j < 0 {
			break
		}
		i += j
		end := strings.IndexByte(s[i:], '>')
		if end < 0 {
			break
		}
		tag := s[i : i+end+1]
		i += end + 1
		closeAt := indexFoldASCII(s[i:], "</textarea")
		if closeAt < 0 {
			break
		}
		name := ""
		for _, a := range reAttr().FindAllStringSubmatch(tag, -1) {
			if strings.EqualFold(a[1], "name") {
				name = html.UnescapeString(a[2] + a[3] + a[4])
				break
			}
		}
		content := html.UnescapeString(s[i : i+closeAt])
		red := r.value(name, content, "", 0)
		if name != "" && red != content {
			sp.replace(i, i+closeAt, html.EscapeString(red))
		}
		i += closeAt
	}
	return sp.result()
}

// indexTag is the offset of tag ("<name", lower case) in s in any case,
// or -1: a look at each '<', which pages hold far fewer of than bytes.
func indexTag(s, tag string) int {
	for i := 0; ; {
		j := strings.IndexByte(s[i:], '<')
		if j < 0 {
			return -1
		}
		i += j
		if i+len(tag) <= len(s) && strings.EqualFold(s[i:i+len(tag)], tag) {
			return i
		}
		i++
	}
}

// callPairs rewrites the value of a call given a secret name and a value
// as its first two arguments: localStorage.setItem("refresh_token", "…"),
// headers.set('Authorization', '…'), form.append("client_secret", "…").
func (r *redactor) callPairs(s string) string {
	sp := replaceSpans{s: s}
	for i := 0; i < len(s); {
		j := strings.IndexByte(s[i:], '(')
		if j < 0 {
			break
		}
		i += j + 1
		p := skipBlank(s, i)
		if p >= len(s) || (s[p] != '"' && s[p] != '\'' && s[p] != '`') {
			continue
		}
		q := s[p]
		k := strings.IndexByte(s[p+1:min(len(s), p+1+64)], q)
		if k < 0 {
			continue
		}
		name := s[p+1 : p+1+k]
		c := skipBlank(s, p+2+k)
		if c >= len(s) || s[c] != ',' {
			continue
		}
		v := skipBlank(s, c+1)
		if v >= len(s) || (s[v] != '"' && s[v] != '\'' && s[v] != '`') {
			continue
		}
		cl := r.class(name)
		if cl == classKeep && !strings.EqualFold(name, "authorization") {
			continue
		}
		vq := s[v]
		var vEnd int
		if vq == '"' {
			vEnd = stringEnd([]byte(s[v+1:min(len(s), v+1+(1<<20))]), 0) + v + 1
		} else {
			e := strings.IndexByte(s[v+1:min(len(s), v+1+(1<<20))], vq)
			if e < 0 {
				continue
			}
			vEnd = v + 1 + e
		}
		if vEnd >= len(s) || s[vEnd] != vq {
			continue
		}
		val := s[v+1 : vEnd]
		if vq == '"' {
			if err := json.Unmarshal([]byte(`"`+val+`"`), &val); err != nil {
				val = s[v+1 : vEnd]
			}
		}
		var red string
		if cl == classKeep {
			red = r.authorization(val)
		} else {
			red = r.value(name, val, "", 0)
		}
		if red != val {
			sp.replace(v+1, vEnd, quoteAs(red, vq, false))
		}
		i = vEnd + 1
	}
	return sp.result()
}

func skipBlank(s string, i int) int {
	for i < len(s) && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r') {
		i++
	}
	return i
}

// relativeURLs rewrites quoted relative URLs with a query or fragment (a
// form's action="/signin-oidc?…", href="callback?…", fetch("/api?…"), a
// meta refresh's content="0;url=/cb?…", an unquoted href=/resume?…): a
// quoted string without spaces, or an unquoted attribute value starting
// with "/", that holds "?" or "#" and "=". Only parameters named as
// secrets change.
func (r *redactor) relativeURLs(s string) string {
	sp := replaceSpans{s: s}
	for i := 0; i+2 < len(s); i++ {
		q := s[i]
		var end int
		switch {
		case q == '=' && s[i+1] == '/' && i > 0 && alnum(s[i-1]):
			// An unquoted attribute value (href=/resume?…>).
			end = strings.IndexAny(s[i+1:min(len(s), i+1+(64<<10))], " \t\r\n>\"'")
			if end < 0 {
				continue
			}
		case (q != '"' && q != '\'') || s[i+1] == ' ' || s[i+1] == q:
			continue
		default:
			end = strings.IndexByte(s[i+1:min(len(s), i+1+(64<<10))], q)
			if end < 0 {
				continue
			}
		}
		u := s[i+1 : i+1+end]
		// The next look starts after the closing quote (or at the byte
		// that ended an unquoted value): quotes pair up.
		next := i + end
		if q != '=' {
			next++
		}
		if !strings.ContainsAny(u, "?#") || !strings.Contains(u, "=") || strings.ContainsAny(u, " \t\n<>") {
			i = next
			continue
		}
		if !r.mayHoldSecret(u) {
			i = next
			continue
		}
		if red := r.url(u, 0); red != u {
			sp.replace(i+1, i+1+end, red)
		}
		i = next
	}
	return sp.result()
}

// mayHoldSecret reports whether r.url could change u: a parameter (of
// the query, fragment or path) whose name is not kept, a value long
// enough for the sweep or the shapes, or an e-mail address. Pages hold thousands of relative
// URLs with short, plain parameters (?v=3, ?page=2); rewriting each one
// cost a copy of a page a third more time.
func (r *redactor) mayHoldSecret(u string) bool {
	for _, p := range strings.FieldsFunc(u, func(c rune) bool { return c == '&' || c == ';' || c == '?' || c == '#' }) {
		k, v, ok := strings.Cut(p, "=")
		if !ok {
			continue
		}
		if len(v) >= sweepMin || strings.Contains(v, "@") || strings.Contains(v, "%40") ||
			r.class(strings.TrimPrefix(k, "amp;")) != classKeep || (k != unescape(k) && r.class(unescape(k)) != classKeep) {
			return true
		}
	}
	return false
}

// multipart rewrites the values of form-data parts named as secrets.
func (r *redactor) multipart(s string) string {
	sp := replaceSpans{s: s}
	for i := 0; i < len(s); {
		j := indexFoldASCII(s[i:], "content-disposition:")
		if j < 0 {
			break
		}
		i += j
		eol := strings.IndexByte(s[i:], '\n')
		if eol < 0 {
			break
		}
		line := s[i : i+eol]
		name := ""
		if k := indexFoldASCII(line, "name="); k >= 0 && (k == 0 || !alnum(line[k-1])) {
			name = strings.Trim(strings.TrimSpace(strings.Split(line[k+5:], ";")[0]), `"`)
		} else if k := indexFoldASCII(line, "name*="); k >= 0 && (k == 0 || !alnum(line[k-1])) {
			// RFC 7578 (after RFC 2231): name*=charset'language'value,
			// percent-encoded.
			v := strings.Trim(strings.TrimSpace(strings.Split(line[k+6:], ";")[0]), `"`)
			if i := strings.LastIndexByte(v, '\''); i >= 0 {
				v = v[i+1:]
			}
			if dec, err := url.PathUnescape(v); err == nil {
				v = dec
			}
			name = v
		}
		body := strings.Index(s[i:], "\r\n\r\n")
		sepLen := 4
		if nn := strings.Index(s[i:], "\n\n"); nn >= 0 && (body < 0 || nn < body) {
			body, sepLen = nn, 2
		}
		if body < 0 {
			break
		}
		start := i + body + sepLen
		end := strings.Index(s[start:], "\n--")
		if end < 0 {
			break
		}
		end += start
		if end > start && s[end-1] == '\r' {
			end--
		}
		i = end
		if name == "" || strings.Contains(strings.ToLower(line), "filename=") {
			continue
		}
		val := s[start:end]
		if red := r.value(name, val, "", 0); red != val {
			sp.replace(start, end, red)
		}
	}
	return sp.result()
}

// inputTags rewrites every <input ...> tag, and every <meta ...> tag whose
// name says its content is a secret (<meta name="csrf-token" content="…">,
// as Rails and Laravel pages carry their anti-forgery token).
func (r *redactor) inputTags(s string) string {
	sp := replaceSpans{s: s}
	for i := 0; i < len(s); {
		j := strings.IndexByte(s[i:], '<')
		if j < 0 {
			break
		}
		i += j
		input := tagAt(s, i, "input")
		meta := !input && tagAt(s, i, "meta")
		// A configuration's name/value elements: .NET's <add key="…"
		// value="…"/> (web.config's appSettings), Spring's and Ant's
		// <property name="…" value="…"/>, <param>, <entry>, <parameter>,
		// an Azure cloud service's <Setting name="…" value="…"/>.
		setting := !input && !meta && (tagAt(s, i, "add") || tagAt(s, i, "property") || tagAt(s, i, "param") ||
			tagAt(s, i, "entry") || tagAt(s, i, "parameter") || tagAt(s, i, "setting"))
		if !input && !meta && !setting {
			i++
			continue
		}
		end := strings.IndexByte(s[i:], '>')
		if end < 0 {
			break
		}
		tag := s[i : i+end+1]
		valueAttr := "value"
		if meta {
			valueAttr = "content"
		}
		if red := r.inputTag(tag, valueAttr, meta || setting); red != tag {
			sp.replace(i, i+len(tag), red)
		}
		i += len(tag)
	}
	return sp.result()
}

// tagAt reports a start tag named name (any case) at i.
func tagAt(s string, i int, name string) bool {
	e := i + 1 + len(name)
	return e <= len(s) && s[i] == '<' && strings.EqualFold(s[i+1:e], name) && (e == len(s) || !alnum(s[e]) && s[e] != ':' && s[e] != '-')
}

// jsonPairs rewrites name-value pairs whose name is secret, in any text:
// JSON-like members ("name":"value", a login page's $Config) and script
// assignments and object literals (accessToken = "…", {apiKey: '…'},
// window.cfg.token='…'). The name may be double-quoted, single-quoted or
// bare; the value must be a quoted string.
func (r *redactor) jsonPairs(s string) string {
	sp := replaceSpans{s: s}
	for i := 0; i < len(s); {
		j := strings.IndexAny(s[i:], ":=")
		if j < 0 {
			break
		}
		sep := i + j
		i = sep + 1
		v := sep + 1
		if s[sep] == '=' {
			switch {
			case strings.HasPrefix(s[v:], ">"), strings.HasPrefix(s[v:], "&gt;"):
				// Ruby's and PHP's arrow ("password"=>"…", also
				// HTML-escaped), which a JavaScript arrow function's
				// parameter before a string rarely is.
				v = sep + 2
				if s[v-1] != '>' {
					v = sep + 5
				}
			case sep > 0 && strings.IndexByte("=!<>", s[sep-1]) >= 0 || sep+1 < len(s) && s[sep+1] == '=':
				continue // a comparison
			}
		}
		// The value's opening quote first: it rules out most separators
		// of a script before the name is looked at.
		for v < len(s) && (s[v] == ' ' || s[v] == '\t') {
			v++
		}
		// A JSON text inside a script's string writes its quotes
		// escaped: {\"client_secret\":\"…\"}.
		escaped := v+1 < len(s) && s[v] == '\\' && s[v+1] == '"'
		if v >= len(s) || (s[v] != '"' && s[v] != '\'' && s[v] != '`' && !escaped) {
			continue
		}
		name, ok := nameBefore(s, sep)
		if !ok {
			continue
		}
		// A dump's names ('HTTP_AUTHORIZATION': …) as labelName reads
		// them; a connection string's attribute or member is read for
		// its pairs (connectionString="…;Password=…").
		if strings.EqualFold(name, "key") && inSettingTag(s, sep) {
			continue // <add key="…": the setting's name (inputTag)
		}
		label, cookie := labelName(name)
		conn := false
		if r.class(label) == classKeep && !cookie {
			if conn = connectionName(label); !conn {
				continue
			}
		}
		quote := s[v]
		open := v + 1 // where the value starts
		var vEnd int
		switch {
		case escaped:
			open = v + 2
			k := strings.Index(s[open:min(len(s), open+(1<<20))], `\"`)
			if k < 0 {
				continue
			}
			vEnd = open + k
		case quote == '"':
			vEnd = stringEnd([]byte(s[v+1:min(len(s), v+1+(1<<20))]), 0) + v + 1
		default: // ' or a template literal's `
			k := strings.IndexByte(s[v+1:min(len(s), v+1+(1<<20))], quote)
			if k < 0 {
				continue
			}
			vEnd = v + 1 + k
		}
		if vEnd >= len(s) || (!escaped && s[vEnd] != quote) {
			continue
		}
		rawVal := s[open:vEnd]
		val := rawVal
		if quote == '"' && !escaped {
			if err := json.Unmarshal([]byte(`"`+rawVal+`"`), &val); err != nil {
				val = rawVal
			}
		}
		var red string
		if conn {
			red = r.free(val, 0)
		} else {
			red = r.labelled(label, cookie, val)
		}
		if red == val {
			i = vEnd + 1
			continue
		}
		sp.replace(open, vEnd, quoteAs(red, quote, escaped))
		i = vEnd + 1
	}
	return sp.result()
}

// escapedPairs rewrites the "name": "value" pairs of JSON that a page
// prints HTML-escaped (a <pre> of a settings or debug page, Go's
// html/template writing '"' as &#34;): {&quot;client_secret&quot;:
// &quot;…&quot;}. The value is redacted by its name as jsonPairs would.
func (r *redactor) escapedPairs(s string) string {
	sp := replaceSpans{s: s}
	quoteAt := func(i int) int { // the length of an escaped quote at i, or 0
		for _, q := range []string{"&quot;", "&#34;", "&#x22;"} {
			if strings.HasPrefix(s[i:], q) {
				return len(q)
			}
		}
		return 0
	}
	for i := 0; i < len(s); {
		j := strings.IndexByte(s[i:], '&')
		if j < 0 {
			break
		}
		i += j
		q := quoteAt(i)
		if q == 0 {
			i++
			continue
		}
		ns := i + q
		ne := strings.IndexByte(s[ns:min(len(s), ns+72)], '&')
		if ne < 0 {
			i = ns
			continue
		}
		ne += ns
		q2 := quoteAt(ne)
		if q2 == 0 || ne == ns || strings.ContainsAny(s[ns:ne], "<>\"' ") {
			i = ns
			continue
		}
		k := ne + q2
		for k < len(s) && (s[k] == ' ' || s[k] == '\t') {
			k++
		}
		if k >= len(s) || s[k] != ':' {
			i = ns
			continue
		}
		k++
		for k < len(s) && (s[k] == ' ' || s[k] == '\t') {
			k++
		}
		q3 := quoteAt(k)
		if q3 == 0 {
			i = ns
			continue
		}
		vs := k + q3
		ve := strings.Index(s[vs:min(len(s), vs+(1<<16))], "&")
		for ve >= 0 && quoteAt(vs+ve) == 0 {
			n := strings.IndexByte(s[vs+ve+1:min(len(s), vs+(1<<16))], '&')
			if n < 0 {
				ve = -1
				break
			}
			ve += n + 1
		}
		if ve < 0 || strings.IndexByte(s[vs:vs+ve], '<') >= 0 {
			i = ns
			continue
		}
		ve += vs
		label, cookie := labelName(s[ns:ne])
		i = ve
		if r.class(label) == classKeep && !cookie {
			continue
		}
		val := html.UnescapeString(s[vs:ve])
		if red := r.labelled(label, cookie, val); red != val {
			sp.replace(vs, ve, html.EscapeString(red))
		}
	}
	return sp.result()
}

// inSettingTag reports an attribute at i inside a configuration's
// name/value element (<add key="…" value="…"/>, <entry key=…>).
func inSettingTag(s string, i int) bool {
	from := max(0, i-512)
	lt := strings.LastIndexByte(s[from:i], '<')
	if lt < 0 || strings.IndexByte(s[from+lt:i], '>') >= 0 {
		return false
	}
	return tagAt(s, from+lt, "add") || tagAt(s, from+lt, "entry")
}

// connectionName reports a name of a connection string
// (connectionString, ConnectionString, connection_string).
func connectionName(name string) bool {
	n := len(name)
	return n >= 16 && strings.EqualFold(strings.ReplaceAll(name[n-16:], "_", ""), "connectionstring") ||
		n >= 17 && strings.EqualFold(strings.ReplaceAll(name[n-17:], "_", ""), "connectionstring")
}

// quoteAs writes a redacted value inside the quotes it replaces: a JSON
// string's escapes for '"' (once more for a JSON text inside a string),
// an escaped quote for '\”.
func quoteAs(red string, quote byte, escaped bool) string {
	switch {
	case quote == '"' || escaped:
		enc := jsonString(red)
		inner := string(enc[1 : len(enc)-1])
		if escaped {
			inner = strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(inner)
		}
		return inner
	case quote == '\'':
		return strings.ReplaceAll(red, "'", `\'`)
	}
	return strings.ReplaceAll(red, "`", "\\`")
}

// nameBefore returns the name before the separator at sep: a quoted name
// ("name" or 'name', at most 64 bytes, or \"name\" in a JSON text inside a
// string) or a bare identifier, the last segment of a dotted one
// (window.cfg.token).
func nameBefore(s string, sep int) (string, bool) {
	k := sep - 1
	for k >= 0 && (s[k] == ' ' || s[k] == '\t') {
		k--
	}
	if k <= 0 {
		return "", false
	}
	if s[k] == '"' && s[k-1] == '\\' {
		from := max(0, k-1-64)
		open := strings.LastIndex(s[from:k-1], `\"`)
		if open < 0 {
			return "", false
		}
		return s[from+open+2 : k-1], true
	}
	if q := s[k]; q == '"' || q == '\'' {
		from := max(0, k-64)
		open := strings.LastIndexByte(s[from:k], q)
		if open < 0 {
			return "", false
		}
		return s[from+open+1 : k], true
	}
	end := k + 1
	for k >= 0 && end-k <= 64 && (alnum(s[k]) || s[k] == '_' || s[k] == '$') {
		k--
	}
	if end-(k+1) == 0 {
		return "", false
	}
	return s[k+1 : end], true
}

// fieldLines redacts the lines of a text that give a secret's name and
// its value: "Name: value" (an error page that prints the request's
// headers, Authorization: Bearer …, Cookie: …, or a configuration,
// client_secret: …), "NAME=value" (a .env file, an environment dump),
// print_r's "[NAME] => value" and var_dump's "["NAME"]=>" whose value
// (string(16) "…") is on the next line; names as labelName reads them
// ($_SERVER['HTTP_AUTHORIZATION'], PHP_AUTH_PW). The value runs to the
// end of the line or a '<'; a quoted value is jsonPairs', and a value
// holding code punctuation ("password: pwd(),") is a script's, not a
// field's.
func (r *redactor) fieldLines(s string) string {
	sp := replaceSpans{s: s}
	// A Kubernetes Secret written as YAML (server-side apply, kubectl's
	// output): the lines under its data and stringData hold secrets
	// whatever their names; store is the indent of that key, -1 outside.
	// A Vault answer written as YAML (the CLI's -format=yaml, a
	// configuration server passing it on) reads the same: its data.
	yamlSecret := strings.Contains(s, "kind: Secret") || strings.Contains(s, "lease_duration:") && strings.Contains(s, "renewable:")
	store := -1
	for ls := 0; ls < len(s); {
		le := strings.IndexByte(s[ls:], '\n')
		if le < 0 {
			le = len(s)
		} else {
			le += ls
		}
		line := ls
		ls = le + 1
		p := line
		for p < le && (s[p] == ' ' || s[p] == '\t') {
			p++
		}
		if strings.HasPrefix(s[p:le], "export ") {
			p += len("export ")
		}
		if yamlSecret {
			indent := p - line
			key := strings.TrimRight(s[p:le], "\r ")
			switch {
			case key == "data:" || key == "stringData:":
				store = indent
				continue
			case store >= 0 && indent > store && key != "":
				// "name: value", or a line of a block scalar's
				// ("name: |" then the value's lines, indented).
				v := p
				if k := strings.Index(key, ": "); k > 0 {
					v = p + k + 2
				}
				ve := p + len(key)
				if val := s[v:ve]; val != "|" && val != ">" && val != "|-" && val != ">-" && !isPlaceholder(val) {
					sp.replace(v, ve, r.secret(val))
				}
				continue
			case key != "":
				store = -1
			}
		}
		name, v, sep, ok := lineName(s, p, le)
		if !ok {
			continue
		}
		label, cookie := labelName(name)
		c := r.class(label)
		if c == classKeep && !cookie {
			continue
		}
		for v < le && (s[v] == ' ' || s[v] == '\t') {
			v++
		}
		if sep == "=>" && strings.TrimRight(s[v:le], "\r ") == "" && ls < len(s) {
			// var_dump: the value is the next line's string(N) "…".
			v, le = varDumpString(s, ls)
			if v < 0 {
				continue
			}
			ls = le + 1
			if red := r.labelled(label, cookie, s[v:le]); red != s[v:le] {
				sp.replace(v, le, red)
			}
			continue
		}
		ve := le
		if k := strings.IndexByte(s[v:le], '<'); k >= 0 {
			ve = v + k
		}
		for ve > v && (s[ve-1] == '\r' || s[ve-1] == ' ') {
			ve--
		}
		val := s[v:ve]
		if val == "" || strings.IndexByte("\"'`{[", val[0]) >= 0 || sep == "=" && strings.IndexByte(val, '&') >= 0 {
			continue
		}
		if c != classCookie && c != classAuth && strings.ContainsAny(val, "(),;{}[] ") ||
			c == classSession && !strings.ContainsAny(val, "0123456789") {
			// Fiddler's summary of a TLS ClientHello writes "SessionID:
			// empty": a session id holds digits.
			continue
		}
		if red := r.labelled(label, cookie, val); red != val {
			sp.replace(v, ve, red)
		}
	}
	return sp.result()
}

// lineName reads the name that starts a line at p (before le): "name:",
// "NAME=", "[NAME] =>" or "["NAME"]=>" ('>' also as "&gt;"). It returns
// the name, where the value starts and the separator (":", "=" or "=>").
func lineName(s string, p, le int) (name string, v int, sep string, ok bool) {
	if p < le && s[p] == '[' {
		// print_r and var_dump.
		q := p + 1
		quoted := q < le && s[q] == '"'
		if quoted {
			q++
		}
		n := q
		for n < le && n-q <= 64 && (alnum(s[n]) || strings.IndexByte("_-.$'[]", s[n]) >= 0) && !(s[n] == ']' && !quoted) {
			n++
		}
		e := n
		if quoted {
			if n >= le || s[n] != '"' {
				return "", 0, "", false
			}
			e++
		}
		if e >= le || s[e] != ']' || n == q {
			return "", 0, "", false
		}
		rest := strings.TrimLeft(s[e+1:le], " ")
		after := le - len(rest)
		switch {
		case strings.HasPrefix(rest, "=>"):
			return s[q:n], after + 2, "=>", true
		case strings.HasPrefix(rest, "=&gt;"):
			return s[q:n], after + 5, "=>", true
		}
		return "", 0, "", false
	}
	if strings.HasPrefix(s[p:le], "//") {
		// An .npmrc's registry-scoped setting:
		// //registry.example/:_authToken=…
		k := strings.Index(s[p:le], ":_")
		if k < 0 {
			return "", 0, "", false
		}
		p += k + 1
	}
	n := p
	for n < le && n-p <= 64 && (alnum(s[n]) || s[n] == '_' || s[n] == '-' || s[n] == '.') {
		n++
	}
	if n == p || n >= le {
		return "", 0, "", false
	}
	name = s[p:n]
	if s[n] == ' ' || s[n] == '\t' {
		// An INI file's "password = …": spaces before an '=' only.
		for n < le && (s[n] == ' ' || s[n] == '\t') {
			n++
		}
		if n >= le || s[n] != '=' {
			return "", 0, "", false
		}
	}
	switch s[n] {
	case ':':
		return name, n + 1, ":", true
	case '=':
		if len(name) < 2 || n+1 < le && s[n+1] == '=' {
			return "", 0, "", false
		}
		return name, n + 1, "=", true
	}
	return "", 0, "", false
}

// varDumpString finds the quoted text of a var_dump line, 'string(16)
// "…"' (quotes also as "&quot;"), at line start ls: its bounds, or -1.
func varDumpString(s string, ls int) (start, end int) {
	le := strings.IndexByte(s[ls:], '\n')
	if le < 0 {
		le = len(s)
	} else {
		le += ls
	}
	line := strings.TrimRight(s[ls:le], "\r ")
	t := strings.TrimLeft(line, " \t")
	off := ls + len(line) - len(t)
	if !strings.HasPrefix(t, "string(") {
		return -1, -1
	}
	k := strings.IndexByte(t, ')')
	if k < 0 {
		return -1, -1
	}
	q := strings.TrimLeft(t[k+1:], " ")
	qs := off + len(t) - len(q)
	for _, quote := range []string{`"`, "&quot;"} {
		if len(q) >= 2*len(quote) && strings.HasPrefix(q, quote) && strings.HasSuffix(q, quote) {
			return qs + len(quote), qs + len(q) - len(quote)
		}
	}
	return -1, -1
}

// labelName reads what a page or a dump prints as a value's label as the
// name its value goes by: PHP's $_SERVER['NAME'], $_ENV['NAME'] and
// $_COOKIE['NAME'] (whose value is a cookie's: cookie is true), CGI's
// HTTP_AUTHORIZATION, HTTP_COOKIE and HTTP_X_API_KEY (the request's
// headers), an .npmrc's _auth, a label's trailing ':' and spaces ("Client
// secret:").
func labelName(l string) (name string, cookie bool) {
	l = strings.TrimSpace(l)
	l = strings.TrimSpace(strings.TrimSuffix(l, ":"))
	if strings.HasPrefix(l, "$_") {
		if i := strings.IndexByte(l, '['); i > 0 && strings.HasSuffix(l, "]") {
			cookie = l[2:i] == "COOKIE"
			l = strings.Trim(l[i+1:len(l)-1], `'"`)
		}
	}
	// An .npmrc's _auth and _authToken.
	for len(l) > 1 && l[0] == '_' && l[1] != '_' && strings.HasPrefix(strings.ToLower(l), "_auth") {
		l = l[1:]
	}
	if len(l) > 5 && strings.HasPrefix(l, "HTTP_") && !cookie {
		l = strings.ReplaceAll(l[5:], "_", "-")
	}
	return l, cookie
}

// labelled redacts val, printed beside label (labelName's name and
// cookie): a cookie's value is masked, others go by their name.
func (r *redactor) labelled(label string, cookie bool, val string) string {
	if cookie {
		return r.mask(maskCookie, val)
	}
	return r.value(label, val, "", 0)
}

// labelCells redacts the cells of an HTML table, and the definitions of a
// definition list, that follow a cell or term labelling a secret:
// phpinfo()'s "$_SERVER['HTTP_AUTHORIZATION']", "PHP_AUTH_PW" and
// environment rows, a debug page's request META ("HTTP_COOKIE", its value
// a quoted repr in a <pre>), a settings page's "Client secret" or "API
// key". A label is a header cell, a term or the first cell of its row (a
// header row written with <td> then loses its second cell: in doubt, the
// cell is hidden). The value is the text of the cells after the label in
// its row (phpinfo prints a local and a master value), inside any <pre>,
// <code> or <span>, less quotes around it.
func (r *redactor) labelCells(s string) string {
	if !strings.Contains(s, "</t") && !strings.Contains(s, "</d") {
		return s
	}
	sp := replaceSpans{s: s}
	for i := 0; i < len(s); {
		j := strings.IndexByte(s[i:], '<')
		if j < 0 {
			break
		}
		i += j
		tag := cellTag(s, i)
		if tag == "" || tag == "dd" || tag == "td" && !rowStart(s, i) {
			// A label is a header cell, a term, or the first cell of
			// its row: a value cell is never read as one.
			i++
			continue
		}
		open := strings.IndexByte(s[i:], '>')
		if open < 0 {
			break
		}
		cs := i + open + 1
		ce := closeTag(s, cs, tag, 512)
		if ce < 0 {
			i = cs
			continue
		}
		label, cookie := labelName(html.UnescapeString(stripTags(s[cs:ce])))
		i = ce
		if label == "" || len(label) > 64 || !cookie && r.class(label) == classKeep {
			continue
		}
		// The cells after the label: <td> after a <td> or <th>, <dd>
		// after a <dt>.
		want := "td"
		if tag == "dt" {
			want = "dd"
		}
		k := i + len("</") + len(tag)
		if g := strings.IndexByte(s[i:], '>'); g >= 0 {
			k = i + g + 1
		}
		for {
			for k < len(s) && (s[k] == ' ' || s[k] == '\t' || s[k] == '\r' || s[k] == '\n') {
				k++
			}
			if cellTag(s, k) != want {
				break
			}
			g := strings.IndexByte(s[k:], '>')
			if g < 0 {
				break
			}
			vs := k + g + 1
			ve := closeTag(s, vs, want, 1<<16)
			if ve < 0 {
				break
			}
			if a, b, ok := cellText(s, vs, ve); ok {
				val := html.UnescapeString(s[a:b])
				if red := r.labelled(label, cookie, val); red != val {
					sp.replace(a, b, escapeText(red))
				}
			}
			k = ve
			if g := strings.IndexByte(s[k:], '>'); g >= 0 {
				k += g + 1
			}
		}
		i = k
	}
	return sp.result()
}

// columnCells redacts the cells of an HTML table's columns whose header
// names a secret: a header row ("Name | API key | Created") labels the
// cells at the same places in the rows after it, up to the table's end
// (an admin page listing keys, a token list). A header row is one of
// <th> cells only, or a table's first row of <td> cells in a <thead> or
// whose secret's heading is not its first cell (a label in the first cell
// is a row's label, which labelCells reads). Cells are placed by their
// colspan; a cell spanning a secret's column is hidden. A nested table
// starts over.
func (r *redactor) columnCells(s string) string {
	if !strings.Contains(s, "<t") && !strings.Contains(s, "<T") {
		return s
	}
	sp := replaceSpans{s: s}
	var cols []string   // the labels of the current table's header row
	var secret []bool   // which of them name a secret
	var header []string // the <th> cells of the row being read
	var first []string  // the <td> cells' texts of a table's first row
	col, tds := 0, 0
	firstRow, inHead := false, false
	setCols := func(labels []string, tdRow bool) {
		cols = append(cols[:0], labels...)
		secret = secret[:0]
		any := false
		for k, c := range cols {
			label, cookie := labelName(c)
			sec := cookie || label != "" && len(label) <= 64 && r.class(label) != classKeep
			if tdRow && sec && k == 0 && !inHead {
				// A row's label and its value, not a header row.
				cols, secret = nil, nil
				return
			}
			secret = append(secret, sec)
			any = any || sec
		}
		if !any {
			cols, secret = nil, nil
		}
	}
	for i := 0; i < len(s); {
		j := strings.IndexByte(s[i:], '<')
		if j < 0 {
			break
		}
		i += j
		switch {
		case tagAt(s, i, "table"):
			cols, secret = nil, nil
			firstRow, inHead = true, false
		case strings.HasPrefix(s[i:], "</table") || strings.HasPrefix(s[i:], "</TABLE"):
			cols, secret = nil, nil
			firstRow, inHead = false, false
		case tagAt(s, i, "thead"):
			inHead = true
		case strings.HasPrefix(s[i:], "</thead") || strings.HasPrefix(s[i:], "</THEAD"):
			inHead = false
		case tagAt(s, i, "tr"):
			header, first, col, tds = header[:0], first[:0], 0, 0
		case strings.HasPrefix(s[i:], "</tr") || strings.HasPrefix(s[i:], "</TR"):
			switch {
			case len(header) > 0 && tds == 0:
				setCols(header, false)
			case cols == nil && (firstRow || inHead) && len(header) == 0 && len(first) >= 2 && len(first) == tds:
				setCols(first, true)
			}
			firstRow = false
		case cellTag(s, i) == "th":
			g := strings.IndexByte(s[i:], '>')
			if g < 0 {
				break
			}
			span := colspan(s[i : i+g])
			cs := i + g + 1
			text := ""
			ce := closeTag(s, cs, "th", 512)
			if ce >= 0 {
				text = html.UnescapeString(stripTags(s[cs:ce]))
			}
			for k := 0; k < span && len(header) < 64; k++ {
				header = append(header, text)
			}
			if ce >= 0 {
				i = ce
				continue
			}
		case cellTag(s, i) == "td":
			tds++
			g := strings.IndexByte(s[i:], '>')
			if g < 0 {
				break
			}
			span := colspan(s[i : i+g])
			c := -1
			for k := col; k < col+span && k < len(secret); k++ {
				if secret[k] {
					c = k
					break
				}
			}
			col += span
			vs := i + g + 1
			ve := closeTag(s, vs, "td", 1<<16)
			if cols == nil && (firstRow || inHead) && ve >= 0 && ve-vs <= 512 && len(first) < 64 {
				if span != 1 {
					first = append(first, "") // a spanning cell heads no column alone
				} else {
					first = append(first, strings.TrimSpace(html.UnescapeString(stripTags(s[vs:ve]))))
				}
			}
			if c < 0 || ve < 0 {
				break
			}
			if a, b, ok := cellText(s, vs, ve); ok {
				label, cookie := labelName(cols[c])
				val := html.UnescapeString(s[a:b])
				if red := r.labelled(label, cookie, val); red != val {
					sp.replace(a, b, escapeText(red))
				}
			}
			i = ve
			continue
		}
		i++
	}
	return sp.result()
}

// colspan reads a cell's colspan attribute from its start tag: 1 when
// there is none or it is not a number of 1 to 64.
func colspan(tag string) int {
	k := indexFoldASCII(tag, "colspan")
	if k < 0 {
		return 1
	}
	v := strings.TrimLeft(tag[k+len("colspan"):], " \t")
	if !strings.HasPrefix(v, "=") {
		return 1
	}
	v = strings.TrimLeft(v[1:], " \t\"'")
	n := 0
	for k := 0; k < len(v) && v[k] >= '0' && v[k] <= '9' && n <= 64; k++ {
		n = n*10 + int(v[k]-'0')
	}
	if n < 1 || n > 64 {
		return 1
	}
	return n
}

// rowStart reports a cell at i that starts its row: only spaces between it
// and the <tr> before.
func rowStart(s string, i int) bool {
	k := i
	for k > 0 && (s[k-1] == ' ' || s[k-1] == '\t' || s[k-1] == '\r' || s[k-1] == '\n') {
		k--
	}
	if k == 0 || s[k-1] != '>' {
		return false
	}
	lt := strings.LastIndexByte(s[max(0, k-256):k], '<')
	if lt < 0 {
		return false
	}
	lt += max(0, k-256)
	return lt+3 < k && strings.EqualFold(s[lt+1:lt+3], "tr") && !alnum(s[lt+3])
}

// cellTag returns "td", "th", "dt" or "dd" when a start tag of that name
// begins at i, "" otherwise.
func cellTag(s string, i int) string {
	if i+3 >= len(s) || s[i] != '<' || alnum(s[i+3]) {
		return ""
	}
	switch t := strings.ToLower(s[i+1 : i+3]); t {
	case "td", "th", "dt", "dd":
		return t
	}
	return ""
}

// closeTag finds the end tag of tag ("</td") after cs within limit bytes,
// or the start of a next cell or row that ends it implicitly: its index,
// or -1 (also when a nested table comes first).
func closeTag(s string, cs int, tag string, limit int) int {
	end := min(len(s), cs+limit)
	for k := cs; k < end; k++ {
		if s[k] != '<' {
			continue
		}
		if k+2+len(tag) <= len(s) && s[k+1] == '/' && strings.EqualFold(s[k+2:k+2+len(tag)], tag) {
			return k
		}
		if cellTag(s, k) != "" || k+3 <= len(s) && strings.EqualFold(s[k+1:k+3], "tr") || k+6 <= len(s) && strings.EqualFold(s[k+1:k+6], "table") {
			if k+6 <= len(s) && strings.EqualFold(s[k+1:k+6], "table") {
				return -1
			}
			return k
		}
	}
	return -1
}

// stripTags drops the tags of a short piece of markup.
func stripTags(s string) string {
	if !strings.Contains(s, "<") {
		return s
	}
	var b strings.Builder
	in := false
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '<':
			in = true
		case c == '>':
			in = false
		case !in:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// cellText returns the bounds of a cell's text in s[vs:ve]: after tags
// and spaces that open it, before the next tag, less spaces and quotes
// (', ", &#x27;, &#39;, &quot;) around it.
func cellText(s string, vs, ve int) (a, b int, ok bool) {
	a = vs
	for a < ve {
		switch {
		case s[a] == ' ' || s[a] == '\t' || s[a] == '\r' || s[a] == '\n':
			a++
		case s[a] == '<':
			g := strings.IndexByte(s[a:ve], '>')
			if g < 0 {
				return 0, 0, false
			}
			a += g + 1
		default:
			b = a
			for b < ve && s[b] != '<' {
				b++
			}
			for b > a && (s[b-1] == ' ' || s[b-1] == '\t' || s[b-1] == '\r' || s[b-1] == '\n') {
				b--
			}
			for _, q := range []string{"&#x27;", "&#39;", "&quot;", "'", `"`} {
				if b-a >= 2*len(q) && strings.HasPrefix(s[a:b], q) && strings.HasSuffix(s[a:b], q) {
					a, b = a+len(q), b-len(q)
					break
				}
			}
			return a, b, a < b
		}
	}
	return 0, 0, false
}

// escapeText writes a redacted value back into markup.
func escapeText(v string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(v)
}

// privateKeys fingerprints what each PEM private key block holds
// ("-----BEGIN RSA PRIVATE KEY-----", PKCS #8, EC, OpenSSH, PGP), keeping
// its armor lines; a block with no END line is fingerprinted to the end
// of the text.
func (r *redactor) privateKeys(s string) string {
	const begin, dashes = "-----BEGIN ", "-----"
	sp := replaceSpans{s: s}
	for i := 0; i < len(s); {
		b := strings.Index(s[i:], begin)
		if b < 0 {
			break
		}
		b += i + len(begin)
		e := strings.Index(s[b:min(len(s), b+64)], dashes)
		if e < 0 {
			i = b
			continue
		}
		label := s[b : b+e]
		if !strings.Contains(label, "PRIVATE KEY") || strings.ContainsAny(label, "\r\n") {
			// Not a key's armor line, or no armor line at all: the
			// search goes on right after this BEGIN, so that a block
			// starting inside what was taken for a label is still found.
			i = b
			continue
		}
		start := b + e + len(dashes)
		i = start
		stop := len(s)
		if end := strings.Index(s[start:], "-----END "); end >= 0 {
			stop = start + end
		}
		body := s[start:stop]
		inner := strings.Trim(body, " \t\r\n")
		if inner == "" {
			continue
		}
		lead := strings.Index(body, inner)
		sp.replace(start+lead, start+lead+len(inner), r.secret(inner))
		i = stop
	}
	return sp.result()
}

// urlEnd reports bytes that end a URL in free text.
func urlEnd(c byte) bool {
	return c <= ' ' || c == '"' || c == '\'' || c == '<' || c == '>' || c == '\\' || c == '`' || c >= 0x7f
}

// dataURLs rewrites the payload of every data: URL (RFC 2397) in a text
// as a body of its media type: a page's download link of a credentials
// file (data:application/json;base64,…), a text's name=value pairs
// (data:text/plain,api_key%3D…). A payload redaction leaves as it was
// stays byte for byte; a changed one is written back in its encoding.
func (r *redactor) dataURLs(s string) string {
	sp := replaceSpans{s: s}
	for i := 0; i < len(s); {
		j := strings.Index(s[i:], "data:")
		if j < 0 {
			break
		}
		i += j + len("data:")
		if i-len("data:") > 0 && alnum(s[i-len("data:")-1]) {
			continue // a name ending in data ("metadata:")
		}
		comma := strings.IndexByte(s[i:min(len(s), i+128)], ',')
		if comma < 0 {
			continue
		}
		head := s[i : i+comma]
		if strings.ContainsAny(head, " \t\r\n\"'<>") {
			continue
		}
		ps := i + comma + 1
		pe := ps
		for pe < len(s) && !urlEnd(s[pe]) && s[pe] != ')' {
			pe++
		}
		i = pe
		if pe == ps {
			continue
		}
		mt, params, _ := strings.Cut(head, ";")
		if mt == "" {
			mt = "text/plain"
		}
		if binaryType(strings.ToLower(mt)) {
			continue // an inline image or font: nothing a name could give away
		}
		payload := s[ps:pe]
		if strings.HasSuffix(strings.ToLower(params), "base64") || strings.EqualFold(params, "base64") {
			raw, err := base64.StdEncoding.DecodeString(payload)
			if err != nil {
				raw, err = base64.RawStdEncoding.DecodeString(strings.TrimRight(payload, "="))
			}
			if err != nil || len(raw) == 0 {
				continue
			}
			if red := r.body(mt, raw); !bytes.Equal(red, raw) {
				sp.replace(ps, pe, base64.StdEncoding.EncodeToString(red))
			}
			continue
		}
		text, err := url.PathUnescape(payload)
		if err != nil {
			continue
		}
		if red := r.body(mt, []byte(text)); string(red) != text {
			sp.replace(ps, pe, strings.ReplaceAll(url.QueryEscape(string(red)), "+", "%20"))
		}
	}
	return sp.result()
}

// urls rewrites every http(s) URL in free text.
func (r *redactor) urls(s string) string { return r.urlsIn(s, 0) }

// urlsIn is urls for a text nest levels inside a URL or value.
func (r *redactor) urlsIn(s string, nest int) string {
	sp := replaceSpans{s: s}
	for i := 0; i < len(s); {
		j := strings.Index(s[i:], "http")
		if j < 0 {
			break
		}
		i += j
		rest := s[i:]
		if !strings.HasPrefix(rest, "https://") && !strings.HasPrefix(rest, "http://") {
			i += 4
			continue
		}
		end := i
		for end < len(s) && !urlEnd(s[end]) {
			end++
		}
		u := s[i:end]
		if strings.ContainsAny(u, "?#@") {
			if red := r.url(u, nest); red != u {
				sp.replace(i, end, red)
			}
		}
		i = end
	}
	return sp.result()
}

// inputTag redacts the valueAttr attribute of an <input> whose name is
// secret; with named, only of a tag whose name is of a class to redact
// (a <meta>'s content otherwise stays as it is).
func (r *redactor) inputTag(tag, valueAttr string, named bool) string {
	attrs := reAttr().FindAllStringSubmatchIndex(tag, -1)
	name, id := "", ""
	password := false
	valStart, valEnd := -1, -1
	for _, a := range attrs {
		key := strings.ToLower(tag[a[2]:a[3]])
		s, e := -1, -1
		for g := 4; g < 10; g += 2 {
			if a[g] >= 0 {
				s, e = a[g], a[g+1]
				break
			}
		}
		if s < 0 {
			continue
		}
		switch key {
		case "type":
			// A password field's value is a password whatever its name
			// (a form shown again after a failed sign-in).
			password = !named && strings.EqualFold(tag[s:e], "password")
		case "name":
			if name == "" {
				name = html.UnescapeString(tag[s:e])
			}
		case "id":
			// An input without a name (a settings page's read-only
			// field, a label's for=) is named by its id.
			if !named {
				id = html.UnescapeString(tag[s:e])
			}
		case "key":
			// <add key="ida:ClientSecret" value="…"/>: the setting's
			// name after its prefix.
			if named && name == "" {
				name = html.UnescapeString(tag[s:e])
				name = name[strings.LastIndexByte(name, ':')+1:]
			}
		case "http-equiv":
			// <meta http-equiv="Set-Cookie" content="sid=…">: the
			// content is that header's value.
			if named && name == "" {
				name = html.UnescapeString(tag[s:e])
			}
		case valueAttr:
			if valStart < 0 {
				valStart, valEnd = s, e
			}
		}
	}
	if name == "" {
		name = id
	}
	if valStart < 0 {
		return tag
	}
	val := html.UnescapeString(tag[valStart:valEnd])
	if r.collecting && evidenceName(name) {
		r.noteEvidence(val)
	}
	var red string
	switch {
	case named && r.class(name) == classKeep && strings.IndexByte(val, ';') >= 0 && strings.IndexByte(val, '=') >= 0:
		// A setting under a name of no secret whose value is a
		// connection string ("…;AccountKey=…").
		red = r.free(val, 0)
	case named && r.class(name) == classKeep:
		return tag
	default:
		red = r.value(name, val, "", 0)
	}
	if password && red == val {
		red = r.mask(maskPassword, val)
	}
	if red == val {
		return tag
	}
	return tag[:valStart] + html.EscapeString(red) + tag[valEnd:]
}
