package etl

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// load reads a testdata file, gunzipping *.gz.
func load(t testing.TB, path string) []byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if strings.HasSuffix(path, ".gz") {
		zr, err := gzip.NewReader(bytes.NewReader(data))
		if err != nil {
			t.Fatal(err)
		}
		if data, err = io.ReadAll(zr); err != nil {
			t.Fatal(err)
		}
	}
	return data
}

// frameLines lists the frames of an ETL file as the oracle files do:
// number, time in 100 ns units since 1970, length, first 8 bytes of the
// SHA-256 of the bytes, tab-separated.
func frameLines(t testing.TB, data []byte) ([]string, *Reader) {
	t.Helper()
	r, err := NewReader(bytes.NewReader(data), int64(len(data)), Limits{})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for {
		fr, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256(fr.Data)
		out = append(out, fmt.Sprintf("%d\t%d\t%d\t%x", fr.Number, fr.Time.UnixNano()/100, len(fr.Data), sum[:8]))
	}
	return out, r
}

func readLines(t testing.TB, path string) []string {
	t.Helper()
	data := load(t, path)
	var out []string
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		out = append(out, sc.Text())
	}
	return out
}

// TestMatchesOracle checks every real sample against the frames an
// independent reader (fox-it dissect.etl, see testdata/PROVENANCE.md)
// found in it: count, times to 100 ns, lengths and bytes.
func TestMatchesOracle(t *testing.T) {
	exps, _ := filepath.Glob("testdata/*.oracle.tsv")
	if len(exps) < 6 {
		t.Fatalf("expectations missing: %v", exps)
	}
	for _, exp := range exps {
		name := strings.TrimSuffix(exp, ".oracle.tsv")
		t.Run(filepath.Base(name), func(t *testing.T) {
			file := name
			if _, err := os.Stat(file); err != nil {
				file += ".gz"
			}
			got, _ := frameLines(t, load(t, file))
			want := readLines(t, exp)
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("frames differ from the oracle's (-oracle +etl):\n%s", diff)
			}
		})
	}
}

// TestMatchesOracleLarge checks the 30132 frames of the pktmon capture
// that holds HTTP (kept beside the pcap reader's tests) against a digest
// of the oracle's listing, and its first 200 lines one by one.
func TestMatchesOracleLarge(t *testing.T) {
	got, _ := frameLines(t, load(t, "../testdata/pktmon-wifi-http.etl"))
	head := readLines(t, "testdata/pktmon-wifi-http.etl.oracle.head.tsv")
	if diff := cmp.Diff(head, got[:len(head)]); diff != "" {
		t.Errorf("first frames differ from the oracle's (-oracle +etl):\n%s", diff)
	}
	sum := sha256.New()
	for _, l := range got {
		fmt.Fprintln(sum, l)
	}
	want := readLines(t, "testdata/pktmon-wifi-http.etl.oracle.sum")
	gotSum := []string{fmt.Sprintf("frames\t%d", len(got)), fmt.Sprintf("sha256\t%x", sum.Sum(nil))}
	if diff := cmp.Diff(want, gotSum); diff != "" {
		t.Errorf("frame listing differs from the oracle's:\n%s", diff)
	}
}

// recordClasses counts the records of every buffer by the header class
// dissect.etl names them with.
func recordClasses(f *File) map[string]int {
	c := map[string]int{}
	for i := range f.bufs {
		data, _ := f.payload(&f.bufs[i])
		walkRecords(data, func(rec []byte, ht byte) bool {
			switch ht {
			case htSystem32, htSystem64:
				c["SystemHeader"]++
			case htCompact32, htCompact64:
				c["CompactSystemHeader"]++
			case htPerfInfo32, htPerfInfo64:
				c["PerfinfoTraceHeader"]++
			case htEventHeader, htEventHeader6:
				c["EventHeader"]++
			case htFullHeader32, htFullHeader64:
				c["EventTraceHeader"]++
			default:
				c[fmt.Sprintf("type %#x", ht)]++
			}
			return false
		})
	}
	return c
}

// TestContainerMatchesOracle checks what the container walk finds in every
// real sample, packet capture or not, against dissect.etl: the start time,
// the buffers written, the clock rate and the records by header class.
func TestContainerMatchesOracle(t *testing.T) {
	for _, tc := range []struct {
		file    string
		start   string // dissect's, truncated to microseconds
		buffers uint32
		classes map[string]int
	}{
		{"testdata/eventsource-32bit.etl", "2020-01-29T15:44:23.860962Z", 3, map[string]int{"EventHeader": 8, "SystemHeader": 2}},
		{"testdata/lxcore-kernel.etl", "2020-07-14T12:04:31.138735Z", 3, map[string]int{"EventHeader": 2, "SystemHeader": 2}},
		{"testdata/pktmon-ethernet-2.etl", "2026-06-16T23:14:31.897879Z", 8, map[string]int{"EventHeader": 979, "EventTraceHeader": 91, "PerfinfoTraceHeader": 2, "SystemHeader": 3}},
		{"testdata/pktmon-ethernet.etl", "2024-06-10T20:18:27.922583Z", 3, map[string]int{"EventHeader": 403, "EventTraceHeader": 61, "SystemHeader": 3}},
		{"testdata/pktmon-no-packets.etl", "2023-06-06T08:44:51.910801Z", 3, map[string]int{"EventHeader": 1096, "EventTraceHeader": 96, "SystemHeader": 3}},
		{"testdata/pktmon-rawip.etl", "2026-02-01T09:36:29.204334Z", 12, map[string]int{"EventHeader": 1314, "EventTraceHeader": 83, "SystemHeader": 3}},
		{"testdata/pktmon-vpn-wifi.etl", "2021-06-02T08:49:40.139669Z", 5, map[string]int{"EventHeader": 2057, "EventTraceHeader": 94, "SystemHeader": 3}},
		{"testdata/netsh-wifi-one-packet.etl.gz", "2022-04-20T04:04:58.930485Z", 3, map[string]int{"EventHeader": 1, "EventTraceHeader": 98, "SystemHeader": 3}},
		{"../testdata/pktmon-wifi-http.etl", "2026-01-17T10:33:03.224260Z", 17, map[string]int{"EventHeader": 30973, "EventTraceHeader": 92, "SystemHeader": 3}},
	} {
		t.Run(filepath.Base(tc.file), func(t *testing.T) {
			data := load(t, tc.file)
			f, err := Open(bytes.NewReader(data), int64(len(data)))
			if err != nil {
				t.Fatal(err)
			}
			if f.damage != "" {
				t.Errorf("damage: %s", f.damage)
			}
			// dissect converts through a float: about a microsecond of error.
			want, _ := time.Parse(time.RFC3339Nano, tc.start)
			if d := f.Header.Start.Sub(want); d < -2*time.Microsecond || d > 2*time.Microsecond {
				t.Errorf("start %s, want %s", f.Header.Start.Format(time.RFC3339Nano), tc.start)
			}
			if f.Header.BuffersWritten != tc.buffers || len(f.bufs) != int(tc.buffers) {
				t.Errorf("buffers: header %d, found %d, want %d", f.Header.BuffersWritten, len(f.bufs), tc.buffers)
			}
			if f.Header.Clock != 1 || f.Header.PerfFreq != 10_000_000 || f.Header.PointerSize != 8 {
				t.Errorf("clock %d freq %d pointer %d", f.Header.Clock, f.Header.PerfFreq, f.Header.PointerSize)
			}
			if diff := cmp.Diff(tc.classes, recordClasses(f)); diff != "" {
				t.Errorf("records by class differ from dissect's (-dissect +etl):\n%s", diff)
			}
		})
	}
}

// TestSniff recognizes every real sample and nothing else it is shown.
func TestSniff(t *testing.T) {
	files, _ := filepath.Glob("testdata/*.etl")
	files = append(files, "testdata/netsh-wifi-one-packet.etl.gz", "../testdata/pktmon-wifi-http.etl")
	for _, f := range files {
		if !Sniff(load(t, f)[:0x58]) {
			t.Errorf("%s not sniffed as ETL", f)
		}
	}
	for _, f := range []string{"../testdata/get.pcap", "../testdata/h2c.pcapng", "etl_test.go"} {
		if Sniff(load(t, f)) {
			t.Errorf("%s sniffed as ETL", f)
		}
	}
}

// TestRealNDIS pins what the one real netsh capture says beyond bytes
// (values checked with dissect.etl: keywords 0x80000601c0010000, so
// PacketStart|PacketEnd|Native802.11|SendPath; process 12332, thread
// 18084; MiniportIfIndex and LowerIfIndex 8).
func TestRealNDIS(t *testing.T) {
	data := load(t, "testdata/netsh-wifi-one-packet.etl.gz")
	r, err := NewReader(bytes.NewReader(data), int64(len(data)), Limits{})
	if err != nil {
		t.Fatal(err)
	}
	fr, err := r.Next()
	if err != nil {
		t.Fatal(err)
	}
	got := fmt.Sprintf("link=%d src=%d send=%v pid=%d tid=%d iface=%d miniport=%d len=%d orig=%d wlan=%v",
		fr.LinkType, fr.Source, fr.Send, fr.PID, fr.TID, fr.Iface, fr.Miniport, len(fr.Data), fr.OrigLen, fr.WLAN != nil)
	want := "link=105 src=1 send=true pid=12332 tid=18084 iface=8 miniport=8 len=197 orig=197 wlan=false"
	if got != want {
		t.Errorf("frame:\n got %s\nwant %s", got, want)
	}
	if _, err := r.Next(); err != io.EOF {
		t.Errorf("second Next: %v, want EOF", err)
	}
	if n := r.Notes(); len(n) != 0 {
		t.Errorf("notes: %v", n)
	}
}
