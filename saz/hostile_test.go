package saz

import (
	"archive/zip"
	"bytes"
	"crypto/aes"
	"crypto/hmac"
	"crypto/pbkdf2"
	"crypto/sha1"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"strings"
	"testing"

	"github.com/traceaudit/traceaudit/model"
)

func TestTruncatedArchive(t *testing.T) {
	full := readFile(t, "OfficeInspectors-NewCaseName.saz")
	for _, keep := range []float64{0.3, 0.6, 0.95, 0.999} {
		t.Run(fmt.Sprint(keep), func(t *testing.T) {
			data := full[:int(float64(len(full))*keep)]
			exs, notes := readAll(t, data, Options{})
			if len(exs) == 0 {
				t.Fatalf("no session recovered from %d of %d bytes", len(data), len(full))
			}
			if !hasNote(notes, "truncated", "", "recovered") {
				t.Errorf("no truncation note: %+v", notes)
			}
			for i, e := range exs {
				if want := fmt.Sprintf("session %d", i+1); e.Ref != want {
					t.Fatalf("exchange %d is %s, want %s (sessions come in order)", i, e.Ref, want)
				}
			}
			t.Logf("%d bytes: %d sessions", len(data), len(exs))
		})
	}
	// Go's zip writer puts sizes in data descriptors after each member:
	// the scan must inflate to find where each member ends.
	gen := generatedSAZ(t, 50)
	exs, notes := readAll(t, gen[:len(gen)*7/10], Options{})
	if len(exs) < 20 || len(exs) >= 50 || !hasNote(notes, "truncated", "", "recovered") {
		t.Errorf("generated SAZ cut at 70%%: %d sessions, notes %+v", len(exs), notes)
	}
	// Protected archives cut short: ZipCrypto with descriptors (zip -P),
	// AES without (7-Zip).
	for _, name := range []string{"fluxzy-minimal.zipcrypto.saz", "fluxzy-minimal.aes256.saz"} {
		prot := readFile(t, name)
		exs, notes := readAll(t, prot[:len(prot)*8/10], Options{Password: "traceaudit-PW"})
		if len(exs) < 3 || !hasNote(notes, "truncated", "", "recovered") {
			t.Errorf("%s cut at 80%%: %d sessions, notes %+v", name, len(exs), notes)
		}
	}
	if _, err := NewReader(bytes.NewReader(full[:20]), 20, Options{}); !errors.Is(err, ErrFormat) {
		t.Errorf("20-byte stub: %v", err)
	}
}

// addZeroPadded adds a member holding head and then zeroBytes zero bytes
// (they compress to almost nothing: bombs and big members built on the fly).
func addZeroPadded(t testing.TB, zw *zip.Writer, name, head string, zeroBytes int64) {
	t.Helper()
	w, err := zw.Create(name)
	if err != nil {
		t.Fatal(err)
	}
	io.WriteString(w, head)
	if _, err := io.CopyN(w, zeros{}, zeroBytes); err != nil {
		t.Fatal(err)
	}
}

// zeros is an endless stream of zero bytes, for bombs built on the fly.
type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}

func TestInflationBounds(t *testing.T) {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	add := func(name, head string, zeroBytes int64) { addZeroPadded(t, zw, name, head, zeroBytes) }
	// Session 1: an 8 MiB response body that compresses to a few KiB,
	// eight times the member bound below.
	add("raw/1_c.txt", "GET http://bomb.example/ HTTP/1.1\r\nHost: bomb.example\r\n\r\n", 0)
	add("raw/1_s.txt", "HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\n\r\n", 8<<20)
	// Session 2: a header section that never ends.
	add("raw/2_c.txt", "GET http://bomb.example/2 HTTP/1.1\r\nX-Pad: ", 2<<20)
	// Sessions 3..12: 200 KiB each, to exhaust a small archive bound.
	for i := 3; i <= 12; i++ {
		add(fmt.Sprintf("raw/%d_c.txt", i), fmt.Sprintf("POST http://bomb.example/%d HTTP/1.1\r\nContent-Length: 204800\r\n\r\n", i), 200<<10)
	}
	zw.Close()
	data := buf.Bytes()
	if len(data) > 256<<10 {
		t.Fatalf("bomb is %d bytes, expected a small archive", len(data))
	}

	exs, notes := readAll(t, data, Options{
		Limits:              model.Limits{InflateBytes: 1 << 20, BodyBytes: 64 << 10, HeaderBytes: 64 << 10},
		ArchiveInflateBytes: 2 << 20,
	})
	s1 := find(t, exs, "session 1")
	if s1.Response == nil || !s1.Response.Body.Truncated || len(s1.Response.Body.Data) > 64<<10 || s1.Response.Body.Size > 1<<20 {
		t.Errorf("bomb response not cut: %+v", s1.Response)
	}
	if !hasNote(notes, "limit", "session 1", "member limit") {
		t.Errorf("no member-limit note: %+v", notes)
	}
	if !hasNote(notes, "bad-request", "session 2", "header") {
		t.Errorf("endless header section not refused: %+v", notes)
	}
	if !hasNote(notes, "limit", "", "archive inflation limit") {
		t.Errorf("no archive-limit note: %+v", notes)
	}
	if n := len(exs); n >= 11 {
		t.Errorf("read %d sessions; the archive bound should have stopped it", n)
	}
}

func TestMemberCountBound(t *testing.T) {
	var files []zipFile
	for i := 1; i <= 30; i++ {
		files = append(files, zipFile{name: fmt.Sprintf("raw/%d_c.txt", i), body: "GET http://x/ HTTP/1.1\r\n\r\n"})
	}
	data := buildZip(t, files)
	_, err := NewReader(bytes.NewReader(data), int64(len(data)), Options{MaxMembers: 10})
	if !errors.Is(err, ErrLimit) {
		t.Errorf("30 members with MaxMembers 10: %v", err)
	}
	if n := countCentralHeaders(bytes.NewReader(data), int64(len(data)), 1000); n != 30 {
		t.Errorf("counted %d central headers, want 30", n)
	}
	exs, _ := readAll(t, data, Options{})
	if len(exs) != 30 {
		t.Errorf("default bound read %d of 30 sessions", len(exs))
	}
	// The end record claims 2 entries; the walk, like archive/zip's, goes
	// by signatures, so a lying count does not get past the bound.
	lying := bytes.Clone(data)
	eocd := bytes.LastIndex(lying, []byte("PK\x05\x06"))
	binary.LittleEndian.PutUint16(lying[eocd+8:], 2)
	binary.LittleEndian.PutUint16(lying[eocd+10:], 2)
	if _, err := NewReader(bytes.NewReader(lying), int64(len(lying)), Options{MaxMembers: 10}); !errors.Is(err, ErrLimit) {
		t.Errorf("lying entry count: %v", err)
	}
	// Without the bound, archive/zip rejects the count and the members are
	// recovered from their local headers: stored, sized by descriptors.
	exs, notes := readAll(t, lying, Options{})
	if len(exs) != 30 || !hasNote(notes, "truncated", "", "recovered 30 members") || hasNote(notes, "corrupt", "", "") {
		t.Errorf("lying count, stored members: %d sessions, notes %+v", len(exs), notes[:min(3, len(notes))])
	}
}

func TestCorruptMember(t *testing.T) {
	body := "GET http://x.example/a HTTP/1.1\r\nHost: x.example\r\n\r\n"
	data := buildZip(t, []zipFile{
		{name: "raw/1_c.txt", body: body, method: zip.Store},
		{name: "raw/2_c.txt", body: strings.Replace(body, "/a", "/b", 1), method: zip.Store},
	})
	i := bytes.Index(data, []byte("Host: x.example"))
	data[i] = 'h' // stored bytes no longer match the CRC
	exs, notes := readAll(t, data, Options{})
	if len(exs) != 2 {
		t.Errorf("want both sessions, got %d exchanges", len(exs))
	}
	if !hasNote(notes, "corrupt", "session 1", "checksum") || hasNote(notes, "corrupt", "session 2", "") {
		t.Errorf("corruption not noted: %+v", notes)
	}
}

// zipCryptoEncrypt is the writer side of ZipCrypto, for an archive without
// data descriptors (the header's check byte is then the CRC's high byte),
// which Info-ZIP and 7-Zip do not write for encrypted members.
func zipCryptoEncrypt(password string, crc uint32, plain []byte) []byte {
	z := newZipCrypto(password)
	out := make([]byte, 0, zipCryptoHdr+len(plain))
	hdr := []byte("0123456789a")
	hdr = append(hdr, byte(crc>>24))
	for _, p := range append(hdr, plain...) {
		t := uint32(z.k2|2) & 0xffff
		out = append(out, p^byte((t*(t^1))>>8))
		z.update(p)
	}
	return out
}

func TestZipCryptoWithoutDescriptor(t *testing.T) {
	req := []byte("GET http://x.example/enc HTTP/1.1\r\nHost: x.example\r\n\r\n")
	crc := crc32.ChecksumIEEE(req)
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	enc := zipCryptoEncrypt("s3cret", crc, req)
	w, err := zw.CreateRaw(&zip.FileHeader{
		Name: "raw/1_c.txt", Method: zip.Store, Flags: 0x1, CRC32: crc,
		CompressedSize64: uint64(len(enc)), UncompressedSize64: uint64(len(req)),
	})
	if err != nil {
		t.Fatal(err)
	}
	w.Write(enc)
	zw.Close()
	data := buf.Bytes()
	exs, _ := readAll(t, data, Options{Password: "s3cret"})
	if len(exs) != 1 || exs[0].Request.URL != "http://x.example/enc" {
		t.Fatalf("decrypted %d exchanges", len(exs))
	}
	if _, err := NewReader(bytes.NewReader(data), int64(len(data)), Options{Password: "s3cres"}); !errors.Is(err, ErrPassword) {
		t.Errorf("wrong password: %v", err)
	}
}

// Fiddler's zip library encrypts ZipCrypto passwords as IBM437 bytes; the
// same password typed on a UTF-8 terminal must still open the archive.
func TestZipCryptoNonASCIIPassword(t *testing.T) {
	req := []byte("GET http://x.example/cp437 HTTP/1.1\r\nHost: x.example\r\n\r\n")
	crc := crc32.ChecksumIEEE(req)
	for _, tc := range []struct{ name, typed, asEncrypted string }{
		{"ibm437", "Müller-Straße", "M\x81ller-Stra\xe1e"},
		{"latin1", "Müller-Straße", "M\xfcller-Stra\xdfe"},
		{"utf8", "Müller-Straße", "Müller-Straße"},
	} {
		var buf bytes.Buffer
		zw := zip.NewWriter(&buf)
		enc := zipCryptoEncrypt(tc.asEncrypted, crc, req)
		w, _ := zw.CreateRaw(&zip.FileHeader{Name: "raw/1_c.txt", Method: zip.Store, Flags: 0x1, CRC32: crc,
			CompressedSize64: uint64(len(enc)), UncompressedSize64: uint64(len(req))})
		w.Write(enc)
		zw.Close()
		exs, _ := readAll(t, buf.Bytes(), Options{Password: tc.typed})
		if len(exs) != 1 || exs[0].Request.URL != "http://x.example/cp437" {
			t.Errorf("%s: %d exchanges", tc.name, len(exs))
		}
	}
}

func TestOverlappingMembers(t *testing.T) {
	data := buildZip(t, []zipFile{
		{name: "raw/1_c.txt", body: "GET http://a.example/ HTTP/1.1\r\n\r\n"},
		{name: "raw/2_c.txt", body: "GET http://b.example/ HTTP/1.1\r\n\r\n"},
	})
	// Point the second central directory entry at the first member's
	// local header, as overlapping-member zip bombs do.
	cd := bytes.LastIndex(data, []byte("PK\x01\x02"))
	binary.LittleEndian.PutUint32(data[cd+42:], 0)
	exs, notes := readAll(t, data, Options{})
	if len(exs) != 1 || exs[0].Request.URL != "http://a.example/" {
		t.Errorf("%d exchanges from overlapping members", len(exs))
	}
	if !hasNote(notes, "overlap", "raw/2_c.txt", "zip bomb") {
		t.Errorf("overlap not noted: %+v", notes)
	}
}

func TestNotesCappedPerKind(t *testing.T) {
	var files []zipFile
	for i := 1; i <= 120; i++ {
		files = append(files, zipFile{name: fmt.Sprintf("raw/%03d_c.txt", i), body: "GET http://x.example/ HTTP/1.1\r\n\r\n"})
	}
	exs, notes := readAll(t, buildZip(t, files), Options{})
	if len(exs) != 120 {
		t.Fatalf("%d exchanges", len(exs))
	}
	if len(notes) != maxNotesPerKind+1 || !hasNote(notes, "no-response", "", "70 more") {
		t.Errorf("%d notes; last %+v", len(notes), notes[len(notes)-1])
	}
}

// aesEncrypt is the writer side of WinZip AES, for variants the fixtures
// made with 7-Zip (AE-2, AES-128/256, deflate) do not cover.
func aesEncrypt(t *testing.T, password string, strength byte, plain []byte) []byte {
	t.Helper()
	keyLen := map[byte]int{1: 16, 2: 24, 3: 32}[strength]
	salt := bytes.Repeat([]byte{0x5a}, keyLen/2)
	keys, err := pbkdf2.Key(sha1.New, password, salt, aesIterations, 2*keyLen+aesVerifierLen)
	if err != nil {
		t.Fatal(err)
	}
	block, err := aes.NewCipher(keys[:keyLen])
	if err != nil {
		t.Fatal(err)
	}
	var counter, stream [aes.BlockSize]byte
	ct := make([]byte, len(plain))
	for i := range plain {
		if i%aes.BlockSize == 0 {
			for j := range counter {
				counter[j]++
				if counter[j] != 0 {
					break
				}
			}
			block.Encrypt(stream[:], counter[:])
		}
		ct[i] = plain[i] ^ stream[i%aes.BlockSize]
	}
	mac := hmac.New(sha1.New, keys[keyLen:2*keyLen])
	mac.Write(ct)
	out := append(append(append([]byte(nil), salt...), keys[2*keyLen:]...), ct...)
	return append(out, mac.Sum(nil)[:aesMACLen]...)
}

func TestAE1StoredAES192(t *testing.T) {
	// More than one AES block, so the little-endian counter advances.
	req := []byte("GET http://x.example/ae1 HTTP/1.1\r\nHost: x.example\r\nX-Pad: " + strings.Repeat("p", 100) + "\r\n\r\n")
	build := func(tamper bool) []byte {
		enc := aesEncrypt(t, "pw-192", 2, req)
		if tamper {
			enc[40] ^= 1
		}
		var buf bytes.Buffer
		zw := zip.NewWriter(&buf)
		w, err := zw.CreateRaw(&zip.FileHeader{
			Name: "raw/1_c.txt", Method: methodAES, Flags: 0x1, CRC32: crc32.ChecksumIEEE(req),
			CompressedSize64: uint64(len(enc)), UncompressedSize64: uint64(len(req)),
			// AE-1 (CRC kept), "AE", AES-192, stored.
			Extra: []byte{0x01, 0x99, 7, 0, 1, 0, 'A', 'E', 2, 0, 0},
		})
		if err != nil {
			t.Fatal(err)
		}
		w.Write(enc)
		zw.Close()
		return buf.Bytes()
	}
	exs, notes := readAll(t, build(false), Options{Password: "pw-192"})
	if len(exs) != 1 || exs[0].Request.Headers.Get("X-Pad") != strings.Repeat("p", 100) || hasNote(notes, "corrupt", "", "") {
		t.Fatalf("AE-1 member: %d exchanges, notes %+v", len(exs), notes)
	}
	// A flipped ciphertext bit fails the authentication code. The
	// password check reads this same member, so the archive is refused.
	data := build(true)
	if _, err := NewReader(bytes.NewReader(data), int64(len(data)), Options{Password: "pw-192"}); !errors.Is(err, ErrPassword) || !strings.Contains(err.Error(), "authentication") {
		t.Errorf("tampered AES member: %v", err)
	}
}
