package rules_test

import (
	"fmt"
	"math"
	"net/http"
	"path/filepath"
	"testing"
	"time"
	"unsafe"

	"github.com/traceaudit/traceaudit/model"
	"github.com/traceaudit/traceaudit/rules"
	"github.com/traceaudit/traceaudit/secret"
)

// TestExchangeReadsModel: the compact exchange the rules read answers as
// the model exchange it was made from (the request's cookies only when it
// made a callback), on every fixture and on edge cases
// (no response, a response without status, relative and broken Location,
// header names in other cases, cookies net/http calls invalid, the fields
// on the side the rules do not read).
func TestExchangeReadsModel(t *testing.T) {
	var exs []*model.Exchange
	for _, f := range fixtures(t) {
		got, _, err := loadHAR(filepath.Join("testdata", f))
		if err != nil {
			t.Fatal(err)
		}
		exs = append(exs, got...)
	}
	at := time.Date(2024, 5, 1, 10, 0, 0, 0, time.UTC)
	resp := func(status int, h ...string) *model.Response {
		r := &model.Response{Status: status}
		for i := 0; i+1 < len(h); i += 2 {
			r.Headers = append(r.Headers, model.Header{Name: h[i], Value: h[i+1]})
		}
		return r
	}
	req := func(url string, h ...string) model.Request {
		r := model.Request{Method: "GET", URL: url}
		for i := 0; i+1 < len(h); i += 2 {
			r.Headers = append(r.Headers, model.Header{Name: h[i], Value: h[i+1]})
		}
		return r
	}
	exs = append(exs,
		&model.Exchange{Index: 1, Ref: "frame 1", Start: at, Request: req("https://app.example/login")},
		&model.Exchange{Index: 2, Ref: "frame 2", Start: at, End: at.Add(time.Second), Instance: "10.0.0.2:80",
			Request:  req("https://app.example/cb?code=x", "cookie", "a=1; b=2", "Cookie", "rp_tx:1=v", "Location", "/not-read"),
			Response: resp(302, "location", "../error?x=1", "SET-COOKIE", "s=1; SameSite=None; Secure", "Set-Cookie", "rp_tx:9=z; Max-Age=0", "Cookie", "c=3")},
		&model.Exchange{Index: 3, Ref: "frame 3", Request: req("://bad url"), Response: resp(0, "Location", "%zz")},
		&model.Exchange{Index: 4, Ref: "frame 4", Tunnel: true, Request: req("app.example:443"), Response: resp(200)},
		&model.Exchange{Index: 5, Ref: "frame 5", Request: req("https://app.example/", "Referer", "https://app.example/start"), Response: resp(303, "Location", "https://idp.example/authorize?state=s")},
		// A Referer without a redirect is not kept.
		&model.Exchange{Index: 15, Ref: "frame 15", Request: req("https://app.example/page", "Referer", "https://app.example/"), Response: resp(200, "Referer", "not-read")},
		// URLs that share their start with the one kept before, in part,
		// whole, or as the whole of it (ExchangeSlab keeps the start as a
		// part of that one).
		&model.Exchange{Index: 6, Ref: "frame 6", Request: req("https://idp.example/authorize?client_id=a&state=s1")},
		&model.Exchange{Index: 7, Ref: "frame 7", Request: req("https://idp.example/authorize?client_id=a&state=s2&access_token=t")},
		&model.Exchange{Index: 8, Ref: "frame 8", Request: req("https://idp.example/authorize?client_id=a&state=s2")},
		&model.Exchange{Index: 9, Ref: "frame 9", Request: req("https://idp.example/authorize?client_id=a")},
		&model.Exchange{Index: 10, Ref: "frame 10", Request: req("https://idp.example/authorize?client_id=a&state=s1%74oken")},
		&model.Exchange{Index: 11, Ref: "frame 11", Request: req("https://idp.example/")},
		// What the compact exchange keeps on the side (exchangeRare): a
		// method not in its list, an end on another clock than the start
		// or without one, a status over 32 bits.
		&model.Exchange{Index: 12, Ref: "frame 12", Start: at, End: at.In(time.FixedZone("X", 3600)).Add(time.Second),
			Request: model.Request{Method: "PROPFIND", URL: "https://app.example/dav"}, Response: resp(207)},
		&model.Exchange{Index: 13, Ref: "frame 13", End: at, Request: model.Request{URL: "https://app.example/"}, Response: resp(math.MaxInt)},
		&model.Exchange{Index: 14, Ref: "frame 14", Start: at.Local(), End: at.Local().Add(time.Hour), Request: req("https://app.example/")},
		// The input of a case: kept for an exchange with cookies.
		&model.Exchange{Index: 16, Ref: "b.har entries[1]", Trace: 2, Request: req("https://app.example/cb", "Cookie", "a=REDACTED-cookie-1")},
		&model.Exchange{Index: 17, Ref: "b.har entries[2]", Trace: 2, Request: req("https://app.example/")},
	)
	var slab rules.ExchangeSlab
	callback := []model.Event{{Kind: model.AuthorizeRequest}, {Kind: model.Callback}}
	for _, ex := range exs {
		x := slab.Keep(ex, callback)
		// Kept for another event, the request's cookies are left out and
		// everything else stays.
		other := slab.Keep(ex, []model.Event{{Kind: model.AuthorizeRequest}, {Kind: model.CodeIssued}})
		name := ex.Ref
		same := func(what string, got, want any) {
			t.Helper()
			if g, w := fmt.Sprint(got), fmt.Sprint(want); g != w {
				t.Errorf("%s: %s = %s, the model says %s", name, what, g, w)
			}
		}
		same("Index", x.Index, ex.Index)
		same("Ref", x.Ref, ex.Ref)
		same("Start", x.Start, ex.Start)
		same("End", x.End(), ex.End)
		same("Method", x.Method(), ex.Request.Method)
		same("URL", x.URL(), ex.Request.URL)
		same("URL kept without a callback", other.URL(), ex.Request.URL)
		same("MayHaveURLTokens", x.MayHaveURLTokens(), secret.MayHaveURLTokens(ex.Request.URL))
		same("Instance", x.Instance(), ex.Instance)
		trace := 0
		if ex.CarriesCookies() {
			trace = ex.Trace
		}
		same("Trace", x.Trace(), trace)
		same("Tunnel", x.Tunnel, ex.Tunnel)
		same("Status", x.Status(), ex.Status())
		same("Responded", x.Responded, ex.Response != nil)
		same("Answered", x.Answered(), ex.Answered())
		same("CarriesCookies", x.CarriesCookies(), ex.CarriesCookies())
		same("Location", x.Location(), ex.Location())
		same("SetCookies", cookies(x.SetCookies()), cookies(ex.Response.SetCookies()))
		same("Cookies", cookies(x.Cookies()), cookies(ex.Request.Cookies()))
		same("Cookies kept without a callback", cookies(other.Cookies()), "")
		same("CarriesCookies kept without a callback", other.CarriesCookies(), ex.CarriesCookies())
		same("Location kept without a callback", other.Location(), ex.Location())
		referer := ""
		if ex.Response != nil && ex.Response.Headers.Get("Location") != "" {
			referer = ex.Request.Headers.Get("Referer")
		}
		same("Referer", x.Referer(), referer)
		same("Referer kept without a callback", other.Referer(), referer)
		same("SetCookies kept without a callback", cookies(other.SetCookies()), cookies(ex.Response.SetCookies()))
	}
	if got := unsafe.Sizeof(rules.Exchange{}); got > 104 {
		t.Errorf("rules.Exchange is %d bytes, over 104: a capture keeps 65,000 of them", got)
	}
}

func cookies(cs []*http.Cookie) string {
	s := ""
	for _, c := range cs {
		s += fmt.Sprintf("%q=%q %v %v %v %v|", c.Name, c.Value, c.SameSite, c.Secure, c.MaxAge, c.Expires)
	}
	return s
}
