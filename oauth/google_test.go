package oauth

import (
	"encoding/base64"
	"strings"
	"testing"
	"unicode"

	"github.com/traceaudit/traceaudit/catalog"
	"github.com/traceaudit/traceaudit/model"
)

// Google's error page says "Error 400: redirect_uri_mismatch" in the
// user's language ("Fehler", "Erreur", "エラー", "错误" with a full-width
// colon): the error is read from the status and the name, never from the
// English word, so every language gives the same error.
func TestGoogleErrorPageAnyLanguage(t *testing.T) {
	const authorize = "https://accounts.google.com/o/oauth2/v2/auth?client_id=c1&response_type=code&redirect_uri=http%3A%2F%2Flocalhost%3A3000%2Fcb&state=S"
	for _, c := range []struct{ lang, page, want string }{
		{"en", `<p>Error 400: redirect_uri_mismatch</p>`, "redirect_uri_mismatch"},
		{"de", `<html lang="de"><h1>Zugriff blockiert: Die Anfrage dieser App ist ungültig</h1><p>Fehler 400: redirect_uri_mismatch</p></html>`, "redirect_uri_mismatch"},
		{"fr", "<html lang=\"fr\"><h1>Accès bloqué : la demande de cette appli n'est pas valide</h1><p>Erreur 400\u00a0: redirect_uri_mismatch</p></html>", "redirect_uri_mismatch"},
		{"id", `<html lang="id"><p>Akses diblokir</p><p>Kesalahan 400: invalid_request</p></html>`, "invalid_request"},
		{"ja", `<html lang="ja"><p>アクセスをブロック: このアプリのリクエストは無効です</p><p>エラー 400: redirect_uri_mismatch</p></html>`, "redirect_uri_mismatch"},
		{"zh", `<html lang="zh-CN"><p>已拦截访问</p><p>错误 400：redirect_uri_mismatch</p></html>`, "redirect_uri_mismatch"},
		{"pt", `<html lang="pt-BR"><p>Erro 401: deleted_client</p></html>`, "deleted_client"},
	} {
		// The authorize request answered with the page itself, and the
		// page a redirect led to: both read the same.
		evs := NewExtractor().Exchange(mkExchange(0, "GET", authorize, nil, "", 400,
			model.Headers{{Name: "Content-Type", Value: "text/html; charset=utf-8"}}, c.page))
		if len(evs) != 2 || evs[1].Err == nil || evs[1].Err.Error != c.want {
			t.Errorf("%s, authorize answered with the page: events = %+v", c.lang, evs)
		}
		evs = NewExtractor().Exchange(mkExchange(0, "GET", "https://accounts.google.com/signin/oauth/error/v2?client_id=c1&flowName=GeneralOAuthFlow",
			nil, "", 400, model.Headers{{Name: "Content-Type", Value: "text/html; charset=utf-8"}}, c.page))
		if len(evs) != 1 || evs[0].Err == nil || evs[0].Err.Error != c.want {
			t.Errorf("%s, error page: events = %+v", c.lang, evs)
		}
	}
	evs := NewExtractor().Exchange(mkExchange(0, "GET", authorize, nil, "", 400,
		model.Headers{{Name: "Content-Type", Value: "text/html"}}, `<p>Fehler 400: redirect_uri_mismatch</p>`))
	if info, _ := catalog.Classify(evs[len(evs)-1].Err, "google"); info.Class != catalog.ClassRedirectURI {
		t.Errorf("class = %q", info.Class)
	}
}

// The page's URL carries the error too: authError is URL-safe base64 of a
// protobuf message (field 1 the error name, field 2 its description, field
// 4 the status), the same in every language and readable when the HAR kept
// no body. The values are real ones, quoted in public bug reports.
func TestGoogleAuthError(t *testing.T) {
	for _, c := range []struct{ param, name, desc string }{
		{"Cg5pbnZhbGlkX2NsaWVudBIfVGhlIE9BdXRoIGNsaWVudCB3YXMgbm90IGZvdW5kLiCRAw%3D%3D", "invalid_client", "The OAuth client was not found."},
		{"Cg5kZWxldGVkX2NsaWVudBIdVGhlIE9BdXRoIGNsaWVudCB3YXMgZGVsZXRlZC4gkQM%3D", "deleted_client", "The OAuth client was deleted."},
		{"ChVyZWRpcmVjdF91cmlfbWlzbWF0Y2g", "redirect_uri_mismatch", ""},
		// A nested message in field 2 is not taken for its text.
		{base64.RawURLEncoding.EncodeToString([]byte("\x0a\x15redirect_uri_mismatch\x12\x07\x0a\x05Hello")), "redirect_uri_mismatch", ""},
	} {
		evs := NewExtractor().Exchange(mkExchange(0, "GET", "https://accounts.google.com/signin/oauth/error?authError="+c.param+"&client_id=c1&flowName=GeneralOAuthFlow",
			nil, "", 400, model.Headers{{Name: "Content-Type", Value: "text/html"}}, ""))
		if len(evs) != 1 || evs[0].Kind != model.AuthorizeError || evs[0].Err.Error != c.name {
			t.Errorf("%s: events = %+v", c.param, evs)
			continue
		}
		if c.desc != "" && !strings.Contains(evs[0].Err.Description, c.desc) || c.desc == "" && strings.Contains(evs[0].Err.Description, "(") {
			t.Errorf("%s: description %q, want it to say %q", c.param, evs[0].Err.Description, c.desc)
		}
	}
	// Not Google's: an authError elsewhere is not read; nor is garbage.
	for _, u := range []string{
		"https://app.example/signin/oauth/error?authError=ChVyZWRpcmVjdF91cmlfbWlzbWF0Y2g&client_id=c1&state=s",
		"https://accounts.google.com/signin/oauth/error?authError=%21%21%21&client_id=c1",
		"https://accounts.google.com/signin/oauth/error?authError=" + base64.RawURLEncoding.EncodeToString([]byte{0x0a, 0x40, 'a'}) + "&client_id=c1",
		"https://accounts.google.com/signin/oauth/error?authError=" + base64.RawURLEncoding.EncodeToString([]byte("\x0a\x05Hello")) + "&client_id=c1",
	} {
		evs := NewExtractor().Exchange(mkExchange(0, "GET", u, nil, "", 400, model.Headers{{Name: "Content-Type", Value: "text/html"}}, ""))
		for _, ev := range evs {
			if ev.Kind == model.AuthorizeError {
				t.Errorf("%s: read as an error: %+v", u, ev.Err)
			}
		}
	}
}

// statusErrorName takes a status and a snake_case name, nothing else: not
// a time, a longer number, a path, a capitalised word or a single word.
func TestStatusErrorName(t *testing.T) {
	for _, c := range []struct{ text, status, name string }{
		{"Error 400: redirect_uri_mismatch", "400", "redirect_uri_mismatch"},
		{"Fehler 400:redirect_uri_mismatch.", "400", "redirect_uri_mismatch"},
		{"Erreur 400\u202f: org_internal", "400", "org_internal"},
		{"错误 400：redirect_uri_mismatch", "400", "redirect_uri_mismatch"},
		{"at 10:00:00 400: access_denied", "400", "access_denied"},
		{"10:400: redirect_uri_mismatch", "", ""},
		{"1400: redirect_uri_mismatch", "", ""},
		{"/v1/400: redirect_uri_mismatch", "", ""},
		{"Error 200: redirect_uri_mismatch", "", ""},
		{"Error 400: Redirect_uri", "", ""},
		{"Error 400: mismatch", "", ""},
		{"Error 400: redirect_uri_mismatchÄ", "", ""},
		{"Error 400: _x", "", ""},
	} {
		status, name := statusErrorName(c.text)
		if status != c.status || name != c.name {
			t.Errorf("%q: %q %q, want %q %q", c.text, status, name, c.status, c.name)
		}
		if got := hasStatusErrorName([]byte(c.text)); isASCII([]byte(c.text)) && got != (c.name != "") {
			t.Errorf("hasStatusErrorName(%q) = %v", c.text, got)
		}
	}
}

// FuzzGoogleAuthError: the URL's authError and the page's text are hostile
// input; a name read from them is always a snake_case error name and a
// description never carries control characters.
func FuzzGoogleAuthError(f *testing.F) {
	f.Add("Cg5pbnZhbGlkX2NsaWVudBIfVGhlIE9BdXRoIGNsaWVudCB3YXMgbm90IGZvdW5kLiCRAw==", "Erreur 400\u00a0: redirect_uri_mismatch")
	f.Add("ChVyZWRpcmVjdF91cmlfbWlzbWF0Y2g", "错误 400：redirect_uri_mismatch")
	f.Fuzz(func(t *testing.T, param, text string) {
		ae := googleAuthError(param)
		if ae.name != "" && errorNameAt(ae.name) != ae.name && !isOAuthErrorName(ae.name) {
			t.Fatalf("name %q", ae.name)
		}
		if strings.IndexFunc(ae.desc, unicode.IsControl) >= 0 || ae.status != 0 && (ae.status < 400 || ae.status >= 600) {
			t.Fatalf("authError %+v", ae)
		}
		status, name := statusErrorName(text)
		if name != "" && (errorNameAt(name) != name || len(status) != 3) {
			t.Fatalf("statusErrorName(%q) = %q %q", text, status, name)
		}
		if isASCII([]byte(text)) && hasStatusErrorName([]byte(text)) != (name != "") {
			t.Fatalf("hasStatusErrorName(%q) = %v, statusErrorName found %q", text, !(name != ""), name)
		}
	})
}
