// Package har2saz converts a HAR 1.2 document into a SAZ archive laid out as
// Fiddler writes one, so that traces recorded as HAR (the fixture lab's
// sign-ins) can also be fed to the SAZ reader and the rules through it.
//
// The conversion is faithful where HAR is: methods, absolute URLs, header
// fields in order, request and response bodies, status, timings, the
// connection id and the entry comment. It cannot be where HAR is not: HAR
// holds decoded response bodies, so Content-Encoding and Transfer-Encoding
// are dropped and Content-Length is set to the decoded length. HTTP/2 and
// HTTP/3 entries are written with an "HTTP/2"/"HTTP/3" version token and a
// Host field in place of the pseudo-header fields, as Fiddler Everywhere
// shows them.
package har2saz

import (
	"archive/zip"
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

type harDoc struct {
	Log struct {
		Entries []harEntry `json:"entries"`
	} `json:"log"`
}

type harHeader struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

type harEntry struct {
	StartedDateTime string          `json:"startedDateTime"`
	Time            float64         `json:"time"`
	Connection      json.RawMessage `json:"connection"` // a string in HAR 1.2, a number from some tools
	ServerIP        string          `json:"serverIPAddress"`
	Comment         string          `json:"comment"`
	Request         struct {
		Method      string      `json:"method"`
		URL         string      `json:"url"`
		HTTPVersion string      `json:"httpVersion"`
		Headers     []harHeader `json:"headers"`
		PostData    *struct {
			MimeType string `json:"mimeType"`
			Text     string `json:"text"`
		} `json:"postData"`
	} `json:"request"`
	Response struct {
		Status      int         `json:"status"`
		StatusText  string      `json:"statusText"`
		HTTPVersion string      `json:"httpVersion"`
		Headers     []harHeader `json:"headers"`
		Content     struct {
			Text     string `json:"text"`
			Encoding string `json:"encoding"`
		} `json:"content"`
	} `json:"response"`
	Timings struct {
		Blocked float64 `json:"blocked"`
		DNS     float64 `json:"dns"`
		Connect float64 `json:"connect"`
		Send    float64 `json:"send"`
		Wait    float64 `json:"wait"`
	} `json:"timings"`
}

// Fiddler's SessionFlags bit for HTTPS sessions, as _m.xml writes BitFlags.
const bitIsHTTPS = 0x1

// Convert returns the SAZ for har. Entry N (0-based) becomes session N+1.
func Convert(har []byte) ([]byte, error) {
	var doc harDoc
	har = bytes.TrimPrefix(har, []byte("\xef\xbb\xbf")) // Fiddler's own HAR export starts with a BOM
	if err := json.Unmarshal(har, &doc); err != nil {
		return nil, fmt.Errorf("har2saz: %w", err)
	}
	if len(doc.Log.Entries) == 0 {
		return nil, errors.New("har2saz: no entries")
	}
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	width := max(2, len(strconv.Itoa(len(doc.Log.Entries))))
	var index strings.Builder
	index.WriteString("<html><body><table><thead><tr><th>#</th><th>Result</th><th>URL</th></tr></thead><tbody>")
	modified := time.Time{}
	for i, e := range doc.Log.Entries {
		start, err := parseStart(e.StartedDateTime)
		if err != nil {
			return nil, fmt.Errorf("har2saz: entries[%d]: startedDateTime: %w", i, err)
		}
		if modified.IsZero() {
			modified = start
		}
		num := fmt.Sprintf("%0*d", width, i+1)
		files := []struct{ name, body string }{
			{"raw/" + num + "_c.txt", request(e)},
			{"raw/" + num + "_m.xml", metadata(i+1, e, start)},
		}
		if e.Response.Status > 0 {
			body, err := response(e)
			if err != nil {
				return nil, fmt.Errorf("har2saz: entries[%d]: %w", i, err)
			}
			files = append(files, struct{ name, body string }{"raw/" + num + "_s.txt", body})
		}
		for _, f := range files {
			w, err := zw.CreateHeader(&zip.FileHeader{Name: f.name, Method: zip.Deflate, Modified: modified})
			if err != nil {
				return nil, err
			}
			if _, err := w.Write([]byte(f.body)); err != nil {
				return nil, err
			}
		}
		fmt.Fprintf(&index, "<tr><td>%d</td><td>%d</td><td>%s</td></tr>", i+1, e.Response.Status, html.EscapeString(e.Request.URL))
	}
	index.WriteString("</tbody></table></body></html>")
	for _, f := range []struct{ name, body string }{
		{"_index.htm", index.String()},
		{"[Content_Types].xml", `<?xml version="1.0" encoding="utf-8" ?>` + "\r\n" +
			`<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">` +
			`<Default Extension="htm" ContentType="text/html" /><Default Extension="xml" ContentType="application/xml" />` +
			`<Default Extension="txt" ContentType="text/plain" /></Types>`},
	} {
		w, err := zw.CreateHeader(&zip.FileHeader{Name: f.name, Method: zip.Deflate, Modified: modified})
		if err != nil {
			return nil, err
		}
		w.Write([]byte(f.body))
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// parseStart reads startedDateTime in the ISO 8601 forms HAR writers use
// (with or without a colon in the offset); an absent one is the zero time,
// which the metadata writes as Fiddler's "never".
func parseStart(v string) (time.Time, error) {
	if v == "" {
		return time.Time{}, nil
	}
	var err error
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999Z0700"} {
		var t time.Time
		if t, err = time.Parse(layout, v); err == nil {
			return t, nil
		}
	}
	return time.Time{}, err
}

// connectionID reads HAR's connection field, a string or a number.
func connectionID(raw json.RawMessage) (int, bool) {
	var s string
	if json.Unmarshal(raw, &s) != nil {
		s = string(raw)
	}
	id, err := strconv.Atoi(s)
	return id, err == nil
}

// version maps HAR's httpVersion spellings to a start-line token.
func version(v string) string {
	switch strings.ToLower(v) {
	case "http/2.0", "http/2", "h2", "h2c":
		return "HTTP/2"
	case "http/3", "http/3.0", "h3":
		return "HTTP/3"
	case "http/1.0":
		return "HTTP/1.0"
	}
	return "HTTP/1.1"
}

// fields writes header fields without pseudo-headers and without the
// framing fields the rewritten body no longer matches, then the framing
// for body.
func fields(sb *strings.Builder, hs []harHeader, body string, hasBody bool) {
	for _, h := range hs {
		if strings.HasPrefix(h.Name, ":") {
			continue
		}
		switch strings.ToLower(h.Name) {
		case "content-length", "transfer-encoding", "content-encoding":
			continue
		}
		sb.WriteString(h.Name + ": " + h.Value + "\r\n")
	}
	if hasBody {
		sb.WriteString("Content-Length: " + strconv.Itoa(len(body)) + "\r\n")
	}
	sb.WriteString("\r\n")
	sb.WriteString(body)
}

func request(e harEntry) string {
	var sb strings.Builder
	sb.WriteString(e.Request.Method + " " + e.Request.URL + " " + version(e.Request.HTTPVersion) + "\r\n")
	hasHost := false
	for _, h := range e.Request.Headers {
		hasHost = hasHost || strings.EqualFold(h.Name, "host")
	}
	if !hasHost {
		if u, err := url.Parse(e.Request.URL); err == nil && u.Host != "" {
			sb.WriteString("Host: " + u.Host + "\r\n")
		}
	}
	body := ""
	if e.Request.PostData != nil {
		body = e.Request.PostData.Text
	}
	fields(&sb, e.Request.Headers, body, e.Request.PostData != nil)
	return sb.String()
}

func response(e harEntry) (string, error) {
	body := e.Response.Content.Text
	if e.Response.Content.Encoding == "base64" {
		raw, err := base64.StdEncoding.DecodeString(body)
		if err != nil {
			return "", fmt.Errorf("response body: %w", err)
		}
		body = string(raw)
	}
	text := e.Response.StatusText
	if text == "" {
		text = http.StatusText(e.Response.Status)
	}
	var sb strings.Builder
	sb.WriteString(version(e.Response.HTTPVersion) + " " + strconv.Itoa(e.Response.Status) + " " + text + "\r\n")
	fields(&sb, e.Response.Headers, body, true)
	return sb.String(), nil
}

// fiddlerTime is .NET's round-trip format, as _m.xml writes timers.
func fiddlerTime(t time.Time) string {
	if t.IsZero() {
		return "0001-01-01T00:00:00"
	}
	return t.Format("2006-01-02T15:04:05.0000000-07:00")
}

func ms(f float64) time.Duration {
	if f < 0 {
		return 0
	}
	return time.Duration(f * float64(time.Millisecond))
}

func metadata(number int, e harEntry, start time.Time) string {
	bits := 0
	if strings.HasPrefix(e.Request.URL, "https:") {
		bits |= bitIsHTTPS
	}
	t := e.Timings
	sent := start.Add(ms(t.Blocked) + ms(t.DNS) + ms(t.Connect) + ms(t.Send))
	firstByte := sent.Add(ms(t.Wait))
	end := start.Add(ms(e.Time))
	serverBegin := fiddlerTime(firstByte)
	if e.Response.Status == 0 {
		serverBegin = "0001-01-01T00:00:00"
	}
	var sb strings.Builder
	fmt.Fprintf(&sb, "\ufeff<?xml version=\"1.0\" encoding=\"utf-8\"?>\r\n<Session SID=\"%d\" BitFlags=\"%x\">\r\n", number, bits)
	fmt.Fprintf(&sb, "  <SessionTimers ClientConnected=\"%s\" ClientBeginRequest=\"%s\" ClientDoneRequest=\"%s\" "+
		"GatewayTime=\"0\" DNSTime=\"%d\" TCPConnectTime=\"%d\" ServerBeginResponse=\"%s\" ClientDoneResponse=\"%s\" />\r\n",
		fiddlerTime(start), fiddlerTime(start), fiddlerTime(sent), ms(t.DNS).Milliseconds(), ms(t.Connect).Milliseconds(),
		serverBegin, fiddlerTime(end))
	sb.WriteString("  <SessionFlags>\r\n")
	flag := func(n, v string) {
		fmt.Fprintf(&sb, "    <SessionFlag N=\"%s\" V=\"%s\" />\r\n", n, html.EscapeString(v))
	}
	// HAR's connection id stands in for the client port: one id, one
	// connection, which is what the port tells in a real SAZ.
	if id, ok := connectionID(e.Connection); ok && id > 0 && id < 65536 {
		flag("x-clientip", "127.0.0.1")
		flag("x-clientport", strconv.Itoa(id))
	}
	if e.ServerIP != "" {
		flag("x-hostip", strings.Trim(e.ServerIP, "[]"))
	}
	if e.Comment != "" {
		flag("ui-comments", e.Comment)
	}
	sb.WriteString("  </SessionFlags>\r\n</Session>")
	return sb.String()
}
