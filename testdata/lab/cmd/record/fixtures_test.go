package main

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// The recorded fixtures must stay consistent with their expectations: these
// tests read every committed scenario and check that each ref points at the
// evidence it claims, without trusting the recorder's own bookkeeping.

const scenarioDir = "../../scenarios"

var fixtureFiles = []string{"trace.har", "capture.pcap", "keys.log", "capture-dsb.pcapng", "expect.json", "README.md"}

func scenarioNames(t *testing.T) []string {
	t.Helper()
	dirs, err := os.ReadDir(scenarioDir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, d := range dirs {
		if d.IsDir() {
			names = append(names, d.Name())
		}
	}
	if len(names) < 12 {
		t.Fatalf("%d scenarios recorded, want at least 12", len(names))
	}
	return names
}

type fixtureHAR struct {
	Log struct {
		Entries []struct {
			StartedDateTime string `json:"startedDateTime"`
			Request         struct {
				Method   string `json:"method"`
				URL      string `json:"url"`
				PostData *struct {
					Text string `json:"text"`
				} `json:"postData"`
			} `json:"request"`
			Response struct {
				Status      int    `json:"status"`
				RedirectURL string `json:"redirectURL"`
				Content     struct {
					Text string `json:"text"`
				} `json:"content"`
			} `json:"response"`
		} `json:"entries"`
	} `json:"log"`
}

// codesIn returns every authorization code an entry carries: in its URL
// query, its form body, its Location or its form_post page.
func codesIn(t *testing.T, h *fixtureHAR, i int) []string {
	t.Helper()
	e := h.Log.Entries[i]
	var codes []string
	for _, raw := range []string{e.Request.URL, e.Response.RedirectURL} {
		if u, err := url.Parse(raw); err == nil && u.Query().Get("code") != "" {
			codes = append(codes, u.Query().Get("code"))
		}
	}
	if e.Request.PostData != nil {
		if f, err := url.ParseQuery(e.Request.PostData.Text); err == nil && f.Get("code") != "" {
			codes = append(codes, f.Get("code"))
		}
	}
	if m := regexp.MustCompile(`name="code" value="([^"]*)"`).FindStringSubmatch(e.Response.Content.Text); m != nil {
		codes = append(codes, m[1])
	}
	return codes
}

// pcapPackets counts the records of a classic pcap file.
func pcapPackets(t *testing.T, b []byte) int {
	t.Helper()
	if len(b) < 24 {
		t.Fatalf("pcap too short: %d bytes", len(b))
	}
	var order binary.ByteOrder
	switch binary.LittleEndian.Uint32(b) {
	case 0xa1b2c3d4, 0xa1b23c4d:
		order = binary.LittleEndian
	default:
		order = binary.BigEndian
	}
	n := 0
	for off := 24; off+16 <= len(b); n++ {
		incl := int(order.Uint32(b[off+8:]))
		if incl < 0 || off+16+incl > len(b) {
			t.Fatalf("pcap record %d overruns the file", n+1)
		}
		off += 16 + incl
	}
	return n
}

// hasDSB reports whether a little-endian pcapng holds a Decryption Secrets
// Block (type 0x0A) of TLS key-log secrets.
func hasDSB(t *testing.T, b []byte) bool {
	t.Helper()
	for off := 0; off+12 <= len(b); {
		typ := binary.LittleEndian.Uint32(b[off:])
		size := int(binary.LittleEndian.Uint32(b[off+4:]))
		if size < 12 || off+size > len(b) {
			t.Fatalf("pcapng block at %d has bad size %d", off, size)
		}
		if typ == 0x0A && binary.LittleEndian.Uint32(b[off+8:]) == 0x544c534b { // "TLSK"
			return true
		}
		off += size
	}
	return false
}

var keyLogLine = regexp.MustCompile(`^(CLIENT_RANDOM|CLIENT_HANDSHAKE_TRAFFIC_SECRET|SERVER_HANDSHAKE_TRAFFIC_SECRET|CLIENT_TRAFFIC_SECRET_0|SERVER_TRAFFIC_SECRET_0|EXPORTER_SECRET) [0-9a-f]{64} [0-9a-f]+$`)

func TestFixtures(t *testing.T) {
	for _, name := range scenarioNames(t) {
		t.Run(name, func(t *testing.T) {
			dir := filepath.Join(scenarioDir, name)
			files := map[string][]byte{}
			want := fixtureFiles
			if _, err := os.Stat(filepath.Join(dir, "capture-server.pcap")); err == nil {
				want = append(slices.Clone(fixtureFiles), serverFiles...)
			}
			for _, f := range want {
				b, err := os.ReadFile(filepath.Join(dir, f))
				if err != nil {
					t.Fatal(err)
				}
				if len(b) >= 200*1024 {
					t.Errorf("%s is %d bytes, over the 200 KB budget", f, len(b))
				}
				files[f] = b
			}
			var har fixtureHAR
			if err := json.Unmarshal(files["trace.har"], &har); err != nil {
				t.Fatalf("trace.har: %v", err)
			}
			if len(har.Log.Entries) == 0 {
				t.Fatal("trace.har has no entries")
			}
			var exp expectation
			if err := json.Unmarshal(files["expect.json"], &exp); err != nil {
				t.Fatalf("expect.json: %v", err)
			}
			if exp.Scenario != name {
				t.Errorf("expect.json names scenario %q", exp.Scenario)
			}
			packets := pcapPackets(t, files["capture.pcap"])
			serverPackets := 0
			if files["capture-server.pcap"] != nil {
				serverPackets = pcapPackets(t, files["capture-server.pcap"])
				// the server side may have seen no TLS at all (no back-channel
				// call behind a TLS-terminating proxy)
				serverTLS := len(bytes.TrimSpace(files["keys-server.log"])) > 0
				if serverTLS && !hasDSB(t, files["capture-server-dsb.pcapng"]) {
					t.Error("capture-server-dsb.pcapng has no TLS Decryption Secrets Block")
				}
				for _, l := range strings.Split(strings.TrimSpace(string(files["keys-server.log"])), "\n") {
					if l != "" && !keyLogLine.MatchString(l) {
						t.Errorf("keys-server.log line is not NSS key-log format: %.40q", l)
					}
				}
				if exp.Case == nil || len(exp.Case.Findings) != len(exp.Findings) {
					t.Error("a scenario with a server capture needs the case expectation of every finding")
				}
			}
			keyLines := strings.Fields(strings.TrimSpace(string(files["keys.log"])))
			tls := len(keyLines) > 0
			for _, l := range strings.Split(strings.TrimSpace(string(files["keys.log"])), "\n") {
				if l != "" && !keyLogLine.MatchString(l) {
					t.Errorf("keys.log line is not NSS key-log format: %.40q", l)
				}
			}
			if tls && !hasDSB(t, files["capture-dsb.pcapng"]) {
				t.Error("capture-dsb.pcapng has no TLS Decryption Secrets Block")
			}
			if !bytes.Contains(files["README.md"], []byte("throwaway")) {
				t.Error("README.md does not say the secrets are throwaway")
			}

			checkRef := func(what string, e evidence, codes ...string) {
				code := codes[0]
				if e.HAR != "" {
					i, err := strconv.Atoi(strings.TrimSuffix(strings.TrimPrefix(e.HAR, "entries["), "]"))
					if err != nil || i < 0 || i >= len(har.Log.Entries) {
						t.Errorf("%s: bad HAR ref %q", what, e.HAR)
					} else if e.Status != 0 && har.Log.Entries[i].Response.Status != e.Status {
						t.Errorf("%s: %s has status %d, expect.json says %d", what, e.HAR, har.Log.Entries[i].Response.Status, e.Status)
					} else if code != "" && (e.Kind == "callback" || e.Kind == "code-issued" || e.Kind == "token-request") &&
						!slices.ContainsFunc(codesIn(t, &har, i), func(c string) bool { return slices.Contains(codes, codeFingerprint(c)) }) {
						t.Errorf("%s: %s carries no code with fingerprint %s", what, e.HAR, code)
					}
				}
				if e.ServerPCAP != "" {
					n, err := strconv.Atoi(strings.TrimPrefix(e.ServerPCAP, "frame "))
					if err != nil || n < 1 || n > serverPackets {
						t.Errorf("%s: server capture ref %q outside 1..%d", what, e.ServerPCAP, serverPackets)
					}
				}
				if e.PCAP == "" {
					if e.Channel == "back-channel" && e.ServerPCAP == "" {
						t.Errorf("%s: back-channel evidence without a capture ref", what)
					}
					return
				}
				n, err := strconv.Atoi(strings.TrimPrefix(e.PCAP, "frame "))
				if err != nil || n < 1 || n > packets {
					t.Errorf("%s: capture ref %q outside 1..%d", what, e.PCAP, packets)
				}
			}
			seen := map[string]bool{}
			for _, f := range exp.Findings {
				if !slices.Contains(allRules, f.Rule) {
					t.Errorf("unknown rule %q", f.Rule)
				}
				if slices.Contains(exp.MustNot, f.Rule) || slices.Contains(exp.May, f.Rule) {
					t.Errorf("rule %s is both expected and in must_not/may", f.Rule)
				}
				seen[f.Rule] = true
				if f.Code != "" && !regexp.MustCompile(`^sha256:[0-9a-f]{12}$`).MatchString(f.Code) {
					t.Errorf("%s: code %q is not a contract fingerprint", f.Rule, f.Code)
				}
				if len(f.Evidence) == 0 {
					t.Errorf("%s: no evidence", f.Rule)
				}
				// a crossing's evidence holds the other sign-in's code too
				codes := []string{f.Code}
				if d, ok := f.Detail.(map[string]any); ok {
					if c, ok := d["never_redeemed"].(string); ok {
						codes = append(codes, c)
					}
				}
				for i, e := range f.Evidence {
					checkRef(fmt.Sprintf("%s evidence %d", f.Rule, i), e, codes...)
				}
			}
			for _, r := range allRules {
				if !seen[r] && !slices.Contains(exp.MustNot, r) && !slices.Contains(exp.May, r) && !slices.Contains(laterRules, r) {
					t.Errorf("rule %s is neither expected, must_not nor may", r)
				}
			}
			for i, o := range exp.Events {
				checkRef(fmt.Sprintf("event %d (%s)", i, o.Kind), evidence{Kind: o.Kind, Channel: o.Channel, HAR: o.HAR, PCAP: o.PCAP, ServerPCAP: o.ServerPCAP, Status: o.Status}, o.Code)
			}
			if exp.Case != nil {
				for _, f := range exp.Case.Findings {
					for i, r := range f.Evidence {
						e := evidence{Kind: r.Kind, Channel: r.Channel, Status: r.Status}
						switch r.File {
						case "trace.har":
							e.HAR = r.Ref
						case "capture-server-dsb.pcapng":
							e.ServerPCAP = r.Ref
						case "capture-dsb.pcapng":
							e.PCAP = r.Ref
						default:
							t.Errorf("case %s evidence %d: unknown file %q", f.Rule, i, r.File)
						}
						checkRef(fmt.Sprintf("case %s evidence %d", f.Rule, i), e, f.Code)
					}
				}
			}
			// no raw code may sit in expect.json: only fingerprints
			for i := range har.Log.Entries {
				for _, c := range codesIn(t, &har, i) {
					if bytes.Contains(files["expect.json"], []byte(c)) {
						t.Errorf("expect.json contains a raw code from %s", fmt.Sprintf("entries[%d]", i))
					}
				}
			}
		})
	}
}
