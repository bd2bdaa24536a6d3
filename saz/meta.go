package saz

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"time"
)

// Fiddler's SessionFlags bits as _m.xml writes them (BitFlags, hex), from
// FiddlerCore's SessionFlags enumeration.
const (
	bitIsHTTPS                    = 0x1
	bitResponseGeneratedByFiddler = 0x100
	bitIsBlindTunnel              = 0x1000
	bitIsDecryptingTunnel         = 0x2000
	bitResponseBodyDropped        = 0x20000
	bitIsWebSocketTunnel          = 0x40000
	bitIsRPCTunnel                = 0x200000 // RPC over HTTP (RPC_IN_DATA/RPC_OUT_DATA)
	bitIsGRPCTunnel               = 0x800000
)

// meta is what a session's _m.xml says.
type meta struct {
	bitFlags uint64
	timers   map[string]time.Time
	flags    map[string]string // lower-case flag name -> value
	aborted  bool
	// badTimers lists timer attributes whose value was unreadable.
	badTimers []string
}

func (m *meta) flag(name string) string {
	if m == nil {
		return ""
	}
	return m.flags[name]
}

func (m *meta) has(bit uint64) bool { return m != nil && m.bitFlags&bit != 0 }

func (m *meta) timer(name string) time.Time {
	if m == nil {
		return time.Time{}
	}
	return m.timers[name]
}

var errMetaFormat = errors.New("saz: unreadable session metadata")

// parseMeta reads _m.xml: the Session element's BitFlags, the
// SessionTimers attributes and the SessionFlag name/value pairs. Files in
// Fiddler's own shape take a fast path; the rest go through encoding/xml's
// raw tokens. Unreadable timers are listed, not fatal: a session with odd
// timestamps is still worth reading.
func parseMeta(data []byte) (*meta, error) {
	if m, ok := parseMetaFast(data); ok {
		return m, nil
	}
	return parseMetaXML(data)
}

// parseMetaXML is parseMeta through encoding/xml, for any well-formed file.
func parseMetaXML(data []byte) (*meta, error) {
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	dec := xml.NewDecoder(bytes.NewReader(data))
	// Fiddler writes UTF-8; accept any declared label rather than fail on
	// a mislabelled but readable file.
	dec.CharsetReader = func(_ string, in io.Reader) (io.Reader, error) { return in, nil }
	m := &meta{timers: make(map[string]time.Time), flags: make(map[string]string)}
	depth, sawSession := 0, false
	for {
		tok, err := dec.RawToken()
		if err == io.EOF {
			break
		}
		if err != nil {
			// A syntax error's text can quote the file; its line cannot
			// leak a flag value.
			var syn *xml.SyntaxError
			if errors.As(err, &syn) {
				return nil, fmt.Errorf("%w: XML syntax error on line %d", errMetaFormat, syn.Line)
			}
			return nil, fmt.Errorf("%w: %v", errMetaFormat, err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			depth++
			if depth == 1 {
				if t.Name.Local != "Session" || sawSession {
					return nil, fmt.Errorf("%w: root element is not Session", errMetaFormat)
				}
				sawSession = true
				if err := m.sessionAttrs(t.Attr); err != nil {
					return nil, err
				}
				continue
			}
			switch t.Name.Local {
			case "SessionTimers":
				m.timerAttrs(t.Attr)
			case "SessionFlag":
				var name, value string
				for _, a := range t.Attr {
					switch a.Name.Local {
					case "N":
						name = a.Value
					case "V":
						value = a.Value
					}
				}
				if name != "" {
					m.flags[strings.ToLower(name)] = value
				}
			}
		case xml.EndElement:
			depth--
		}
	}
	if !sawSession || depth != 0 {
		return nil, fmt.Errorf("%w: no complete Session element", errMetaFormat)
	}
	return m, nil
}

func (m *meta) sessionAttrs(attrs []xml.Attr) error {
	for _, a := range attrs {
		switch a.Name.Local {
		case "BitFlags":
			bits, err := strconv.ParseUint(strings.TrimSpace(a.Value), 16, 64)
			if err != nil {
				return fmt.Errorf("%w: BitFlags is not hexadecimal", errMetaFormat)
			}
			m.bitFlags = bits
		case "Aborted":
			m.aborted = strings.EqualFold(a.Value, "true")
		}
	}
	return nil
}

func (m *meta) timerAttrs(attrs []xml.Attr) {
	for _, a := range attrs {
		if isInteger(a.Value) {
			continue // GatewayTime, DNSTime, ...: durations in ms, not times
		}
		t, ok := parseFiddlerTime(a.Value)
		if !ok {
			m.badTimers = append(m.badTimers, a.Name.Local)
			continue
		}
		if !t.IsZero() {
			m.timers[a.Name.Local] = t
		}
	}
}

// isInteger reports what strconv.ParseInt(v, 10, 64) accepts, without the
// error value ParseInt allocates for every timer that is a time (most of
// them): only a sign and digits go on to ParseInt.
func isInteger(v string) bool {
	d := v
	if d != "" && (d[0] == '+' || d[0] == '-') {
		d = d[1:]
	}
	if d == "" {
		return false
	}
	for i := 0; i < len(d); i++ {
		if d[i] < '0' || d[i] > '9' {
			return false
		}
	}
	_, err := strconv.ParseInt(v, 10, 64)
	return err == nil
}

// Layouts Fiddler has written timers in: .NET's round-trip "o" format (the
// usual one, 7 fractional digits and an offset), the same without a zone,
// and culture-dependent DateTime.ToString forms of older builds. Go accepts a
// fractional second (with '.' or ',') after the seconds even when the
// layout has none.
var timeLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02T15:04:05",
	"2006-01-02 15:04:05Z07:00",
	"2006-01-02 15:04:05",
	"2006/01/02 15:04:05",
	"1/2/2006 3:04:05 PM",
	"1/2/2006 15:04:05",
	"2/1/2006 15:04:05",
	"2.1.2006 15:04:05",
	"2-1-2006 15:04:05",
	"2006. 1. 2. 15:04:05",
	"2006.01.02 15:04:05",
}

// parseFiddlerTime parses one timer value. The zero DateTime Fiddler writes
// for events that never happened ("0001-01-01T00:00:00") yields the zero
// time and ok. Times without a zone are taken as UTC.
func parseFiddlerTime(v string) (time.Time, bool) {
	v = strings.TrimSpace(v)
	if v == "" || strings.HasPrefix(v, "0001-01-01") {
		return time.Time{}, true
	}
	for _, layout := range timeLayouts {
		if t, err := time.Parse(layout, v); err == nil {
			if t.Year() <= 1 {
				return time.Time{}, true
			}
			return t.UTC(), true
		}
	}
	return time.Time{}, false
}

// conn is the client side of the session's connection, "ip:port", or "".
func (m *meta) conn() string {
	ip := strings.TrimPrefix(m.flag("x-clientip"), "::ffff:")
	port := m.flag("x-clientport")
	if ip == "" || port == "" || port == "0" {
		return ""
	}
	if _, err := strconv.ParseUint(port, 10, 16); err != nil {
		return ""
	}
	return net.JoinHostPort(ip, port)
}

// process splits x-processinfo ("chrome:1234") into the process name and the
// name:pid pair that tells one process instance from another.
func (m *meta) process() (name, instance string) {
	info := strings.TrimSpace(m.flag("x-processinfo"))
	if info == "" {
		return "", ""
	}
	name, pid, found := strings.Cut(info, ":")
	if !found {
		return info, info
	}
	if _, err := strconv.Atoi(pid); err != nil {
		return info, info
	}
	return name, info
}
