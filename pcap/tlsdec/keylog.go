package tlsdec

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"unicode/utf8"
)

// ErrKeyLog marks a key log that is not in the NSS key log format.
var ErrKeyLog = errors.New("tlsdec: malformed key log")

// maxKeyLogLine bounds one key log line. Real lines are under 300 bytes;
// the bound keeps a binary file from being buffered whole.
const maxKeyLogLine = 4096

// maxSecretLen bounds a logged secret: TLS secrets are at most 48 bytes
// (SHA-384); 64 leaves room for future hashes.
const maxSecretLen = 64

// secrets holds what a key log knows about one connection, identified by its
// ClientHello random.
type secrets struct {
	master      []byte // TLS 1.2 CLIENT_RANDOM
	clientHS    []byte // TLS 1.3 CLIENT_HANDSHAKE_TRAFFIC_SECRET
	serverHS    []byte
	clientApp   []byte // CLIENT_TRAFFIC_SECRET_0
	serverApp   []byte
	clientEarly []byte // CLIENT_EARLY_TRAFFIC_SECRET
}

// KeyLog maps ClientHello randoms to session secrets. The zero value is an
// empty key log; a nil *KeyLog is one too.
type KeyLog struct {
	byRandom map[[32]byte]*secrets
	// bySessionID holds TLS 1.2 master secrets logged by session ID
	// ("RSA Session-ID:... Master-Key:...", as older Java agents and NSS
	// wrote them).
	bySessionID map[string][]byte
	// skipped counts lines with labels this package does not use
	// (EXPORTER_SECRET, RSA, future labels).
	skipped int
}

// labels the package uses, and where each secret goes.
var keyLogLabels = map[string]func(*secrets) *[]byte{
	"CLIENT_RANDOM":                   func(s *secrets) *[]byte { return &s.master },
	"CLIENT_HANDSHAKE_TRAFFIC_SECRET": func(s *secrets) *[]byte { return &s.clientHS },
	"SERVER_HANDSHAKE_TRAFFIC_SECRET": func(s *secrets) *[]byte { return &s.serverHS },
	"CLIENT_TRAFFIC_SECRET_0":         func(s *secrets) *[]byte { return &s.clientApp },
	"SERVER_TRAFFIC_SECRET_0":         func(s *secrets) *[]byte { return &s.serverApp },
	"CLIENT_EARLY_TRAFFIC_SECRET":     func(s *secrets) *[]byte { return &s.clientEarly },
}

// ParseKeyLog reads an NSS key log. Blank lines, # comments, CRLF line ends
// and unknown labels (EXPORTER_SECRET, RSA, ...) are accepted, and so is a
// UTF-8 or UTF-16 byte order mark (Windows PowerShell writes UTF-16 when a
// key log is copied with a redirection); any other line is an error naming
// its line number, never its content.
func ParseKeyLog(r io.Reader) (*KeyLog, error) {
	k := &KeyLog{}
	if err := k.read(withoutBOM(r), true); err != nil {
		return nil, err
	}
	return k, nil
}

// parseKeyLogLenient takes the NSS lines of free text (a pcapng comment) and
// ignores everything else.
func parseKeyLogLenient(text []byte) *KeyLog {
	k := &KeyLog{}
	// Errors cannot happen in lenient mode except for overlong lines, after
	// which the lines read so far are kept.
	_ = k.read(bytes.NewReader(text), false)
	return k
}

func (k *KeyLog) read(r io.Reader, strict bool) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 512), maxKeyLogLine)
	line := 0
	for sc.Scan() {
		line++
		err := k.addLine(sc.Bytes())
		if err != nil && strict {
			return fmt.Errorf("%w: line %d: %v", ErrKeyLog, line, err)
		}
	}
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			return fmt.Errorf("%w: line %d: longer than %d bytes", ErrKeyLog, line+1, maxKeyLogLine)
		}
		return fmt.Errorf("tlsdec: reading key log: %w", err)
	}
	return nil
}

// addLine parses one line. Its errors describe the problem without quoting
// the line, which may hold a secret.
func (k *KeyLog) addLine(raw []byte) error {
	b := bytes.TrimSpace(raw)
	if len(b) == 0 || b[0] == '#' {
		return nil
	}
	if bytes.IndexByte(b, 0) >= 0 {
		return errors.New("NUL bytes: a binary file, or UTF-16 text without a byte order mark (save the key log as UTF-8)")
	}
	fields := bytes.Fields(b)
	if !isLabel(fields[0]) {
		return errors.New("not an NSS key log line (label expected)")
	}
	if string(fields[0]) == "RSA" && len(fields) == 3 && bytes.HasPrefix(fields[1], []byte("Session-ID:")) {
		return k.addSessionID(fields[1][len("Session-ID:"):], fields[2])
	}
	slot, known := keyLogLabels[string(fields[0])]
	if !known {
		k.skipped++
		return nil
	}
	if len(fields) != 3 {
		return fmt.Errorf("%s line has %d fields, want 3", fields[0], len(fields))
	}
	var random [32]byte
	if len(fields[1]) != 64 {
		return errors.New("client random is not 64 hex digits")
	}
	if _, err := hex.Decode(random[:], fields[1]); err != nil {
		return errors.New("client random is not hex")
	}
	if len(fields[2])%2 != 0 || len(fields[2]) == 0 || len(fields[2]) > 2*maxSecretLen {
		return fmt.Errorf("secret is not 1 to %d hex-encoded bytes", maxSecretLen)
	}
	secret := make([]byte, len(fields[2])/2)
	if _, err := hex.Decode(secret, fields[2]); err != nil {
		return errors.New("secret is not hex")
	}
	if k.byRandom == nil {
		k.byRandom = make(map[[32]byte]*secrets)
	}
	s := k.byRandom[random]
	if s == nil {
		s = &secrets{}
		k.byRandom[random] = s
	}
	*slot(s) = secret
	return nil
}

// addSessionID parses the two values of an "RSA Session-ID:<id>
// Master-Key:<secret>" line.
func (k *KeyLog) addSessionID(id, master []byte) error {
	master, ok := bytes.CutPrefix(master, []byte("Master-Key:"))
	if !ok {
		return errors.New("RSA Session-ID line without Master-Key")
	}
	if len(id) == 0 || len(id) > 64 || len(id)%2 != 0 {
		return errors.New("session ID is not 1 to 32 hex-encoded bytes")
	}
	rawID := make([]byte, len(id)/2)
	if _, err := hex.Decode(rawID, id); err != nil {
		return errors.New("session ID is not hex")
	}
	if len(master) != 96 {
		return errors.New("master key is not 96 hex digits")
	}
	secret := make([]byte, 48)
	if _, err := hex.Decode(secret, master); err != nil {
		return errors.New("master key is not hex")
	}
	if k.bySessionID == nil {
		k.bySessionID = make(map[string][]byte)
	}
	k.bySessionID[string(rawID)] = secret
	return nil
}

// withoutBOM returns r as UTF-8 without a byte order mark, converting
// UTF-16 text that starts with one.
func withoutBOM(r io.Reader) io.Reader {
	br := bufio.NewReader(r)
	b, _ := br.Peek(3)
	switch {
	case bytes.HasPrefix(b, []byte{0xEF, 0xBB, 0xBF}):
		br.Discard(3)
		return br
	case bytes.HasPrefix(b, []byte{0xFF, 0xFE}):
		br.Discard(2)
		return &utf16Reader{r: br, order: binary.LittleEndian}
	case bytes.HasPrefix(b, []byte{0xFE, 0xFF}):
		br.Discard(2)
		return &utf16Reader{r: br, order: binary.BigEndian}
	}
	return br
}

// utf16Reader turns UTF-16 into UTF-8. Key logs are ASCII; anything else
// (surrogates included) becomes U+FFFD and then a line error.
type utf16Reader struct {
	r       *bufio.Reader
	order   binary.ByteOrder
	pending []byte
}

func (u *utf16Reader) Read(p []byte) (int, error) {
	n := 0
	for n < len(p) {
		if len(u.pending) > 0 {
			c := copy(p[n:], u.pending)
			u.pending, n = u.pending[c:], n+c
			continue
		}
		var b [2]byte
		if _, err := io.ReadFull(u.r, b[:]); err != nil {
			if n > 0 {
				return n, nil
			}
			if err == io.ErrUnexpectedEOF {
				err = io.EOF // an odd trailing byte
			}
			return 0, err
		}
		if cu := u.order.Uint16(b[:]); cu < utf8.RuneSelf {
			p[n] = byte(cu)
			n++
		} else {
			u.pending = utf8.AppendRune(u.pending[:0], rune(cu))
		}
	}
	return n, nil
}

// isLabel reports whether b looks like an NSS label: upper-case letters,
// digits and underscores.
func isLabel(b []byte) bool {
	for _, c := range b {
		if !(c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_') {
			return false
		}
	}
	return len(b) > 0
}

// Merge adds o's secrets to k. Where both know a secret for the same
// connection, k's is kept.
func (k *KeyLog) Merge(o *KeyLog) {
	if o == nil {
		return
	}
	k.skipped += o.skipped
	for id, master := range o.bySessionID {
		if k.bySessionID == nil {
			k.bySessionID = make(map[string][]byte)
		}
		if k.bySessionID[id] == nil {
			k.bySessionID[id] = master
		}
	}
	for random, os := range o.byRandom {
		if k.byRandom == nil {
			k.byRandom = make(map[[32]byte]*secrets)
		}
		s := k.byRandom[random]
		if s == nil {
			s = &secrets{}
			k.byRandom[random] = s
		}
		for _, slot := range keyLogLabels {
			if dst, src := slot(s), slot(os); *dst == nil {
				*dst = *src
			}
		}
	}
}

// Len is the number of connections (client randoms) and sessions
// (session IDs) the key log has secrets for.
func (k *KeyLog) Len() int {
	if k == nil {
		return 0
	}
	return len(k.byRandom) + len(k.bySessionID)
}

// sessionMaster returns the master secret logged for a TLS 1.2 session ID.
func (k *KeyLog) sessionMaster(id []byte) []byte {
	if k == nil || len(id) == 0 {
		return nil
	}
	return k.bySessionID[string(id)]
}

// lookup returns the secrets logged for a client random, or nil.
func (k *KeyLog) lookup(random []byte) *secrets {
	if k == nil || len(random) != 32 {
		return nil
	}
	return k.byRandom[[32]byte(random)]
}

// ReadKeyLogFiles parses and merges several key log files (--keylog given
// more than once). Errors name the file and line, never a secret.
func ReadKeyLogFiles(paths ...string) (*KeyLog, error) {
	keys := &KeyLog{}
	for _, p := range paths {
		k, err := parseKeyLogFile(p)
		if err != nil {
			return nil, err
		}
		keys.Merge(k)
	}
	return keys, nil
}

func parseKeyLogFile(path string) (*KeyLog, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("tlsdec: %w", err)
	}
	defer f.Close()
	k, err := ParseKeyLog(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return k, nil
}
