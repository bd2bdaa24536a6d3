package main

import (
	"context"
	"encoding/base64"
	"fmt"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

// harRecorder assembles a HAR 1.2 log from the Chrome DevTools Protocol
// Network events of one or more tabs, the way Chrome DevTools' own HAR
// export does: one entry per request hop (redirect responses included),
// bodies from Network.getResponseBody where Chrome still holds them.
type harRecorder struct {
	mu       sync.Mutex
	seq      int
	recs     []*harRec
	open     map[string]*harRec // tab/requestID -> hop in flight
	reqExtra map[string][]*network.EventRequestWillBeSentExtraInfo
	resExtra map[string][]*network.EventResponseReceivedExtraInfo
	hops     map[string][]*harRec // tab/requestID -> every hop, in order
	pages    []*harPage
	curPage  map[string]*harPage // tab -> current page
	bodies   sync.WaitGroup
}

type harRec struct {
	seq       int
	key       string
	tab       string
	wall      time.Time
	start     float64 // monotonic seconds
	end       float64
	req       *network.Request
	initiator *network.Initiator
	resType   network.ResourceType
	resp      *network.Response
	redirect  bool
	encoded   float64
	failed    string
	body      string
	base64    bool
	hasBody   bool
	postData  string
	pageref   string
}

type harPage struct {
	tab     string
	ID      string
	Started time.Time
	start   float64
	Title   string
	onLoad  float64
	onDOM   float64
}

func newHARRecorder() *harRecorder {
	return &harRecorder{
		open:     map[string]*harRec{},
		reqExtra: map[string][]*network.EventRequestWillBeSentExtraInfo{},
		resExtra: map[string][]*network.EventResponseReceivedExtraInfo{},
		hops:     map[string][]*harRec{},
		curPage:  map[string]*harPage{},
	}
}

func wallTime(t float64) time.Time {
	sec := int64(t)
	return time.Unix(sec, int64((t-float64(sec))*1e9)).UTC()
}

// attach listens to one tab. It must be called before the tab navigates.
func (h *harRecorder) attach(tabCtx context.Context, tab string) error {
	return chromedp.Listen(tabCtx, func(ev any) {
		h.mu.Lock()
		defer h.mu.Unlock()
		switch ev := ev.(type) {
		case *network.EventRequestWillBeSent:
			key := tab + "/" + string(ev.RequestID)
			if prev := h.open[key]; prev != nil && ev.RedirectResponse != nil {
				prev.resp = ev.RedirectResponse
				prev.redirect = true
				prev.end = float64(ev.Timestamp)
				prev.encoded = ev.RedirectResponse.EncodedDataLength
			}
			h.seq++
			rec := &harRec{seq: h.seq, key: key, tab: tab, wall: wallTime(float64(ev.WallTime)), start: float64(ev.Timestamp),
				req: ev.Request, initiator: ev.Initiator, resType: ev.Type}
			if ev.Type == network.ResourceTypeDocument && ev.RedirectResponse == nil && string(ev.LoaderID) == string(ev.RequestID) {
				p := &harPage{tab: tab, ID: "page_" + strconv.Itoa(len(h.pages)+1), Started: rec.wall, start: rec.start, Title: ev.Request.URL, onLoad: -1, onDOM: -1}
				h.pages = append(h.pages, p)
				h.curPage[tab] = p
			}
			if p := h.curPage[tab]; p != nil {
				rec.pageref = p.ID
			}
			if ev.Request.HasPostData {
				for _, e := range ev.Request.PostDataEntries {
					rec.postData += string(e.Bytes)
				}
			}
			h.recs = append(h.recs, rec)
			h.open[key] = rec
			h.hops[key] = append(h.hops[key], rec)
		case *network.EventRequestWillBeSentExtraInfo:
			key := tab + "/" + string(ev.RequestID)
			h.reqExtra[key] = append(h.reqExtra[key], ev)
		case *network.EventResponseReceivedExtraInfo:
			key := tab + "/" + string(ev.RequestID)
			h.resExtra[key] = append(h.resExtra[key], ev)
		case *network.EventResponseReceived:
			if rec := h.open[tab+"/"+string(ev.RequestID)]; rec != nil {
				rec.resp = ev.Response
				rec.resType = ev.Type
			}
		case *network.EventLoadingFinished:
			rec := h.open[tab+"/"+string(ev.RequestID)]
			if rec == nil {
				return
			}
			rec.end = float64(ev.Timestamp)
			rec.encoded = ev.EncodedDataLength
			id := ev.RequestID
			h.bodies.Add(1)
			// getResponseBody cannot run inside the event callback.
			go func() {
				defer h.bodies.Done()
				res, err := chromedp.Call(tabCtx, network.GetResponseBody, network.GetResponseBodyParams{RequestID: id})
				body := res.Body
				h.mu.Lock()
				defer h.mu.Unlock()
				if err == nil {
					rec.hasBody = true
					rec.body = string(body)
					if !utf8.Valid(body) {
						rec.body = base64.StdEncoding.EncodeToString(body)
						rec.base64 = true
					}
				}
			}()
		case *network.EventLoadingFailed:
			if rec := h.open[tab+"/"+string(ev.RequestID)]; rec != nil {
				rec.end = float64(ev.Timestamp)
				rec.failed = ev.ErrorText
			}
		case *page.EventDomContentEventFired:
			if p := h.curPage[tab]; p != nil {
				p.onDOM = (float64(ev.Timestamp) - p.start) * 1000
			}
		case *page.EventLoadEventFired:
			if p := h.curPage[tab]; p != nil {
				p.onLoad = (float64(ev.Timestamp) - p.start) * 1000
			}
		}
	})
}

// HAR 1.2 structures (only what Chrome writes).
type harLog struct {
	Log harBody `json:"log"`
}

type harBody struct {
	Version string         `json:"version"`
	Creator harNameVersion `json:"creator"`
	Browser harNameVersion `json:"browser"`
	Pages   []harPageJSON  `json:"pages"`
	Entries []harEntry     `json:"entries"`
	Comment string         `json:"comment"`
}

type harNameVersion struct {
	Name    string `json:"name"`
	Version string `json:"version"`
}

type harPageJSON struct {
	StartedDateTime string         `json:"startedDateTime"`
	ID              string         `json:"id"`
	Title           string         `json:"title"`
	PageTimings     map[string]any `json:"pageTimings"`
}

type harNV struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

type harCookie struct {
	Name     string `json:"name"`
	Value    string `json:"value"`
	Path     string `json:"path,omitempty"`
	Expires  string `json:"expires,omitempty"`
	HTTPOnly bool   `json:"httpOnly"`
	Secure   bool   `json:"secure"`
	SameSite string `json:"sameSite,omitempty"`
}

type harPostData struct {
	MimeType string  `json:"mimeType"`
	Text     string  `json:"text"`
	Params   []harNV `json:"params,omitempty"`
}

type harRequest struct {
	Method      string       `json:"method"`
	URL         string       `json:"url"`
	HTTPVersion string       `json:"httpVersion"`
	Headers     []harNV      `json:"headers"`
	QueryString []harNV      `json:"queryString"`
	Cookies     []harCookie  `json:"cookies"`
	HeadersSize int          `json:"headersSize"`
	BodySize    int          `json:"bodySize"`
	PostData    *harPostData `json:"postData,omitempty"`
}

type harContent struct {
	Size     int    `json:"size"`
	MimeType string `json:"mimeType"`
	Text     string `json:"text,omitempty"`
	Encoding string `json:"encoding,omitempty"`
}

type harResponse struct {
	Status       int         `json:"status"`
	StatusText   string      `json:"statusText"`
	HTTPVersion  string      `json:"httpVersion"`
	Headers      []harNV     `json:"headers"`
	Cookies      []harCookie `json:"cookies"`
	Content      harContent  `json:"content"`
	RedirectURL  string      `json:"redirectURL"`
	HeadersSize  int         `json:"headersSize"`
	BodySize     int         `json:"bodySize"`
	TransferSize int         `json:"_transferSize"`
	Error        string      `json:"_error,omitempty"`
}

type harEntry struct {
	Initiator       *network.Initiator `json:"_initiator,omitempty"`
	Priority        string             `json:"_priority,omitempty"`
	ResourceType    string             `json:"_resourceType"`
	Cache           struct{}           `json:"cache"`
	Connection      string             `json:"connection,omitempty"`
	Pageref         string             `json:"pageref,omitempty"`
	Request         harRequest         `json:"request"`
	Response        harResponse        `json:"response"`
	ServerIPAddress string             `json:"serverIPAddress,omitempty"`
	StartedDateTime string             `json:"startedDateTime"`
	Time            float64            `json:"time"`
	Timings         map[string]float64 `json:"timings"`
}

func harTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }

// headerList flattens CDP's header object. CDP gives headers as a JSON
// object (duplicates joined with "\n"), so wire order is lost; names are
// sorted for a deterministic file. HTTP/1.1 response headers come from the
// verbatim headersText instead, in wire order.
func headerList(h network.Headers) []harNV {
	out := []harNV{}
	for name, v := range h {
		s := fmt.Sprint(v)
		for _, part := range strings.Split(s, "\n") {
			out = append(out, harNV{Name: name, Value: part})
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return strings.ToLower(out[i].Name) < strings.ToLower(out[j].Name) })
	return out
}

func headersFromText(text string) []harNV {
	lines := strings.Split(strings.ReplaceAll(text, "\r\n", "\n"), "\n")
	out := []harNV{}
	for _, l := range lines[1:] {
		name, value, ok := strings.Cut(l, ":")
		if !ok {
			continue
		}
		out = append(out, harNV{Name: name, Value: strings.TrimLeft(value, " \t")})
	}
	return out
}

func headerValue(hs []harNV, name string) string {
	for _, h := range hs {
		if strings.EqualFold(h.Name, name) {
			return h.Value
		}
	}
	return ""
}

// rawParams splits a query or form body without decoding it, as Chrome's
// HAR export does.
func rawParams(s string) []harNV {
	out := []harNV{}
	if s == "" {
		return out
	}
	for _, pair := range strings.Split(s, "&") {
		name, value, _ := strings.Cut(pair, "=")
		out = append(out, harNV{Name: name, Value: value})
	}
	return out
}

func requestCookies(hs []harNV) []harCookie {
	out := []harCookie{}
	for _, h := range hs {
		if !strings.EqualFold(h.Name, "cookie") {
			continue
		}
		for _, part := range strings.Split(h.Value, ";") {
			name, value, _ := strings.Cut(strings.TrimSpace(part), "=")
			if name != "" {
				out = append(out, harCookie{Name: name, Value: value})
			}
		}
	}
	return out
}

func responseCookies(hs []harNV) []harCookie {
	out := []harCookie{}
	for _, h := range hs {
		if !strings.EqualFold(h.Name, "set-cookie") {
			continue
		}
		parts := strings.Split(h.Value, ";")
		name, value, _ := strings.Cut(strings.TrimSpace(parts[0]), "=")
		c := harCookie{Name: name, Value: value}
		for _, a := range parts[1:] {
			k, v, _ := strings.Cut(strings.TrimSpace(a), "=")
			switch strings.ToLower(k) {
			case "path":
				c.Path = v
			case "expires":
				c.Expires = v
			case "httponly":
				c.HTTPOnly = true
			case "secure":
				c.Secure = true
			case "samesite":
				c.SameSite = v
			}
		}
		out = append(out, c)
	}
	return out
}

func httpVersion(protocol string) string {
	switch protocol {
	case "h2":
		return "http/2.0"
	case "http/1.1":
		return "http/1.1"
	case "":
		return ""
	default:
		return protocol
	}
}

// build returns the HAR; call it after the tabs are done and wait() returned.
func (h *harRecorder) build(browser, comment string) harLog {
	h.bodies.Wait()
	h.mu.Lock()
	defer h.mu.Unlock()
	recs := append([]*harRec(nil), h.recs...)
	sort.SliceStable(recs, func(i, j int) bool {
		if !recs[i].wall.Equal(recs[j].wall) {
			return recs[i].wall.Before(recs[j].wall)
		}
		return recs[i].seq < recs[j].seq
	})
	log := harLog{Log: harBody{
		Version: "1.2",
		Creator: harNameVersion{Name: "traceaudit-lab-recorder (assembled from Chrome DevTools Protocol Network events)", Version: "1"},
		Browser: harNameVersion{Name: "Chromium", Version: browser},
		Pages:   []harPageJSON{},
		Comment: comment,
	}}
	for _, p := range h.pages {
		log.Log.Pages = append(log.Log.Pages, harPageJSON{StartedDateTime: harTime(p.Started), ID: p.ID, Title: p.Title,
			PageTimings: map[string]any{"onContentLoad": round3(p.onDOM), "onLoad": round3(p.onLoad)}})
	}
	hopIndex := map[*harRec]int{}
	for _, hops := range h.hops {
		for i, r := range hops {
			hopIndex[r] = i
		}
	}
	for _, r := range recs {
		log.Log.Entries = append(log.Log.Entries, h.entry(r, hopIndex[r]))
	}
	return log
}

func round3(f float64) float64 {
	if f < 0 {
		return -1
	}
	return float64(int64(f*1000+0.5)) / 1000
}

func (h *harRecorder) entry(r *harRec, hop int) harEntry {
	var reqHeaders []harNV
	if ex := h.reqExtra[r.key]; hop < len(ex) {
		reqHeaders = headerList(ex[hop].Headers)
	} else {
		reqHeaders = headerList(r.req.Headers)
	}
	u := r.req.URL + r.req.URLFragment
	var query string
	if pu, err := url.Parse(r.req.URL); err == nil {
		query = pu.RawQuery
	}
	e := harEntry{
		Initiator:       r.initiator,
		Priority:        string(r.req.InitialPriority),
		ResourceType:    strings.ToLower(string(r.resType)),
		Pageref:         r.pageref,
		StartedDateTime: harTime(r.wall),
		Timings:         map[string]float64{"blocked": -1, "dns": -1, "ssl": -1, "connect": -1, "send": 0, "wait": 0, "receive": 0},
		Request: harRequest{
			Method: r.req.Method, URL: u, Headers: reqHeaders, QueryString: rawParams(query),
			Cookies: requestCookies(reqHeaders), HeadersSize: -1, BodySize: len(r.postData),
		},
	}
	if r.req.HasPostData {
		mt := headerValue(reqHeaders, "content-type")
		pd := &harPostData{MimeType: mt, Text: r.postData}
		if strings.HasPrefix(mt, "application/x-www-form-urlencoded") {
			pd.Params = rawParams(r.postData)
		}
		e.Request.PostData = pd
	}
	if r.end > r.start {
		e.Time = round3((r.end - r.start) * 1000)
	}
	resp := r.resp
	if resp == nil {
		e.Response = harResponse{Headers: []harNV{}, Cookies: []harCookie{}, Content: harContent{MimeType: "x-unknown"}, HeadersSize: -1, BodySize: -1, Error: r.failed}
		e.Request.HTTPVersion = ""
		return e
	}
	var resHeaders []harNV
	var extra *network.EventResponseReceivedExtraInfo
	if ex := h.resExtra[r.key]; hop < len(ex) {
		extra = ex[hop]
	}
	switch {
	case extra != nil && extra.HeadersText != "":
		resHeaders = headersFromText(extra.HeadersText)
	case extra != nil:
		resHeaders = headerList(extra.Headers)
	default:
		resHeaders = headerList(resp.Headers)
	}
	version := httpVersion(resp.Protocol)
	e.Request.HTTPVersion = version
	e.Connection = strconv.FormatInt(int64(resp.ConnectionID), 10)
	e.ServerIPAddress = strings.Trim(resp.RemoteIPAddress, "[]")
	e.Response = harResponse{
		Status: int(resp.Status), StatusText: resp.StatusText, HTTPVersion: version, Headers: resHeaders,
		Cookies: responseCookies(resHeaders), HeadersSize: -1, BodySize: -1, TransferSize: int(r.encoded), Error: r.failed,
		Content: harContent{Size: 0, MimeType: resp.MimeType},
	}
	if r.redirect {
		e.Response.RedirectURL = headerValue(resHeaders, "location")
		e.Response.Content.MimeType = "x-unknown"
		if resp.MimeType != "" {
			e.Response.Content.MimeType = resp.MimeType
		}
	}
	if r.hasBody {
		e.Response.Content.Size = len(r.body)
		e.Response.Content.Text = r.body
		if r.base64 {
			e.Response.Content.Encoding = "base64"
			if b, err := base64.StdEncoding.DecodeString(r.body); err == nil {
				e.Response.Content.Size = len(b)
			}
		}
		e.Response.BodySize = len(r.body)
	}
	if t := resp.Timing; t != nil {
		ms := func(a, b float64) float64 {
			if a < 0 || b < 0 {
				return -1
			}
			return round3(b - a)
		}
		first := t.SendStart
		for _, v := range []float64{t.DNSStart, t.ConnectStart} {
			if v >= 0 && v < first {
				first = v
			}
		}
		e.Timings["blocked"] = round3(first)
		e.Timings["dns"] = ms(t.DNSStart, t.DNSEnd)
		e.Timings["connect"] = ms(t.ConnectStart, t.ConnectEnd)
		e.Timings["ssl"] = ms(t.SslStart, t.SslEnd)
		e.Timings["send"] = ms(t.SendStart, t.SendEnd)
		e.Timings["wait"] = ms(t.SendEnd, t.ReceiveHeadersEnd)
		if e.Time > 0 {
			rest := e.Time - t.ReceiveHeadersEnd
			if rest < 0 {
				rest = 0
			}
			e.Timings["receive"] = round3(rest)
		}
	}
	return e
}

// tabOfPage names the tab a page was loaded in.
func (h *harRecorder) tabOfPage(id string) string {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, p := range h.pages {
		if p.ID == id {
			return p.tab
		}
	}
	return ""
}
