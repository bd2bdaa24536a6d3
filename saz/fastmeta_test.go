package saz

import (
	"archive/zip"
	"io"
	"path/filepath"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"testing"
)

// sameMeta reports whether the fast path, when it accepts data, reads
// exactly what encoding/xml reads.
func sameMeta(t *testing.T, data []byte) (fastOK bool) {
	t.Helper()
	fast, ok := parseMetaFast(data)
	if !ok {
		return false
	}
	slow, err := parseMetaXML(data)
	if err != nil {
		t.Fatalf("fast path accepted what encoding/xml rejects (%v):\n%q", err, data)
	}
	sort.Strings(fast.badTimers)
	sort.Strings(slow.badTimers)
	if !reflect.DeepEqual(fast, slow) {
		t.Fatalf("fast and encoding/xml paths differ on\n%q\nfast %+v\nslow %+v", data, fast, slow)
	}
	return true
}

// Every _m.xml in testdata, written by Fiddler or by har2saz, takes the
// fast path and reads the same through both.
func TestFastMetaMatchesXML(t *testing.T) {
	paths, _ := filepath.Glob(filepath.Join("testdata", "*.saz"))
	lab, _ := filepath.Glob(filepath.Join("testdata", "lab", "*.saz"))
	n := 0
	for _, p := range append(paths, lab...) {
		if strings.Contains(p, "aes") || strings.Contains(p, "zipcrypto") {
			continue
		}
		zr, err := zip.OpenReader(p)
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range zr.File {
			if !strings.HasSuffix(f.Name, "_m.xml") {
				continue
			}
			rc, _ := f.Open()
			data, _ := io.ReadAll(rc)
			rc.Close()
			if !sameMeta(t, data) {
				t.Errorf("%s %s: not in the fast path's shape", p, f.Name)
			}
			n++
		}
		zr.Close()
	}
	if n < 100 {
		t.Errorf("only %d _m.xml files compared", n)
	}
	for _, declined := range []string{
		`<Session><!-- c --></Session>`,
		`<Session><SessionFlags><SessionFlag N="a" V="&#65;"/></SessionFlags></Session>`,
		`<Session><x:SessionTimers ClientConnected="2026-01-01T00:00:00Z"/></Session>`,
		`<?xml version="2.0"?><Session/>`,
		"<Session><SessionFlags><SessionFlag N=\"a\" V=\"line\nbreak\"/></SessionFlags></Session>",
	} {
		if sameMeta(t, []byte(declined)) {
			t.Errorf("fast path took %q", declined)
		}
	}
	if !sameMeta(t, []byte(`<Session BitFlags='2100'><SessionFlags><SessionFlag N="ui-comments" V="&lt;a&gt; &amp; &quot;b&quot; &apos;c&apos;" /></SessionFlags></Session>`)) {
		t.Errorf("fast path declined predefined entities")
	}
}

// FuzzMeta holds the fast path to encoding/xml's reading.
func FuzzMeta(f *testing.F) {
	f.Add([]byte(metaXML("2100", "50000")))
	f.Add([]byte("\ufeff<?xml version=\"1.0\" encoding=\"utf-8\"?>\r\n<Session SID=\"1\" BitFlags=\"0\"><SessionTimers ClientConnected=\"2023-04-06T14:35:14.8590762+02:00\" DNSTime=\"17\" /><PipeInfo /><SessionFlags><SessionFlag N=\"x-clientport\" V=\"55711\" /></SessionFlags></Session>"))
	f.Add([]byte(`<Session BitFlags='1'/>`))
	f.Fuzz(func(t *testing.T, data []byte) {
		sameMeta(t, data)
		if m, err := parseMeta(data); err == nil && m == nil {
			t.Fatal("nil meta without error")
		}
	})
}

// TestIsIntegerMatchesParseInt: the timer check must accept exactly what
// strconv.ParseInt did before it.
func TestIsIntegerMatchesParseInt(t *testing.T) {
	for _, v := range []string{"", "0", "12", "-3", "+4", "-", "+", "+-1", "1.5", " 1", "1 ", "0x10", "1_000",
		"9223372036854775807", "9223372036854775808", "-9223372036854775808", "2026-03-01T09:00:00.1234567+01:00", "٣"} {
		_, err := strconv.ParseInt(v, 10, 64)
		if got := isInteger(v); got != (err == nil) {
			t.Errorf("isInteger(%q) = %v, ParseInt says %v", v, got, err == nil)
		}
	}
}
