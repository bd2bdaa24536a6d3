package saz

import (
	"bytes"
	"encoding/xml"
	"strings"
	"time"
	"unicode/utf8"
)

// parseMetaFast reads _m.xml in exactly the shape Fiddler writes it:
//
//	<?xml ...?><Session a="v"><SessionTimers a="v" /><PipeInfo /><SessionFlags>
//	<SessionFlag N="n" V="v" />...</SessionFlags></Session>
//
// with only the five predefined entities in values. It reports ok=false for
// anything else (comments, text, character references, namespaces, other
// nesting), and parseMeta then uses encoding/xml, which is several times
// slower but reads any XML. A differential test holds the two to the same
// results.
func parseMetaFast(data []byte) (*meta, bool) {
	p := fastXML{b: bytes.TrimPrefix(data, []byte("\xef\xbb\xbf")), attrs: make([]xml.Attr, 0, 16)}
	p.ws()
	if bytes.HasPrefix(p.b, []byte("<?xml")) {
		end := bytes.Index(p.b, []byte("?>"))
		if end < 0 {
			return nil, false
		}
		decl := p.b[:end]
		if !bytes.HasPrefix(decl, []byte(`<?xml version="1.0"`)) && !bytes.HasPrefix(decl, []byte(`<?xml version='1.0'`)) {
			return nil, false
		}
		p.b = p.b[end+2:]
		p.ws()
	}
	m := &meta{timers: make(map[string]time.Time), flags: make(map[string]string)}
	name, attrs, empty, ok := p.startTag()
	if !ok || name != "Session" || m.sessionAttrs(attrs) != nil {
		return nil, false
	}
	if !empty {
		for {
			p.ws()
			if p.endTag("Session") {
				break
			}
			name, attrs, empty, ok := p.startTag()
			if !ok {
				return nil, false
			}
			switch {
			case name == "SessionFlag":
				return nil, false // only inside SessionFlags
			case name == "SessionTimers" && empty:
				m.timerAttrs(attrs)
			case name == "SessionFlags" && !empty:
				if !p.sessionFlags(m) {
					return nil, false
				}
			case !empty:
				return nil, false // an element with content this path does not know
			}
		}
	}
	p.ws()
	if len(p.b) != 0 {
		return nil, false
	}
	return m, true
}

type fastXML struct {
	b []byte
	// attrs backs each startTag's attributes in turn: callers read them
	// before the next tag.
	attrs []xml.Attr
}

func (p *fastXML) ws() {
	i := 0
	for i < len(p.b) && (p.b[i] == ' ' || p.b[i] == '\t' || p.b[i] == '\r' || p.b[i] == '\n') {
		i++
	}
	p.b = p.b[i:]
}

func (p *fastXML) endTag(name string) bool {
	tag := "</" + name
	if !bytes.HasPrefix(p.b, []byte(tag)) {
		return false
	}
	rest := p.b[len(tag):]
	i := 0
	for i < len(rest) && (rest[i] == ' ' || rest[i] == '\t' || rest[i] == '\r' || rest[i] == '\n') {
		i++
	}
	if i >= len(rest) || rest[i] != '>' {
		return false
	}
	p.b = rest[i+1:]
	return true
}

// sessionFlags reads SessionFlag elements up to </SessionFlags>.
func (p *fastXML) sessionFlags(m *meta) bool {
	for {
		p.ws()
		if p.endTag("SessionFlags") {
			return true
		}
		name, attrs, empty, ok := p.startTag()
		if !ok || name != "SessionFlag" || !empty {
			return false
		}
		var n, v string
		for _, a := range attrs {
			switch a.Name.Local {
			case "N":
				n = a.Value
			case "V":
				v = a.Value
			}
		}
		if n != "" {
			m.flags[strings.ToLower(n)] = v
		}
	}
}

func isNameByte(c byte, first bool) bool {
	switch {
	case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c == '_':
		return true
	case first:
		return false
	}
	return c >= '0' && c <= '9' || c == '-' || c == '.'
}

func (p *fastXML) name() (string, bool) {
	i := 0
	for i < len(p.b) && isNameByte(p.b[i], i == 0) {
		i++
	}
	if i == 0 {
		return "", false
	}
	n := knownName(p.b[:i])
	p.b = p.b[i:]
	return n, true
}

// knownName returns the element and attribute names Fiddler writes as
// constants, and copies others: a session's file holds some twenty names.
func knownName(b []byte) string {
	switch string(b) { // no allocation to compare
	case "Session":
		return "Session"
	case "SID":
		return "SID"
	case "BitFlags":
		return "BitFlags"
	case "SessionTimers":
		return "SessionTimers"
	case "SessionFlags":
		return "SessionFlags"
	case "SessionFlag":
		return "SessionFlag"
	case "PipeInfo":
		return "PipeInfo"
	case "N":
		return "N"
	case "V":
		return "V"
	case "ClientConnected":
		return "ClientConnected"
	case "ClientBeginRequest":
		return "ClientBeginRequest"
	case "GotRequestHeaders":
		return "GotRequestHeaders"
	case "ClientDoneRequest":
		return "ClientDoneRequest"
	case "GatewayTime":
		return "GatewayTime"
	case "DNSTime":
		return "DNSTime"
	case "TCPConnectTime":
		return "TCPConnectTime"
	case "HTTPSHandshakeTime":
		return "HTTPSHandshakeTime"
	case "ServerConnected":
		return "ServerConnected"
	case "FiddlerBeginRequest":
		return "FiddlerBeginRequest"
	case "ServerGotRequest":
		return "ServerGotRequest"
	case "ServerBeginResponse":
		return "ServerBeginResponse"
	case "GotResponseHeaders":
		return "GotResponseHeaders"
	case "ServerDoneResponse":
		return "ServerDoneResponse"
	case "ClientBeginResponse":
		return "ClientBeginResponse"
	case "ClientDoneResponse":
		return "ClientDoneResponse"
	}
	return string(b)
}

// startTag reads <name a="v" ...> or <name ... />.
func (p *fastXML) startTag() (name string, attrs []xml.Attr, empty, ok bool) {
	if len(p.b) == 0 || p.b[0] != '<' {
		return "", nil, false, false
	}
	p.b = p.b[1:]
	if name, ok = p.name(); !ok {
		return "", nil, false, false
	}
	attrs = p.attrs[:0]
	defer func() { p.attrs = attrs[:0] }()
	for {
		before := len(p.b)
		p.ws()
		switch {
		case len(p.b) == 0:
			return "", nil, false, false
		case p.b[0] == '>':
			p.b = p.b[1:]
			return name, attrs, false, true
		case bytes.HasPrefix(p.b, []byte("/>")):
			p.b = p.b[2:]
			return name, attrs, true, true
		case len(p.b) == before:
			return "", nil, false, false // attributes must be separated by space
		}
		an, ok := p.name()
		if !ok {
			return "", nil, false, false
		}
		p.ws()
		if len(p.b) == 0 || p.b[0] != '=' {
			return "", nil, false, false
		}
		p.b = p.b[1:]
		p.ws()
		if len(p.b) == 0 || (p.b[0] != '"' && p.b[0] != '\'') {
			return "", nil, false, false
		}
		quote := p.b[0]
		end := bytes.IndexByte(p.b[1:], quote)
		if end < 0 {
			return "", nil, false, false
		}
		v, ok := attrValue(p.b[1 : 1+end])
		if !ok {
			return "", nil, false, false
		}
		p.b = p.b[end+2:]
		attrs = append(attrs, xml.Attr{Name: xml.Name{Local: an}, Value: v})
	}
}

var predefined = []struct{ ref, char string }{
	{"&lt;", "<"}, {"&gt;", ">"}, {"&amp;", "&"}, {"&quot;", `"`}, {"&apos;", "'"},
}

// attrValue decodes a value holding printable UTF-8 and predefined
// entities only; line breaks, tabs (which XML normalizes) and character
// references are left to encoding/xml.
func attrValue(raw []byte) (string, bool) {
	if !utf8.Valid(raw) || bytes.Contains(raw, []byte("\uFFFE")) || bytes.Contains(raw, []byte("\uFFFF")) {
		return "", false // not XML characters: encoding/xml decides
	}
	for _, c := range raw {
		if c < 0x20 || c == '<' {
			return "", false
		}
	}
	if bytes.IndexByte(raw, '&') < 0 {
		return string(raw), true
	}
	var sb strings.Builder
	for len(raw) > 0 {
		i := bytes.IndexByte(raw, '&')
		if i < 0 {
			sb.Write(raw)
			break
		}
		sb.Write(raw[:i])
		raw = raw[i:]
		matched := false
		for _, e := range predefined {
			if bytes.HasPrefix(raw, []byte(e.ref)) {
				sb.WriteString(e.char)
				raw = raw[len(e.ref):]
				matched = true
				break
			}
		}
		if !matched {
			return "", false
		}
	}
	return sb.String(), true
}
