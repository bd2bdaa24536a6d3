package tlsdec

import (
	"bufio"
	"bytes"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"
)

// request is one HTTP request found in decrypted data.
type request struct {
	frame  int
	method string
	path   string
	proto  string // HTTP/1 or HTTP/2
}

// readTsharkRequests reads a *.tshark.txt expectation (see gen-tshark.sh).
func readTsharkRequests(t *testing.T, name string) []request {
	t.Helper()
	raw, err := os.ReadFile(fixture(name))
	if err != nil {
		t.Fatal(err)
	}
	var out []request
	for _, line := range strings.Split(string(raw), "\n") {
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.Split(line, "\t")
		if len(f) != 4 {
			t.Fatalf("%s: bad line %q", name, line)
		}
		n, err := strconv.Atoi(f[0])
		if err != nil {
			t.Fatalf("%s: bad frame in %q", name, line)
		}
		out = append(out, request{n, f[1], f[2], f[3]})
	}
	return out
}

// frameAt maps an offset in one direction's plaintext to the frame that
// carried the record holding it.
func frameAt(chunks []Chunk, dir Direction, off int) int {
	for _, c := range chunks {
		if c.Dir != dir {
			continue
		}
		if off < len(c.Data) {
			return c.Frame
		}
		off -= len(c.Data)
	}
	return -1
}

// http1Requests parses the client plaintext as HTTP/1.x requests.
func http1Requests(t *testing.T, chunks []Chunk) []request {
	data := plaintext(chunks, ClientToServer)
	r := bytes.NewReader(data)
	br := bufio.NewReader(r)
	var out []request
	for {
		off := len(data) - r.Len() - br.Buffered()
		req, err := http.ReadRequest(br)
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatalf("HTTP/1 request at plaintext byte %d: %v", off, err)
		}
		if _, err := io.Copy(io.Discard, req.Body); err != nil {
			t.Fatalf("HTTP/1 body at plaintext byte %d: %v", off, err)
		}
		out = append(out, request{frameAt(chunks, ClientToServer, off), req.Method, req.URL.RequestURI(), "HTTP/1"})
	}
}

// http2Requests parses the client plaintext as an HTTP/2 connection and
// returns its requests in HEADERS order.
func http2Requests(t *testing.T, chunks []Chunk) []request {
	data := plaintext(chunks, ClientToServer)
	if !bytes.HasPrefix(data, []byte(http2.ClientPreface)) {
		t.Fatalf("client plaintext does not start with the HTTP/2 preface: %q", data[:min(len(data), 24)])
	}
	r := bytes.NewReader(data[len(http2.ClientPreface):])
	fr := http2.NewFramer(io.Discard, r)
	fr.ReadMetaHeaders = hpack.NewDecoder(4096, nil)
	var out []request
	for {
		off := len(data) - r.Len()
		f, err := fr.ReadFrame()
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			return out
		}
		if err != nil {
			t.Fatalf("HTTP/2 frame at plaintext byte %d: %v", off, err)
		}
		if mh, ok := f.(*http2.MetaHeadersFrame); ok {
			out = append(out, request{frameAt(chunks, ClientToServer, off), mh.PseudoValue("method"), mh.PseudoValue("path"), "HTTP/2"})
		}
	}
}

var captureCases = []struct {
	capture string
	keylog  string // "" when the keys are embedded in the pcapng
	tshark  string // expected requests; "" when the traffic is not HTTP
	version string
	suite   string
	alpn    string
	records [2]int // decrypted records per direction, 0 when unknown
	notes   []string
}{
	{"tls12-decryption.pcap", "tls12-decryption.DERIVED.keys", "tls12-decryption.tshark.txt", "TLS 1.2", "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384", "http/1.1", [2]int{}, nil},
	{"tls12-decryption-dsb.pcapng", "", "tls12-decryption-dsb.tshark.txt", "TLS 1.2", "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384", "http/1.1", [2]int{}, nil},
	{"http-chunked-ssl.pcapng", "", "http-chunked-ssl.tshark.txt", "TLS 1.2", "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", "", [2]int{}, nil},
	{"fluxzy-example.com-conn1.pcapng", "fluxzy-example.com-conn1.nsskeylog", "fluxzy-example.com-conn1.tshark.txt", "TLS 1.3", "TLS_CHACHA20_POLY1305_SHA256", "h2", [2]int{5, 6}, nil},
	{"fluxzy-example.com-conn1-dsb.pcapng", "", "fluxzy-example.com-conn1-dsb.tshark.txt", "TLS 1.3", "TLS_CHACHA20_POLY1305_SHA256", "h2", [2]int{}, nil},
	{"fluxzy-grpc-samples-conn9.pcapng", "fluxzy-grpc-samples-conn9.nsskeylog", "fluxzy-grpc-samples-conn9.tshark.txt", "TLS 1.3", "TLS_AES_128_GCM_SHA256", "h2", [2]int{40, 47}, nil},
	{"fluxzy-pink-floyd-conn14.pcapng", "fluxzy-pink-floyd-conn14.nsskeylog", "fluxzy-pink-floyd-conn14.tshark.txt", "TLS 1.3", "TLS_CHACHA20_POLY1305_SHA256", "h2", [2]int{46, 33}, nil},
	{"illustrated-tls13-capture.pcap", "illustrated-tls13-keylog.txt", "", "TLS 1.3", "TLS_AES_256_GCM_SHA384", "", [2]int{}, nil},
	// OpenSSL: CBC with encrypt-then-MAC (SHA-256, SHA-384), and a session
	// ID resumption whose key line is left out of the key log.
	{"openssl-tls12.pcapng", "openssl-tls12.keys", "openssl-tls12.tshark.txt", "TLS 1.2", "", "", [2]int{}, nil},
	// TLS 1.0 and 1.1, several suites: version and suite not checked.
	{"openssl-tls10-11.pcapng", "openssl-tls10-11.keys", "openssl-tls10-11.tshark.txt", "", "", "", [2]int{}, nil},
	// OpenSSL: key update, then a resumed connection with 0-RTT early data.
	{"openssl-tls13.pcapng", "openssl-tls13.keys", "openssl-tls13.tshark.txt", "TLS 1.3", "TLS_AES_256_GCM_SHA384", "", [2]int{}, nil},
	{"openssl-tls13.pcapng", "openssl-tls13-noearly.keys", "openssl-tls13-noearly.tshark.txt", "TLS 1.3", "TLS_AES_256_GCM_SHA384", "", [2]int{}, []string{"tls-early-data"}},
}

// TestCaptures decrypts every corpus capture that comes with keys and
// compares the HTTP requests in the plaintext with tshark's.
func TestCaptures(t *testing.T) {
	for _, tc := range captureCases {
		t.Run(tc.capture+"+"+tc.keylog, func(t *testing.T) {
			var keys *KeyLog
			if tc.keylog != "" {
				keys = readKeyLogFile(t, tc.keylog)
			} else {
				keys = readEmbeddedKeys(t, tc.capture)
			}
			if keys.Len() == 0 {
				t.Fatal("no keys")
			}
			d := NewDecrypter(keys)
			var tlsConns int
			var got []request
			var notes []string
			for _, tcpc := range readConns(t, tc.capture) {
				if len(tcpc.segs) == 0 || !LooksLikeTLS(tcpc.segs[0].data) {
					continue
				}
				tlsConns++
				c, chunks := decryptConn(d, tcpc)
				for _, n := range c.Notes() {
					notes = append(notes, string(n.Kind))
					t.Logf("%s: note %+v", tcpc.name, n)
				}
				in := c.Info()
				if (tc.version != "" && in.Version != tc.version) || (tc.suite != "" && in.Suite != tc.suite) || in.ALPN != tc.alpn || !in.Decrypted {
					t.Errorf("%s: info = %+v, want %s %s alpn %q decrypted", tcpc.name, in, tc.version, tc.suite, tc.alpn)
				}
				// The MANIFEST's record counts come from the Fluxzy archive.
				if tc.records != [2]int{} && in.Records != tc.records {
					t.Errorf("%s: decrypted records %v, want %v", tcpc.name, in.Records, tc.records)
				}
				if in.Records[ClientToServer] == 0 || in.Records[ServerToClient] == 0 {
					t.Errorf("%s: decrypted records %v", tcpc.name, in.Records)
				}
				if tc.tshark == "" {
					continue
				}
				if in.HTTP2 {
					got = append(got, http2Requests(t, chunks)...)
				} else {
					got = append(got, http1Requests(t, chunks)...)
				}
			}
			if tlsConns == 0 {
				t.Fatal("no TLS connection found")
			}
			if strings.Join(notes, " ") != strings.Join(tc.notes, " ") {
				t.Errorf("notes %v, want %v", notes, tc.notes)
			}
			if tc.tshark == "" {
				return
			}
			want := readTsharkRequests(t, tc.tshark)
			if len(got) != len(want) {
				t.Fatalf("found %d requests, tshark %d:\ngot  %v\nwant %v", len(got), len(want), got, want)
			}
			for i := range want {
				g, w := got[i], want[i]
				if g.method != w.method || g.path != w.path || g.proto != w.proto {
					t.Errorf("request %d = %s %s %s, tshark %s %s %s", i, g.method, g.path, g.proto, w.method, w.path, w.proto)
				}
				// tshark names the frame that completed the request; ours is
				// where its first record started, never later.
				if g.frame < 1 || g.frame > w.frame {
					t.Errorf("request %d (%s %s) in frame %d, tshark frame %d", i, g.method, g.path, g.frame, w.frame)
				}
			}
		})
	}
}

// TestIllustratedTLS13 checks the decrypted bytes of The Illustrated TLS
// 1.3 Connection: the client says "ping", the server "pong".
func TestIllustratedTLS13(t *testing.T) {
	d := NewDecrypter(readKeyLogFile(t, "illustrated-tls13-keylog.txt"))
	conns := readConns(t, "illustrated-tls13-capture.pcap")
	if len(conns) != 1 {
		t.Fatalf("%d connections, want 1", len(conns))
	}
	c, chunks := decryptConn(d, conns[0])
	if got := string(plaintext(chunks, ClientToServer)); got != "ping" {
		t.Errorf("client plaintext %q, want %q", got, "ping")
	}
	if got := string(plaintext(chunks, ServerToClient)); got != "pong" {
		t.Errorf("server plaintext %q, want %q", got, "pong")
	}
	if in := c.Info(); in.SNI != "example.ulfheim.net" {
		t.Errorf("SNI %q", in.SNI)
	}
	for _, ch := range chunks {
		if ch.Frame < 1 || ch.Time.IsZero() {
			t.Errorf("chunk without frame or time: %+v", ch)
		}
	}
}
