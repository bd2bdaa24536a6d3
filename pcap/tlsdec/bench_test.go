package tlsdec

import (
	"bytes"
	"crypto/tls"
	"strings"
	"testing"
)

// BenchmarkDecrypt measures record decryption (framing, AEAD or CBC+HMAC,
// chunking) over a recorded crypto/tls connection carrying 1 MiB from the
// server in full-size records. MB/s is plaintext throughput.
func BenchmarkDecrypt(b *testing.B) {
	cert := testCertificate(b)
	response := strings.Repeat("x", 1<<20)
	for _, tc := range []struct {
		name    string
		version uint16
		suite   uint16
	}{
		{"TLS13_AES_128_GCM", tls.VersionTLS13, 0},
		{"TLS12_AES_128_GCM", tls.VersionTLS12, tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256},
		{"TLS12_AES_256_GCM", tls.VersionTLS12, tls.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384},
		{"TLS12_CHACHA20_POLY1305", tls.VersionTLS12, tls.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256},
		{"TLS12_AES_128_CBC_SHA", tls.VersionTLS12, tls.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA},
		{"TLS12_AES_128_CBC_SHA256", tls.VersionTLS12, tls.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256},
	} {
		b.Run(tc.name, func(b *testing.B) {
			var keylog bytes.Buffer
			server := &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tc.version, MaxVersion: tc.version}
			client := &tls.Config{InsecureSkipVerify: true, KeyLogWriter: &keylog, MinVersion: tc.version, MaxVersion: tc.version}
			if tc.suite != 0 {
				server.CipherSuites = []uint16{tc.suite}
				client.CipherSuites = []uint16{tc.suite}
			}
			tr := goTLSSession(b, server, client, "GET / HTTP/1.1\r\n\r\n", response)
			keys, err := ParseKeyLog(&keylog)
			if err != nil {
				b.Fatal(err)
			}
			d := NewDecrypter(keys)
			b.SetBytes(int64(len(response)))
			b.ReportAllocs()
			for b.Loop() {
				_, chunks := decryptTranscript(d, tr)
				if len(chunks) == 0 {
					b.Fatal("nothing decrypted")
				}
			}
		})
	}
}
