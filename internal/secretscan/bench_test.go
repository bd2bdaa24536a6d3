package secretscan

import (
	"os"
	"testing"
)

// BenchmarkRedact sweeps the file named by SECRETSCAN_BENCH_FILE (a
// report, a listing), or a synthetic JSON listing.
func BenchmarkRedact(b *testing.B) {
	data := []byte(nil)
	if p := os.Getenv("SECRETSCAN_BENCH_FILE"); p != "" {
		var err error
		if data, err = os.ReadFile(p); err != nil {
			b.Fatal(err)
		}
	} else {
		line := `{"file":"a.har","format":"har","ref":"entries[12]","index":12,"time":"2026-01-02T03:04:05.000Z","method":"GET","url":"https://login.example.com/common/oauth2/v2.0/authorize?client_id=0f1e2d3c&state=sha256:0123456789ab&nonce=sha256:0123456789ab&code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM","status":200,"http_version":"HTTP/2"}` + "\n"
		for len(data) < 1<<20 {
			data = append(data, line...)
		}
	}
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		Redact(data)
	}
}
