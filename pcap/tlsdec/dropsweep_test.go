package tlsdec

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
	"github.com/google/gopacket/pcapgo"

	"github.com/traceaudit/traceaudit/model"
	"github.com/traceaudit/traceaudit/pcap"
)

// TestDropEachPacketTLS reads real TLS captures (HTTP/1.1 and HTTP/2)
// with their key logs once whole and then once without each packet in
// turn, and checks that no request gets an answer the whole capture did
// not give it and that no request appears that it does not hold (pcap's
// TestDropEachPacket does the same on plain HTTP). A lost TLS record may
// leave requests unread or unanswered, never move an answer.
//
// DROPSWEEP (comma-separated globs) adds captures, their keys read from
// an embedded Decryption Secrets Block or a key log beside them;
// DROPSWEEP_PAIRS=1 drops pairs of packets (j, j+1), (j, j+2), (j, j+3),
// (j, j+5), (j, j+8) instead. Over every capture of the repository
// (`DROPSWEEP="$PWD/../../rules/testdata/*.pcap*,..."`, see the commit that
// added it) this is how the losses TestDropEachPacket keeps were found.
func TestDropEachPacketTLS(t *testing.T) {
	files := []string{"testdata/lab-clean-fosite-http1-tls.pcap", "testdata/lab-clean-zitadel-h2.pcap"}
	for _, g := range strings.Split(os.Getenv("DROPSWEEP"), ",") {
		if g == "" {
			continue
		}
		m, _ := filepath.Glob(g)
		files = append(files, m...)
	}
	sort.Strings(files)
	positions := 0 // every packet
	if testing.Short() || os.Getenv("DROPSWEEP") != "" {
		positions = 60 // packets dropped in turn per capture, evenly spread
	}
	total, bad := 0, 0
	for _, f := range files {
		n, b := sweepFile(t, f, positions)
		total += n
		bad += b
	}
	if total == 0 {
		t.Fatal("no capture read")
	}
	t.Logf("%d files, %d lossy reads, %d wrong", len(files), total, bad)
}

// loadFrames reads a classic or pcapng capture's packets (the first
// interface's only: a capture of several is refused) up to its end or its
// first damaged record.
func loadFrames(name string) ([]rawFrame, layers.LinkType, error) {
	raw, err := os.ReadFile(name)
	if err != nil {
		return nil, 0, err
	}
	var r interface {
		ReadPacketData() ([]byte, gopacket.CaptureInfo, error)
		LinkType() layers.LinkType
	}
	if bytes.HasPrefix(raw, []byte{0x0a, 0x0d, 0x0d, 0x0a}) {
		r, err = pcapgo.NewNgReader(bytes.NewReader(raw), pcapgo.NgReaderOptions{})
	} else {
		r, err = pcapgo.NewReader(bytes.NewReader(raw))
	}
	if err != nil {
		return nil, 0, err
	}
	var frames []rawFrame
	for {
		data, ci, err := r.ReadPacketData()
		if err != nil {
			return frames, r.LinkType(), nil
		}
		if ci.InterfaceIndex != 0 {
			return nil, 0, fmt.Errorf("several interfaces")
		}
		frames = append(frames, rawFrame{ci, bytes.Clone(data)})
	}
}

func sweepKeys(name string) *KeyLog {
	base := strings.TrimSuffix(name, filepath.Ext(name))
	for _, kn := range []string{name + ".keys", base + ".keys", base + ".keylog", base + ".nsskeylog", strings.TrimSuffix(base, "-capture") + "-keylog.txt", filepath.Join(filepath.Dir(name), "keys.log"), filepath.Join(filepath.Dir(name), "keylog.txt"), filepath.Join(filepath.Dir(name), "sslkeys.log")} {
		if f, err := os.Open(kn); err == nil {
			k, err := ParseKeyLog(f)
			f.Close()
			if err == nil {
				return k
			}
		}
	}
	raw, err := os.ReadFile(name)
	if err == nil && bytes.HasPrefix(raw, []byte{0x0a, 0x0d, 0x0d, 0x0a}) {
		if k, _, err := SecretsFromPCAPNG(bytes.NewReader(raw), int64(len(raw))); err == nil && k != nil {
			return k
		}
	}
	return nil
}

func sweepFile(t *testing.T, name string, positions int) (reads, wrong int) {
	frames, lt, err := loadFrames(name)
	if err != nil || len(frames) == 0 {
		t.Logf("%s: not read (%v)", name, err)
		return 0, 0
	}
	keys := sweepKeys(name)
	write := func(fs []rawFrame) []byte {
		var buf bytes.Buffer
		w := pcapgo.NewWriterNanos(&buf)
		if err := w.WriteFileHeader(262144, lt); err != nil {
			t.Fatal(err)
		}
		for _, f := range fs {
			ci := f.ci
			ci.InterfaceIndex = 0
			if err := w.WritePacket(ci, f.data); err != nil {
				t.Fatal(err)
			}
		}
		return buf.Bytes()
	}
	read := func(b []byte) []*model.Exchange {
		opts := pcap.Options{}
		if keys != nil {
			opts.Decrypter = NewDecrypter(keys).StreamDecrypter()
		}
		pr, err := pcap.NewReader(bytes.NewReader(b), opts)
		if err != nil {
			return nil
		}
		exs, _ := model.ReadAll(pr)
		return exs
	}
	answer := func(ex *model.Exchange) string {
		h := ex.Response.Headers
		var parts []string
		for _, f := range h {
			parts = append(parts, strings.ToLower(f.Name)+": "+f.Value)
		}
		sort.Strings(parts)
		return fmt.Sprint(ex.Response.Status, " ", strings.Join(parts, "|"))
	}
	base := read(write(frames))
	if len(base) == 0 {
		t.Logf("%s: no exchange", name)
		return 0, 0
	}
	want := map[string]map[string]bool{}
	for _, ex := range base {
		k := requestKey(ex)
		if want[k] == nil {
			want[k] = map[string]bool{}
		}
		if ex.Response != nil {
			want[k][answer(ex)] = true
		}
	}
	step := 1
	if positions > 0 {
		step = max(1, len(frames)/positions)
	}
	offsets := []int{0}
	if os.Getenv("DROPSWEEP_PAIRS") != "" {
		offsets = []int{1, 2, 3, 5, 8}
	}
	for j := 0; j < len(frames); j += step {
		for _, o := range offsets {
			var fs []rawFrame
			for i, f := range frames {
				if i != j && (o == 0 || i != j+o) {
					fs = append(fs, f)
				}
			}
			reads++
			for _, ex := range read(write(fs)) {
				k := requestKey(ex)
				w, ok := want[k]
				if !ok {
					wrong++
					t.Errorf("%s without frame %d: %s: request not in the whole capture", name, j+1, k)
					continue
				}
				if ex.Response != nil && ex.Response.Status > 0 && !ownAnswer(answer(ex), w) {
					wrong++
					t.Errorf("%s without frame %d (+%d): %s %s: answer %d not its own\n got  %s\n want %v", name, j+1, o, ex.Ref, k, ex.Response.Status, answer(ex), w)
				}
			}
		}
	}
	return reads, wrong
}

// ownAnswer: got is one of want, or its status with a subset of one's
// header fields (a header section cut by the loss).
func ownAnswer(got string, want map[string]bool) bool {
	if want[got] {
		return true
	}
	gs, gh, _ := strings.Cut(got, " ")
	for w := range want {
		ws, wh, _ := strings.Cut(w, " ")
		if ws != gs {
			continue
		}
		have := map[string]bool{}
		for _, f := range strings.Split(wh, "|") {
			have[f] = true
		}
		ok := true
		for _, f := range strings.Split(gh, "|") {
			if f != "" && !have[f] {
				ok = false
				break
			}
		}
		if ok {
			return true
		}
	}
	return false
}

// requestKey is a request's method and target: a request cut before its
// Host field is named by the connection's address instead. (pcap's
// tests' target and tlsdec_test's pathOf are out of this package's reach.)
func requestKey(ex *model.Exchange) string {
	u := ex.Request.URL
	if _, rest, ok := strings.Cut(u, "://"); ok {
		if j := strings.IndexByte(rest, '/'); j >= 0 {
			u = rest[j:]
		}
	}
	return ex.Request.Method + " " + u
}
