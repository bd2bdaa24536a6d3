package tlsdec_test

import (
	"bytes"
	"cmp"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/traceaudit/traceaudit/model"
	"github.com/traceaudit/traceaudit/pcap"
	"github.com/traceaudit/traceaudit/pcap/tlsdec"
)

type tsharkRequest struct {
	frame               int
	method, path, proto string
}

func readTshark(t *testing.T, name string) []tsharkRequest {
	t.Helper()
	raw, err := os.ReadFile(fixture(name))
	if err != nil {
		t.Fatal(err)
	}
	var out []tsharkRequest
	for _, line := range strings.Split(string(raw), "\n") {
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.Split(line, "\t")
		n, err := strconv.Atoi(f[0])
		if err != nil || len(f) != 4 {
			t.Fatalf("%s: bad line %q", name, line)
		}
		out = append(out, tsharkRequest{n, f[1], f[2], f[3]})
	}
	return out
}

// readTsharkStatuses reads a *.tshark-status.txt expectation: the
// response status codes tshark finds, one per line.
func readTsharkStatuses(t *testing.T, name string) map[int]int {
	t.Helper()
	raw, err := os.ReadFile(fixture(name))
	if err != nil {
		t.Fatal(err)
	}
	out := map[int]int{}
	for _, line := range strings.Split(string(raw), "\n") {
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		n, err := strconv.Atoi(line)
		if err != nil {
			t.Fatalf("%s: bad line %q", name, line)
		}
		out[n]++
	}
	return out
}

// pathOf returns the request target of an absolute URL.
func pathOf(u string) string {
	if i := strings.Index(u, "://"); i >= 0 {
		u = u[i+3:]
		if j := strings.IndexByte(u, '/'); j >= 0 {
			return u[j:]
		}
		return "/"
	}
	return u
}

// readCapture runs the pcap reader with the tlsdec hook over a capture.
func readCapture(t *testing.T, capture string, keylogs ...string) ([]*model.Exchange, []model.Note) {
	t.Helper()
	var logs []*tlsdec.KeyLog
	for _, name := range keylogs {
		f, err := os.Open(fixture(name))
		if err != nil {
			t.Fatal(err)
		}
		k, err := tlsdec.ParseKeyLog(f)
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		logs = append(logs, k)
	}
	f, err := os.Open(fixture(capture))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		t.Fatal(err)
	}
	keys, notes, err := tlsdec.KeysForCapture(f, st.Size(), logs...)
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range notes {
		t.Errorf("note about embedded secrets: %+v", n)
	}
	r, err := pcap.NewReader(f, pcap.Options{Name: capture, Decrypter: tlsdec.NewDecrypter(keys).StreamDecrypter()})
	if err != nil {
		t.Fatal(err)
	}
	exs, err := model.ReadAll(r)
	if err != nil {
		t.Fatalf("after %d exchanges: %v", len(exs), err)
	}
	return exs, r.Notes()
}

// TestPCAPRequestsMatchTshark reads each keyed TLS capture through the pcap
// reader with the tlsdec hook and compares the HTTP requests with tshark's.
func TestPCAPRequestsMatchTshark(t *testing.T) {
	cases := []struct {
		capture string
		keylog  string // "" when the keys are embedded in the pcapng
		tshark  string
		notes   []string // note kinds expected, in order
		// omit lists paths tshark shows that the reader deliberately
		// leaves out: 0-RTT requests the server rejected.
		omit []string
	}{
		{"tls12-decryption.pcap", "tls12-decryption.DERIVED.keys", "tls12-decryption.tshark.txt", nil, nil},
		{"tls12-decryption-dsb.pcapng", "", "tls12-decryption-dsb.tshark.txt", nil, nil},
		{"http-chunked-ssl.pcapng", "", "http-chunked-ssl.tshark.txt", nil, nil},
		{"fluxzy-example.com-conn1.pcapng", "fluxzy-example.com-conn1.nsskeylog", "fluxzy-example.com-conn1.tshark.txt", nil, nil},
		{"fluxzy-example.com-conn1-dsb.pcapng", "", "fluxzy-example.com-conn1-dsb.tshark.txt", nil, nil},
		{"fluxzy-grpc-samples-conn9.pcapng", "fluxzy-grpc-samples-conn9.nsskeylog", "fluxzy-grpc-samples-conn9.tshark.txt", nil, nil},
		{"fluxzy-pink-floyd-conn14.pcapng", "fluxzy-pink-floyd-conn14.nsskeylog", "fluxzy-pink-floyd-conn14.tshark.txt", nil, nil},
		{"openssl-tls12.pcapng", "openssl-tls12.keys", "openssl-tls12.tshark.txt", nil, nil},
		{"openssl-tls13.pcapng", "openssl-tls13.keys", "openssl-tls13.tshark.txt", nil, nil},
		{"openssl-tls13.pcapng", "openssl-tls13-noearly.keys", "openssl-tls13-noearly.tshark.txt", []string{"tls-early-data"}, nil},
		{"openssl-tls12-reneg.pcapng", "openssl-tls12-reneg.keys", "openssl-tls12-reneg.tshark.txt", nil, nil},
		// The renegotiation resumes the first session by ticket: the first
		// handshake's key decrypts both.
		{"openssl-tls12-reneg.pcapng", "openssl-tls12-reneg-first.keys", "openssl-tls12-reneg-first.tshark.txt", nil, nil},
		// Frames 150-153 (two server segments) removed: the reader resumes
		// decryption after the gap.
		{"fluxzy-pink-floyd-conn14-gap.pcapng", "fluxzy-pink-floyd-conn14.nsskeylog", "fluxzy-pink-floyd-conn14-gap.tshark.txt", []string{"tls-gap"}, nil},
		// The team's fixture lab: Chromium and Go over TLS 1.3, HTTP/2 and
		// HTTP/1.1, real OAuth sign-ins.
		{"lab-clean-zitadel-h2.pcap", "lab-clean-zitadel-h2.keys", "lab-clean-zitadel-h2.tshark.txt", nil, nil},
		{"lab-clean-fosite-http1-tls.pcap", "lab-clean-fosite-http1-tls.keys", "lab-clean-fosite-http1-tls.tshark.txt", nil, nil},
		// TLS 1.0 (chained CBC IVs, MD5/SHA-1 PRF) with and without
		// encrypt-then-MAC, and TLS 1.1; key log with RSA lines to skip.
		{"openssl-tls10-11.pcapng", "openssl-tls10-11.keys", "openssl-tls10-11.tshark.txt", nil, nil},
		{"openssl-tls13-rejected.pcapng", "openssl-tls13-rejected.keys", "openssl-tls13-rejected.tshark.txt", []string{"tls-early-data-rejected"}, []string{"/early"}},
	}
	for _, tc := range cases {
		t.Run(tc.capture+"+"+tc.keylog, func(t *testing.T) {
			var keylogs []string
			if tc.keylog != "" {
				keylogs = append(keylogs, tc.keylog)
			}
			exs, notes := readCapture(t, tc.capture, keylogs...)
			var kinds []string
			for _, n := range notes {
				if strings.HasPrefix(string(n.Kind), "tls-") {
					kinds = append(kinds, string(n.Kind))
				}
				t.Logf("note %+v", n)
			}
			if strings.Join(kinds, " ") != strings.Join(tc.notes, " ") {
				t.Errorf("TLS notes %v, want %v", kinds, tc.notes)
			}
			want := slices.DeleteFunc(readTshark(t, tc.tshark), func(r tsharkRequest) bool {
				return slices.Contains(tc.omit, r.path)
			})
			if n := len(readTshark(t, tc.tshark)) - len(want); n != len(tc.omit) {
				t.Fatalf("tshark lists %d of the %d omitted paths", n, len(tc.omit))
			}
			var got []tsharkRequest
			for _, ex := range exs {
				if !strings.HasPrefix(ex.Request.URL, "https://") {
					t.Errorf("%s: URL %q is not https", ex.Ref, ex.Request.URL)
				}
				n, err := strconv.Atoi(strings.TrimPrefix(ex.Ref, "frame "))
				if err != nil {
					t.Errorf("ref %q", ex.Ref)
				}
				proto := "HTTP/1"
				if ex.Request.Proto == "HTTP/2" {
					proto = "HTTP/2"
				}
				got = append(got, tsharkRequest{n, ex.Request.Method, pathOf(ex.Request.URL), proto})
			}
			// HTTP/2 requests that share a frame come in stream order from
			// tshark and in completion order from the reader: compare as
			// sets, pairing equal requests by frame.
			byRequest := func(a, b tsharkRequest) int {
				return cmp.Or(strings.Compare(a.method, b.method), strings.Compare(a.path, b.path), a.frame-b.frame)
			}
			// Every response tshark decrypts, the reader finds too (tshark
			// misses HTTP/1.0 responses that end at connection close, so
			// the reader may find more).
			statuses := map[int]int{}
			for _, ex := range exs {
				if ex.Status() != 0 {
					statuses[ex.Status()]++
				}
			}
			for code, n := range readTsharkStatuses(t, strings.TrimSuffix(tc.tshark, ".tshark.txt")+".tshark-status.txt") {
				if statuses[code] < n {
					t.Errorf("%d responses with status %d, tshark %d", statuses[code], code, n)
				}
			}
			slices.SortFunc(got, byRequest)
			slices.SortFunc(want, byRequest)
			if len(got) != len(want) {
				t.Fatalf("%d requests, tshark %d:\ngot  %v\nwant %v", len(got), len(want), got, want)
			}
			for i, w := range want {
				g := got[i]
				if g.method != w.method || g.path != w.path || g.proto != w.proto {
					t.Errorf("request %s %s %s, tshark %s %s %s", g.method, g.path, g.proto, w.method, w.path, w.proto)
				}
				// Our frame is where the request's first record started;
				// tshark's where the request was complete: never earlier.
				if g.frame < 1 || g.frame > w.frame {
					t.Errorf("request %s in frame %d, tshark frame %d", w.path, g.frame, w.frame)
				}
			}
		})
	}
}

// TestPCAPWrongKeys: a key log for other captures decrypts nothing and
// each TLS connection is reported, with its SNI.
func TestPCAPWrongKeys(t *testing.T) {
	exs, notes := readCapture(t, "tls12-decryption.pcap", "illustrated-tls13-keylog.txt")
	if len(exs) != 0 {
		t.Errorf("%d exchanges from a capture without its keys", len(exs))
	}
	var found bool
	for _, n := range notes {
		if n.Kind == "tls-no-keys" && strings.Contains(n.Message, "heise.de") {
			found = true
		}
	}
	if !found {
		t.Errorf("no tls-no-keys note naming heise.de in %+v", notes)
	}
}

func TestDirectionsAgree(t *testing.T) {
	if tlsdec.Direction(pcap.ClientToServer) != tlsdec.ClientToServer || tlsdec.Direction(pcap.ServerToClient) != tlsdec.ServerToClient {
		t.Fatal("tlsdec and pcap number directions differently")
	}
}

// FuzzPCAPWithKeys runs damaged captures through the pcap reader with the
// tlsdec hook and the seeds' keys: gaps, cut records and garbage reach the
// decrypter through the real pipeline. No panic; every TLS note explained.
func FuzzPCAPWithKeys(f *testing.F) {
	keys := &tlsdec.KeyLog{}
	for _, tc := range []struct{ capture, keylog string }{
		{"tls12-decryption.pcap", "tls12-decryption.DERIVED.keys"},
		{"illustrated-tls13-capture.pcap", "illustrated-tls13-keylog.txt"},
		{"fluxzy-example.com-conn1-dsb.pcapng", ""},
		{"openssl-tls13.pcapng", "openssl-tls13.keys"},
		// HTTP/2 behind TLS (a real sign-in: HPACK, DATA, the OAuth
		// requests) and HTTP/3 behind QUIC with a QPACK dynamic table
		// (keys in the capture): without them no input reaches h2.go's
		// frames past the preface, nor quic/, h3.go or qpack.go.
		{"lab-clean-zitadel-h2.pcap", "lab-clean-zitadel-h2.keys"},
		{"quic/qpack-dsb.pcapng", ""},
		{"quic/ngtcp2-dsb.pcapng", ""},
	} {
		raw, err := os.ReadFile(fixture(tc.capture))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(raw)
		if tc.keylog != "" {
			k, err := tlsdec.ReadKeyLogFiles(fixture(tc.keylog))
			if err != nil {
				f.Fatal(err)
			}
			keys.Merge(k)
		}
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		all, _, err := tlsdec.KeysForCapture(bytes.NewReader(in), int64(len(in)), keys)
		if err != nil {
			all = keys
		}
		r, err := pcap.NewReader(bytes.NewReader(in), pcap.Options{Decrypter: tlsdec.NewDecrypter(all).StreamDecrypter()})
		if err != nil {
			return
		}
		for i := 0; i < 10000; i++ {
			if _, err := r.Next(); err != nil {
				break
			}
		}
		for _, n := range r.Notes() {
			if strings.HasPrefix(string(n.Kind), "tls-") && n.Message == "" {
				t.Fatalf("empty note %+v", n)
			}
		}
	})
}

// fixture is a test file's path: tlsdec's own testdata, or pcap's for the
// captures both packages test (kept once, in pcap/testdata).
func fixture(name string) string {
	if _, err := os.Stat(filepath.Join("testdata", name)); err == nil {
		return filepath.Join("testdata", name)
	}
	return filepath.Join("..", "testdata", name)
}
