package main

import (
	"encoding/json"
	"path/filepath"
	"testing"
)

// A capture of a NAT router taken with tcpdump -i any holds each packet
// before and after the translation. The callback was delivered once and
// the code redeemed four times (the first token request, then the same
// request again on the same connection and on a new one, and once more):
// the code-reuse finding counts four redemptions, not the eight of each
// packet's two copies, and names the retry, not a callback "requested
// again" that only its copy made.
func TestNATCopiesCodeReuse(t *testing.T) {
	code, out, errOut := runCLI(t, nil, "scan", "-f", "json", "--fail-on", "never", "--progress", "never",
		filepath.Join("..", "..", "pcap", "testdata", "nat-any.pcap"))
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var doc struct {
		Files []struct {
			Exchanges int `json:"exchanges"`
			Findings  []struct {
				Rule, Message, Mechanism string
			} `json:"findings"`
		} `json:"files"`
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Files) != 1 {
		t.Fatalf("%d files", len(doc.Files))
	}
	f := doc.Files[0]
	if f.Exchanges != 6 {
		t.Errorf("%d exchanges, want 6", f.Exchanges)
	}
	var reuse []string
	for _, x := range f.Findings {
		if x.Rule == "code-reuse" {
			reuse = append(reuse, x.Mechanism+": "+x.Message)
		}
		if x.Rule == "request-loop" {
			t.Errorf("request-loop from the copies: %s", x.Message)
		}
	}
	const want = "retry: authorization code sha256:a35b81a7d792 was redeemed 4 times; the redemption at frame 67 won, the second came 10ms after the first (capture clock); likely mechanism: the code was redeemed again after the first redemption was answered (a retry after a timeout, or a second component)"
	if len(reuse) != 1 || reuse[0] != want {
		t.Errorf("code-reuse findings %q, want [%q]", reuse, want)
	}
}
