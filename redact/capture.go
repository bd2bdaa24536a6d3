package redact

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"time"
	"unicode/utf8"

	"github.com/traceaudit/traceaudit/model"
)

// Exchanges writes a redacted HAR of exchanges read from a capture. A
// packet capture cannot be sanitized in place (TLS records, key material,
// checksums), so what can be shared is its HTTP: the exchanges are written
// as a HAR 1.2 document, which then goes through the same rewrite and
// guard as any HAR. Refs change (entries[N] instead of frame N); each
// entry's comment keeps the capture's ref.
func Exchanges(exs []*model.Exchange, w io.Writer, opts Options) (Stats, error) {
	var buf bytes.Buffer
	if err := writeHAR(&buf, exs); err != nil {
		return Stats{}, fmt.Errorf("redact: %w", err)
	}
	return HAR(bytes.NewReader(buf.Bytes()), w, opts)
}

type harNV struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

type harPost struct {
	MimeType string `json:"mimeType"`
	Text     string `json:"text"`
}

type harContent struct {
	Size     int64  `json:"size"`
	MimeType string `json:"mimeType"`
	Text     string `json:"text,omitempty"`
	Encoding string `json:"encoding,omitempty"`
}

type harRequest struct {
	Method      string   `json:"method"`
	URL         string   `json:"url"`
	HTTPVersion string   `json:"httpVersion"`
	Headers     []harNV  `json:"headers"`
	QueryString []harNV  `json:"queryString"`
	Cookies     []harNV  `json:"cookies"`
	HeadersSize int      `json:"headersSize"`
	BodySize    int64    `json:"bodySize"`
	PostData    *harPost `json:"postData,omitempty"`
}

type harResponse struct {
	Status      int        `json:"status"`
	StatusText  string     `json:"statusText"`
	HTTPVersion string     `json:"httpVersion"`
	Headers     []harNV    `json:"headers"`
	Cookies     []harNV    `json:"cookies"`
	Content     harContent `json:"content"`
	RedirectURL string     `json:"redirectURL"`
	HeadersSize int        `json:"headersSize"`
	BodySize    int64      `json:"bodySize"`
}

type harEntry struct {
	StartedDateTime string         `json:"startedDateTime"`
	Time            float64        `json:"time"`
	Request         harRequest     `json:"request"`
	Response        harResponse    `json:"response"`
	Cache           struct{}       `json:"cache"`
	Timings         map[string]int `json:"timings"`
	Connection      string         `json:"connection,omitempty"`
	Pageref         string         `json:"pageref,omitempty"`
	Comment         string         `json:"comment,omitempty"`
	Error           string         `json:"_error,omitempty"`
}

func headersOf(h model.Headers) []harNV {
	out := make([]harNV, 0, len(h))
	for _, f := range h {
		out = append(out, harNV{Name: f.Name, Value: f.Value})
	}
	return out
}

func proto(p string) string {
	if p == "" {
		return "HTTP/1.1"
	}
	return p
}

func writeHAR(w io.Writer, exs []*model.Exchange) error {
	entries := make([]harEntry, 0, len(exs))
	for _, ex := range exs {
		if ex == nil || ex.Tunnel {
			continue
		}
		e := harEntry{
			StartedDateTime: ex.Start.UTC().Format(time.RFC3339Nano),
			Time:            -1,
			Timings:         map[string]int{"send": 0, "wait": 0, "receive": 0},
			Connection:      ex.Conn,
			Pageref:         ex.Page,
			Comment:         "from " + ex.Ref,
			Error:           ex.Failure,
		}
		if ex.Start.IsZero() {
			e.StartedDateTime = ""
		}
		if !ex.End.IsZero() && !ex.Start.IsZero() {
			e.Time = float64(ex.End.Sub(ex.Start).Microseconds()) / 1000
		}
		rq := &ex.Request
		e.Request = harRequest{Method: rq.Method, URL: rq.URL, HTTPVersion: proto(rq.Proto), Headers: headersOf(rq.Headers),
			QueryString: []harNV{}, Cookies: []harNV{}, HeadersSize: -1, BodySize: rq.Body.Size}
		if len(rq.Body.Data) > 0 && utf8.Valid(rq.Body.Data) {
			e.Request.PostData = &harPost{MimeType: rq.Headers.Get("Content-Type"), Text: string(rq.Body.Data)}
		}
		e.Response = harResponse{Headers: []harNV{}, Cookies: []harNV{}, HeadersSize: -1, BodySize: -1, HTTPVersion: proto(rq.Proto)}
		if rs := ex.Response; rs != nil {
			e.Response.Status, e.Response.StatusText = rs.Status, rs.StatusText
			e.Response.HTTPVersion = proto(rs.Proto)
			e.Response.Headers = headersOf(rs.Headers)
			e.Response.RedirectURL = rs.Headers.Get("Location")
			e.Response.BodySize = rs.Body.Size
			c := harContent{Size: int64(len(rs.Body.Data)), MimeType: rs.Headers.Get("Content-Type")}
			if len(rs.Body.Data) > 0 {
				if utf8.Valid(rs.Body.Data) {
					c.Text = string(rs.Body.Data)
				} else {
					c.Text, c.Encoding = base64.StdEncoding.EncodeToString(rs.Body.Data), "base64"
				}
			}
			e.Response.Content = c
		}
		entries = append(entries, e)
	}
	doc := map[string]any{"log": map[string]any{
		"version": "1.2",
		"creator": map[string]string{"name": "traceaudit bundle", "version": "1"},
		"entries": entries,
	}}
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	return enc.Encode(doc)
}
