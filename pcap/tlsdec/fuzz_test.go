package tlsdec

import (
	"bytes"
	"encoding/binary"
	"os"
	"strings"
	"testing"
	"time"
)

func FuzzKeyLog(f *testing.F) {
	for _, name := range []string{"fluxzy-grpc-samples-conn9.nsskeylog", "illustrated-tls13-keylog.txt", "tls12-decryption.DERIVED.keys"} {
		b, err := os.ReadFile(fixture(name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte("# comment\r\n\r\nCLIENT_RANDOM 00 11\n"))
	f.Fuzz(func(t *testing.T, in []byte) {
		k, err := ParseKeyLog(bytes.NewReader(in))
		if err != nil {
			if k != nil {
				t.Fatal("key log returned with an error")
			}
			// The error names a line and never quotes a hex field.
			msg := err.Error()
			for _, field := range strings.Fields(string(in)) {
				if len(field) >= 16 && isHex(field) && strings.Contains(msg, field) {
					t.Fatalf("error %q quotes an input field", msg)
				}
			}
			return
		}
		if k.Len() > bytes.Count(in, []byte("\n"))+1 {
			t.Fatalf("%d connections from %d lines", k.Len(), bytes.Count(in, []byte("\n"))+1)
		}
	})
}

func isHex(s string) bool {
	for _, c := range s {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F') {
			return false
		}
	}
	return true
}

func FuzzSecretsFromPCAPNG(f *testing.F) {
	for _, name := range []string{"tls12-decryption-dsb.pcapng", "fluxzy-example.com-conn1-dsb.pcapng", "tls12-decryption.pcap"} {
		b, err := os.ReadFile(fixture(name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		k, _, err := SecretsFromPCAPNG(bytes.NewReader(in), int64(len(in)))
		if k == nil {
			t.Fatalf("nil key log (err %v)", err)
		}
	})
}

// encodeSegments serializes a connection for FuzzRecords: per segment a
// direction byte, a 2-byte length and the data.
func encodeSegments(segs []tcpSegment) []byte {
	var b []byte
	for _, s := range segs {
		for data := s.data; len(data) > 0; {
			n := min(len(data), 0xffff)
			b = append(b, byte(s.dir))
			b = binary.BigEndian.AppendUint16(b, uint16(n))
			b = append(b, data[:n]...)
			data = data[n:]
		}
	}
	return b
}

// FuzzRecords feeds arbitrary segments to a connection that has the keys
// of the seed captures: no panic, bounded output, notes always explained.
func FuzzRecords(f *testing.F) {
	keys := &KeyLog{}
	for _, tc := range []struct{ capture, keylog string }{
		{"illustrated-tls13-capture.pcap", "illustrated-tls13-keylog.txt"},
		{"tls12-decryption.pcap", "tls12-decryption.DERIVED.keys"},
		{"fluxzy-example.com-conn1.pcapng", "fluxzy-example.com-conn1.nsskeylog"},
		{"openssl-tls10-11.pcapng", "openssl-tls10-11.keys"},
		{"openssl-tls13.pcapng", "openssl-tls13.keys"},
	} {
		keys.Merge(readKeyLogFile(f, tc.keylog))
		for _, c := range readConns(f, tc.capture) {
			if len(c.segs) > 0 {
				f.Add(encodeSegments(c.segs))
			}
		}
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		d := NewDecrypter(keys)
		c := d.NewConn("fuzz")
		frame := 0
		var out int
		for len(in) >= 3 {
			dir := Direction(in[0] & 1)
			n := min(int(binary.BigEndian.Uint16(in[1:3])), len(in)-3)
			frame++
			c.Feed(dir, in[3:3+n], frame, time.Unix(int64(frame), 0))
			for _, ch := range c.Drain() {
				if ch.Frame < 1 || ch.Frame > frame {
					t.Fatalf("chunk from frame %d after %d frames", ch.Frame, frame)
				}
				out += len(ch.Data)
			}
			in = in[3+n:]
		}
		c.Close()
		for _, ch := range c.Drain() {
			out += len(ch.Data)
		}
		if total := c.h[0].bytes + c.h[1].bytes; int64(out) > total {
			t.Fatalf("%d plaintext bytes from %d input bytes", out, total)
		}
		for _, n := range c.Notes() {
			if n.Kind == "" || n.Message == "" {
				t.Fatalf("empty note %+v", n)
			}
		}
		_ = c.Info()
	})
}
