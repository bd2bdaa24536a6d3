package tlsdec_test

import (
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/traceaudit/traceaudit/model"
	"github.com/traceaudit/traceaudit/pcap"
	"github.com/traceaudit/traceaudit/pcap/tlsdec"
)

// h3Requests is the HTTP/3 exchanges of a capture as "ref METHOD path
// status" lines.
func h3Requests(exs []*model.Exchange) []string {
	var out []string
	for _, ex := range exs {
		if ex.Request.Proto != "HTTP/3" {
			continue
		}
		status := "-"
		if ex.Response != nil {
			status = strconv.Itoa(ex.Response.Status)
		}
		u := ex.Request.URL
		if i := strings.IndexByte(u, '?'); i >= 0 {
			u = u[:i]
		}
		out = append(out, ex.Ref+" "+ex.Request.Method+" "+u+" "+status)
	}
	return out
}

// tsharkH3 reads a *.tshark-h3.txt expectation (gen-tshark-h3.sh): the
// frames where tshark finds a request's HEADERS frame.
func tsharkH3(t *testing.T, capture string) []string {
	t.Helper()
	raw, err := os.ReadFile(fixture(capture + ".tshark-h3.txt"))
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, l := range strings.Fields(string(raw)) {
		out = append(out, "frame "+l)
	}
	return out
}

// TestHTTP3MatchesTshark reads real sign-ins Chromium made over QUIC
// (pcap/testdata/quic/gen-quic.sh: a clean one and a redirect_uri refused, each
// with its key log embedded in the pcapng; the callback loaded twice, a
// pcap and its key log apart), and the same recording with two packets
// dropped and with packets moved (editcap, mergecap): every HTTP/3
// request is read, in the frame where tshark finds its HEADERS frame, with
// its method, URL and status.
//
// Also the same sign-in behind a server that validates addresses with
// Retry packets, one on UDP port 8443, one whose connections a NAT
// rebinds, and one over QUIC version 2.
func TestHTTP3MatchesTshark(t *testing.T) {
	cases := []struct {
		capture, keylog string
		want            []string
	}{
		{"quic/clean-dsb.pcapng", "", []string{
			"frame 33 GET https://app.localhost/login 302",
			"frame 71 GET https://auth.fosite.test/oauth2/auth 200",
			"frame 125 POST https://auth.fosite.test/oauth2/auth 303",
			"frame 127 GET https://app.localhost/callback 302",
			"frame 146 GET https://app.localhost/home 200",
		}},
		{"quic/mismatch-dsb.pcapng", "", []string{
			"frame 24 GET https://app.localhost/login 302",
			"frame 73 GET https://auth.fosite.test/oauth2/auth 400",
			"frame 91 GET https://auth.fosite.test/favicon.ico 404",
		}},
		{"quic/reload.pcap", "quic/reload.keys.log", []string{
			"frame 30 GET https://app.localhost/login 302",
			"frame 67 GET https://auth.fosite.test/oauth2/auth 200",
			"frame 112 POST https://auth.fosite.test/oauth2/auth 303",
			"frame 114 GET https://app.localhost/callback 200",
			"frame 167 GET https://app.localhost/callback 502",
		}},
		// Frame 112 (the login form's POST) and 171 (the answer to the
		// second callback) dropped: the POST is not read (its answer is
		// noted as an orphan), the second callback has no response.
		{"quic/reload-lossy.pcap", "quic/reload.keys.log", []string{
			"frame 30 GET https://app.localhost/login 302",
			"frame 67 GET https://auth.fosite.test/oauth2/auth 200",
			"frame 113 GET https://app.localhost/callback 200",
			"frame 166 GET https://app.localhost/callback -",
		}},
		// The server validates Chromium's address with a Retry first (two
		// Retries, one per datagram of its ClientHello; the client follows
		// the first): the Initial keys change with the Retry's connection ID.
		{"quic/retry.pcap", "quic/retry.keys.log", []string{
			"frame 31 GET https://app.localhost/login 302",
			"frame 88 GET https://auth.fosite.test/oauth2/auth 200",
			"frame 127 POST https://auth.fosite.test/oauth2/auth 303",
			"frame 132 GET https://app.localhost/callback 302",
			"frame 153 GET https://app.localhost/home 200",
		}},
		// QUIC on UDP port 8443, found by its client's first Initial.
		{"quic/port8443-dsb.pcapng", "", []string{
			"frame 9 GET https://app.localhost:8443/login 302",
			"frame 21 GET https://auth.fosite.test:8443/oauth2/auth 200",
			"frame 31 POST https://auth.fosite.test:8443/oauth2/auth 303",
			"frame 36 GET https://app.localhost:8443/callback 302",
			"frame 57 GET https://app.localhost:8443/home 200",
		}},
		// A NAT rebinds each connection mid-way (frames 75 and 124: the
		// client's packets come from a new port, the server validates the
		// path and answers there); Chromium's zero-length connection IDs
		// leave the server's packets only their 4-tuple to be placed by.
		// The server is on UDP port 4443.
		{"quic/rebind-dsb.pcapng", "", []string{
			"frame 35 GET https://app.localhost/login 302",
			"frame 78 GET https://auth.fosite.test/oauth2/auth 200",
			"frame 121 POST https://auth.fosite.test/oauth2/auth 303",
			"frame 130 GET https://app.localhost/callback 302",
			"frame 151 GET https://app.localhost/home 200",
		}},
		// QUIC version 2 (RFC 9369) end to end: its Initial salt, labels
		// and packet types.
		{"quic/v2-dsb.pcapng", "", []string{
			"frame 67 GET https://app.localhost/login 302",
			"frame 79 GET https://auth.fosite.test/oauth2/auth 200",
			"frame 123 POST https://auth.fosite.test/oauth2/auth 303",
			"frame 130 GET https://app.localhost/callback 302",
			"frame 149 GET https://app.localhost/home 200",
		}},
		// The POST's packet after its answer's, the second callback's
		// request after its answer and the token request it caused.
		{"quic/reload-reordered.pcap", "quic/reload.keys.log", []string{
			"frame 30 GET https://app.localhost/login 302",
			"frame 67 GET https://auth.fosite.test/oauth2/auth 200",
			"frame 113 POST https://auth.fosite.test/oauth2/auth 303",
			"frame 114 GET https://app.localhost/callback 200",
			"frame 171 GET https://app.localhost/callback 502",
		}},
	}
	for _, c := range cases {
		t.Run(c.capture, func(t *testing.T) {
			var keys []string
			if c.keylog != "" {
				keys = append(keys, c.keylog)
			}
			exs, notes := readCapture(t, c.capture, keys...)
			got := h3Requests(exs)
			if !slices.Equal(got, c.want) {
				t.Errorf("HTTP/3 requests:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(c.want, "\n"))
			}
			var frames []string
			for _, g := range got {
				frames = append(frames, strings.Join(strings.Fields(g)[:2], " "))
			}
			if ts := tsharkH3(t, c.capture); !slices.Equal(frames, ts) {
				t.Errorf("request frames %v, tshark's %v", frames, ts)
			}
			for _, n := range notes {
				switch n.Kind {
				case model.NoteQUIC, model.NoteGap, model.NoteMalformed:
					t.Errorf("note: %s %s %s", n.Kind, n.Ref, n.Message)
				case model.NoteOrphan:
					if c.capture != "quic/reload-lossy.pcap" || n.Ref != "frame 112" ||
						!strings.Contains(n.Message, "1 HTTP/3 response without a request") {
						t.Errorf("note: %s %s %s", n.Kind, n.Ref, n.Message)
					}
				}
			}
			// Exchanges come in the order their requests began.
			for i := 1; i < len(exs); i++ {
				if frameOf(exs[i].Ref) < frameOf(exs[i-1].Ref) {
					t.Errorf("%s after %s", exs[i].Ref, exs[i-1].Ref)
				}
			}
		})
	}
}

func frameOf(ref string) int {
	n, _ := strconv.Atoi(strings.TrimPrefix(ref, "frame "))
	return n
}

// TestHTTP3Bodies: the bodies and headers of a recorded sign-in, as the
// provider and the RP sent them (the callback's code, the login form, the
// refusal of the second redemption).
func TestHTTP3Bodies(t *testing.T) {
	exs, _ := readCapture(t, "quic/reload.pcap", "quic/reload.keys.log")
	byRef := map[string]*model.Exchange{}
	for _, ex := range exs {
		byRef[ex.Ref] = ex
	}
	form := byRef["frame 67"]
	if form == nil || form.Response == nil || !strings.Contains(string(form.Response.Body.Data), `name="password"`) ||
		form.Response.Body.Truncated || form.Conn != "127.0.0.1:36893-127.0.0.1:443" {
		t.Fatalf("login form: %+v", form)
	}
	post := byRef["frame 112"]
	if post == nil || !strings.Contains(string(post.Request.Body.Data), "username=alice") || post.Request.Body.MIMEType != "application/x-www-form-urlencoded" {
		t.Fatalf("login POST: %+v", post)
	}
	if loc := post.Response.Headers.Get("location"); !strings.HasPrefix(loc, "https://app.localhost/callback?code=") {
		t.Errorf("login POST answered with location %q", loc)
	}
	again := byRef["frame 167"]
	if again == nil || again.Response == nil || !strings.Contains(string(again.Response.Body.Data), "invalid_grant") ||
		again.Request.Headers.Get("user-agent") == "" || again.Request.Headers.Get("cookie") == "" {
		t.Fatalf("second callback: %+v", again)
	}
	if again.Response.Proto != "HTTP/3" || again.End.Before(again.Start) {
		t.Errorf("second callback: %s, %v to %v", again.Response.Proto, again.Start, again.End)
	}
}

// TestQPACKDynamicTable: Chromium encodes its requests with QPACK's
// dynamic table when the server allows a capacity (h3front -qpack-table
// 4096, gen-quic.sh qpack; quic-go's server itself cannot decode them and
// refuses them, so they have no response). tshark 4.0 shows the header
// sections referring to the table (prefix 0f00: a Required Insert Count)
// without decoding them; read here through the encoder stream's inserts,
// on each of Chromium's three attempts (each a new connection and table).
func TestQPACKDynamicTable(t *testing.T) {
	exs, notes := readCapture(t, "quic/qpack-dsb.pcapng")
	var h3 []*model.Exchange
	for _, ex := range exs {
		if ex.Request.Proto == "HTTP/3" {
			h3 = append(h3, ex)
		}
	}
	if got, want := h3Requests(exs), []string{
		"frame 34 GET https://app.localhost/login -",
		"frame 53 GET https://app.localhost/login -",
		"frame 71 GET https://app.localhost/login -",
	}; !slices.Equal(got, want) {
		t.Errorf("requests %q, want %q", got, want)
	}
	for _, ex := range h3 {
		h := ex.Request.Headers
		if len(h) != 17 || h.Get("sec-fetch-mode") != "navigate" || !strings.Contains(h.Get("user-agent"), "HeadlessChrome/148") ||
			h.Get("accept-encoding") != "gzip, deflate, br, zstd" || h.Get("priority") != "u=0, i" {
			t.Errorf("%s: %d headers %v", ex.Ref, len(h), h)
		}
	}
	for _, n := range notes {
		if n.Kind == model.NoteMalformed || n.Kind == model.NoteQUIC {
			t.Errorf("note: %s %s", n.Kind, n.Message)
		}
	}
}

// TestQUICWithoutKeys: without a key log the sign-in's QUIC connections
// are counted and named (their Initial packets need no secret), and the
// note says that a key log would let them be read; each is also noted as
// a TLS connection without keys, for the rules.
func TestQUICWithoutKeys(t *testing.T) {
	exs, notes := readCapture(t, "quic/reload.pcap")
	if got := h3Requests(exs); len(got) != 0 {
		t.Errorf("HTTP/3 read without keys: %v", got)
	}
	var quic, conns []string
	for _, n := range notes {
		switch {
		case n.Kind == model.NoteQUIC:
			quic = append(quic, n.Message)
		case n.Kind == model.NoteTLSNoKeys && strings.HasPrefix(n.Message, "quic "):
			conns = append(conns, n.Ref+" "+n.Host+" "+n.Conn+": "+n.Message[strings.Index(n.Message, "QUIC to"):])
		}
	}
	// One note per connection too, as for TLS over TCP.
	if want := []string{
		"frame 1 app.localhost 127.0.0.1:56710-127.0.0.1:443: QUIC to app.localhost not decrypted (no key log entry for its ClientHello): 16 packets client→server, 12 packets server→client",
		"frame 61 auth.fosite.test 127.0.0.1:36893-127.0.0.1:443: QUIC to auth.fosite.test not decrypted (no key log entry for its ClientHello): 17 packets client→server, 14 packets server→client",
	}; !slices.Equal(conns, want) {
		t.Errorf("connection notes:\n%s\nwant:\n%s", strings.Join(conns, "\n"), strings.Join(want, "\n"))
	}
	want := "quic/reload.pcap: 53 UDP packets on port 443 (QUIC, HTTP/3): 2 QUIC connections (to app.localhost, auth.fosite.test) not decrypted: no key log entry for their ClientHello; a key log with their secrets"
	if len(quic) != 1 || !strings.HasPrefix(quic[0], want) {
		t.Errorf("quic notes %q", quic)
	}
}

// TestQUICSomeKeys: a key log holding the secrets of one of the two QUIC
// connections (each connection's lines left out in turn): that one is
// read, the note names the other.
func TestQUICSomeKeys(t *testing.T) {
	raw, err := os.ReadFile(fixture("quic/reload.keys.log"))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(raw)), "\n")
	randoms := map[string]bool{}
	for _, l := range lines {
		randoms[strings.Fields(l)[1]] = true
	}
	var got []string
	for r := range randoms {
		var kept []string
		for _, l := range lines {
			if strings.Fields(l)[1] != r {
				kept = append(kept, l)
			}
		}
		keys, err := tlsdec.ParseKeyLog(strings.NewReader(strings.Join(kept, "\n")))
		if err != nil {
			t.Fatal(err)
		}
		f, err := os.Open(fixture("quic/reload.pcap"))
		if err != nil {
			t.Fatal(err)
		}
		rd, err := pcap.NewReader(f, pcap.Options{Decrypter: tlsdec.NewDecrypter(keys).StreamDecrypter()})
		if err != nil {
			t.Fatal(err)
		}
		exs, err := model.ReadAll(rd)
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		for _, n := range rd.Notes() {
			if n.Kind == model.NoteQUIC {
				hosts := map[string]bool{}
				for _, ex := range exs {
					if ex.Request.Proto == "HTTP/3" {
						hosts[strings.Split(strings.TrimPrefix(ex.Request.URL, "https://"), "/")[0]] = true
					}
				}
				got = append(got, fmt.Sprintf("%s | read %d", n.Message[strings.Index(n.Message, ": ")+2:strings.Index(n.Message, ";")], len(hosts)))
			}
		}
	}
	slices.Sort(got)
	if want := []string{
		"1 of 2 QUIC connections (to app.localhost) not decrypted: no key log entry for their ClientHello | read 1",
		"1 of 2 QUIC connections (to auth.fosite.test) not decrypted: no key log entry for their ClientHello | read 1",
	}; !slices.Equal(got, want) {
		t.Errorf("quic notes:\n%s", strings.Join(got, "\n"))
	}
}

// TestQUIC0RTT: Chromium resumes the TLS sessions of its warm-up visits
// (gen-quic.sh zerortt) and sends the sign-in's first requests to each
// host in 0-RTT packets (frames 140-141 and 156-157), opened with the
// key log's CLIENT_EARLY_TRAFFIC_SECRET. tshark 4.0 does not open 0-RTT
// packets: it finds every other request, and the answers to these two on
// their connections' first stream. Without the early secrets the two
// requests are missing, and the notes say why.
func TestQUIC0RTT(t *testing.T) {
	want := []string{
		"frame 56 GET https://app.localhost/favicon.ico 404",
		"frame 68 GET https://auth.fosite.test/favicon.ico 404",
		"frame 73 GET https://app.localhost/favicon.ico 404",
		"frame 79 GET https://auth.fosite.test/favicon.ico 404",
		"frame 141 GET https://app.localhost/login 302",
		"frame 157 GET https://auth.fosite.test/oauth2/auth 200",
		"frame 193 POST https://auth.fosite.test/oauth2/auth 303",
		"frame 208 GET https://app.localhost/callback 302",
		"frame 232 GET https://app.localhost/home 200",
	}
	exs, notes := readCapture(t, "quic/zerortt.pcap", "quic/zerortt.keys.log")
	got := h3Requests(exs)
	if !slices.Equal(got, want) {
		t.Errorf("HTTP/3 requests:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	var frames []string
	for _, g := range got {
		if f := strings.Join(strings.Fields(g)[:2], " "); f != "frame 141" && f != "frame 157" {
			frames = append(frames, f)
		}
	}
	if ts := tsharkH3(t, "quic/zerortt.pcap"); !slices.Equal(frames, ts) {
		t.Errorf("request frames but 0-RTT's %v, tshark's %v", frames, ts)
	}
	for _, n := range notes {
		switch n.Kind {
		case model.NoteQUIC, model.NoteGap, model.NoteMalformed, model.NoteOrphan, model.NoteTLSEarlyData:
			t.Errorf("note: %s %s %s", n.Kind, n.Ref, n.Message)
		}
	}

	// The key log without its two CLIENT_EARLY_TRAFFIC_SECRET lines.
	raw, err := os.ReadFile(fixture("quic/zerortt.keys.log"))
	if err != nil {
		t.Fatal(err)
	}
	var kept []string
	for _, l := range strings.Split(string(raw), "\n") {
		if !strings.HasPrefix(l, "CLIENT_EARLY_TRAFFIC_SECRET ") {
			kept = append(kept, l)
		}
	}
	if len(kept) != len(strings.Split(string(raw), "\n"))-2 {
		t.Fatalf("the key log holds %d lines, 2 of them early secrets expected", len(kept))
	}
	keys, err := tlsdec.ParseKeyLog(strings.NewReader(strings.Join(kept, "\n")))
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(fixture("quic/zerortt.pcap"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rd, err := pcap.NewReader(f, pcap.Options{Decrypter: tlsdec.NewDecrypter(keys).StreamDecrypter()})
	if err != nil {
		t.Fatal(err)
	}
	exs, err = model.ReadAll(rd)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := h3Requests(exs), slices.Delete(slices.Clone(want), 4, 6); !slices.Equal(got, want) {
		t.Errorf("without early secrets:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	var said []string
	for _, n := range rd.Notes() {
		switch n.Kind {
		case model.NoteTLSEarlyData, model.NoteOrphan, model.NoteQUIC:
			said = append(said, string(n.Kind)+" "+n.Ref+" "+n.Host+": "+n.Message[strings.Index(n.Message, ": ")+2:])
		}
	}
	if want := []string{
		"tls-early-data frame 140 app.localhost: 2 0-RTT packets (early data) to app.localhost not decrypted: the key log has no CLIENT_EARLY_TRAFFIC_SECRET for the connection (it holds its other secrets); the requests the client sent in them are missing unless the server refused the early data and the client sent them again",
		"orphan frame 149 : 1 HTTP/3 response without a request in the capture (its request was in 0-RTT packets not decrypted)",
		"tls-early-data frame 156 auth.fosite.test: 2 0-RTT packets (early data) to auth.fosite.test not decrypted: the key log has no CLIENT_EARLY_TRAFFIC_SECRET for the connection (it holds its other secrets); the requests the client sent in them are missing unless the server refused the early data and the client sent them again",
		"orphan frame 163 : 1 HTTP/3 response without a request in the capture (its request was in 0-RTT packets not decrypted)",
	}; !slices.Equal(said, want) {
		t.Errorf("notes:\n%s\nwant:\n%s", strings.Join(said, "\n"), strings.Join(want, "\n"))
	}
}

// TestQUIC0RTTRefused: the same, the front resuming the sessions but
// refusing their early data (gen-quic.sh zerortt-rejected, h3front
// -reject-0rtt): Chromium sends each host's first request in 0-RTT packets
// (frames 161 and 165, 175 and 177), the server's EncryptedExtensions lacks
// early_data, and Chromium sends the requests again in 1-RTT packets
// (frames 166 and 180), which the server answers. Those are the requests
// read, where tshark finds them; the 0-RTT copies, opened or not, are
// noted as refused and none is missing.
func TestQUIC0RTTRefused(t *testing.T) {
	want := []string{
		"frame 36 GET https://app.localhost/favicon.ico 404",
		"frame 81 GET https://auth.fosite.test/favicon.ico 404",
		"frame 85 GET https://app.localhost/favicon.ico 404",
		"frame 99 GET https://auth.fosite.test/favicon.ico 404",
		"frame 166 GET https://app.localhost/login 302",
		"frame 180 GET https://auth.fosite.test/oauth2/auth 200",
		"frame 225 POST https://auth.fosite.test/oauth2/auth 303",
		"frame 231 GET https://app.localhost/callback 302",
		"frame 252 GET https://app.localhost/home 200",
	}
	raw, err := os.ReadFile(fixture("quic/zerortt-rejected.keys.log"))
	if err != nil {
		t.Fatal(err)
	}
	var noEarly []string
	for _, l := range strings.Split(string(raw), "\n") {
		if !strings.HasPrefix(l, "CLIENT_EARLY_TRAFFIC_SECRET ") {
			noEarly = append(noEarly, l)
		}
	}
	for _, c := range []struct {
		keys string
		want []string
	}{
		{string(raw), []string{
			"tls-early-data-rejected frame 161 app.localhost: 2 0-RTT packets (early data) to app.localhost left out: the server refused the early data, so it never read them; the client sent their requests again after the handshake",
			"tls-early-data-rejected frame 175 auth.fosite.test: 2 0-RTT packets (early data) to auth.fosite.test left out: the server refused the early data, so it never read them; the client sent their requests again after the handshake",
		}},
		{strings.Join(noEarly, "\n"), []string{
			"tls-early-data frame 161 app.localhost: 2 0-RTT packets (early data) to app.localhost not decrypted (the key log has no CLIENT_EARLY_TRAFFIC_SECRET for the connection); the server refused the early data, so the client sent its requests again after the handshake",
			"tls-early-data frame 175 auth.fosite.test: 2 0-RTT packets (early data) to auth.fosite.test not decrypted (the key log has no CLIENT_EARLY_TRAFFIC_SECRET for the connection); the server refused the early data, so the client sent its requests again after the handshake",
		}},
	} {
		keys, err := tlsdec.ParseKeyLog(strings.NewReader(c.keys))
		if err != nil {
			t.Fatal(err)
		}
		f, err := os.Open(fixture("quic/zerortt-rejected.pcap"))
		if err != nil {
			t.Fatal(err)
		}
		rd, err := pcap.NewReader(f, pcap.Options{Decrypter: tlsdec.NewDecrypter(keys).StreamDecrypter()})
		if err != nil {
			t.Fatal(err)
		}
		exs, err := model.ReadAll(rd)
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		got := h3Requests(exs)
		if !slices.Equal(got, want) {
			t.Errorf("HTTP/3 requests:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
		var frames []string
		for _, g := range got {
			frames = append(frames, strings.Join(strings.Fields(g)[:2], " "))
		}
		if ts := tsharkH3(t, "quic/zerortt-rejected.pcap"); !slices.Equal(frames, ts) {
			t.Errorf("request frames %v, tshark's %v", frames, ts)
		}
		var said []string
		for _, n := range rd.Notes() {
			switch n.Kind {
			case model.NoteTLSEarlyData, model.NoteTLSEarlyDataRejected, model.NoteOrphan, model.NoteQUIC, model.NoteGap:
				said = append(said, string(n.Kind)+" "+n.Ref+" "+n.Host+": "+n.Message[strings.Index(n.Message, ": ")+2:])
			}
		}
		if !slices.Equal(said, c.want) {
			t.Errorf("notes:\n%s\nwant:\n%s", strings.Join(said, "\n"), strings.Join(c.want, "\n"))
		}
	}
}

// TestQPACKDynamicResponses: nghttp3's encoder (Debian 12's ngtcp2-server,
// gen-quic-ngtcp2.sh) inserts response fields into the dynamic table that
// Chromium allows (its encoder stream, stream 7: frames 9 and 21) and
// encodes the answers to a page and its subresources through them (their
// header sections begin with a Required Insert Count of 1 to 3); quic-go's
// server never does. Each answer is read with its fields, as the server
// sent them. tshark 4.0 finds the same request frames; it does not decode
// QPACK. One packet of the server's (frame 22) is opened by neither.
func TestQPACKDynamicResponses(t *testing.T) {
	exs, notes := readCapture(t, "quic/ngtcp2-dsb.pcapng")
	var got []string
	for _, ex := range exs {
		h := ex.Response.Headers
		got = append(got, fmt.Sprintf("%s %s %d server=%q type=%q length=%q body=%d", ex.Ref, ex.Request.URL, ex.Response.Status,
			h.Get("server"), h.Get("content-type"), h.Get("content-length"), len(ex.Response.Body.Data)))
	}
	want := []string{
		`frame 7 https://qpack.test/index.html 200 server="nghttp3/ngtcp2 server" type="text/html" length="181" body=181`,
		`frame 18 https://qpack.test/style.css 200 server="nghttp3/ngtcp2 server" type="text/css" length="13" body=13`,
		`frame 19 https://qpack.test/app.js 200 server="nghttp3/ngtcp2 server" type="text/javascript" length="15" body=15`,
		`frame 20 https://qpack.test/pixel.txt 200 server="nghttp3/ngtcp2 server" type="text/plain" length="2" body=2`,
		`frame 27 https://qpack.test/favicon.ico 404 server="nghttp3/ngtcp2 server" type="text/html; charset=utf-8" length="145" body=145`,
	}
	if !slices.Equal(got, want) {
		t.Errorf("exchanges:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	var frames []string
	for _, g := range h3Requests(exs) {
		frames = append(frames, strings.Join(strings.Fields(g)[:2], " "))
	}
	if ts := tsharkH3(t, "quic/ngtcp2-dsb.pcapng"); !slices.Equal(frames, ts) {
		t.Errorf("request frames %v, tshark's %v", frames, ts)
	}
	for _, n := range notes {
		if n.Kind != model.NoteQUIC || n.Ref != "frame 22" || !strings.HasSuffix(n.Message, "1 packets failed authentication (wrong keys or damage)") {
			t.Errorf("note: %s %s %s", n.Kind, n.Ref, n.Message)
		}
	}
}
