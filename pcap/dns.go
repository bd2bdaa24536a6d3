package pcap

import (
	"encoding/binary"
	"fmt"
	"net"
	"net/netip"
	"strings"

	"github.com/traceaudit/traceaudit/model"
)

// dnsNames remembers the names the capture's DNS answers give addresses,
// to name the server of a connection the capture could not read and whose
// ClientHello it never saw (a capture started after the handshake): its
// notes named no server, so the verdict could not tell whether the
// provider's traffic was missing.
type dnsNames struct {
	byAddr map[netip.Addr]*dnsName
}

// dnsName is what the answers say of one address: the name first given
// and the frame of that answer; other is a second, different name, which
// makes the address's name unknowable (a CDN's address serves many).
type dnsName struct {
	name  string
	frame int
	other string
}

// Bounds on what the answers of one capture may hold.
const (
	maxDNSAddrs     = 4096
	maxDNSQuestions = 8
	maxDNSAnswers   = 64
)

// record reads a DNS response (the payload of a UDP datagram from port
// 53) of frame and remembers the addresses its A and AAAA records give,
// under the name the question asked for (a CNAME chain's target names the
// provider's CDN, the question names the provider). Malformed or refused
// answers are ignored.
func (d *dnsNames) record(payload []byte, frame int) {
	dnsAnswers(payload, func(a netip.Addr, name string) {
		if d.byAddr == nil {
			d.byAddr = map[netip.Addr]*dnsName{}
		}
		if n := d.byAddr[a]; n != nil {
			if n.name != name && n.other == "" {
				n.other = name
			}
			return
		}
		if len(d.byAddr) < maxDNSAddrs {
			d.byAddr[a] = &dnsName{name: name, frame: frame}
		}
	})
}

// dnsAnswers parses a DNS response and calls fn for each A or AAAA record
// of its answer section with the first question's name (lower case,
// without the root's dot). ok is false for a message that is not a
// successful response or is malformed; records read before the fault
// have been given.
func dnsAnswers(b []byte, fn func(netip.Addr, string)) (question string, ok bool) {
	if len(b) < 12 {
		return "", false
	}
	flags := binary.BigEndian.Uint16(b[2:])
	qd, an := int(binary.BigEndian.Uint16(b[4:])), int(binary.BigEndian.Uint16(b[6:]))
	// A response (QR), a standard query (opcode 0), no error (rcode 0).
	if flags&0x8000 == 0 || flags&0x7800 != 0 || flags&0x000f != 0 || qd == 0 || qd > maxDNSQuestions {
		return "", false
	}
	off := 12
	for i := 0; i < qd; i++ {
		name, next, ok := readDNSName(b, off)
		if !ok || next+4 > len(b) {
			return "", false
		}
		if i == 0 {
			question = name
		}
		off = next + 4 // type, class
	}
	if question == "" {
		return "", false
	}
	for i := 0; i < min(an, maxDNSAnswers); i++ {
		_, next, ok := readDNSName(b, off)
		if !ok || next+10 > len(b) {
			return question, false
		}
		typ, class := binary.BigEndian.Uint16(b[next:]), binary.BigEndian.Uint16(b[next+2:])
		rdlen := int(binary.BigEndian.Uint16(b[next+8:]))
		rdata := next + 10
		if rdata+rdlen > len(b) {
			return question, false
		}
		if class == 1 {
			switch {
			case typ == 1 && rdlen == 4:
				fn(netip.AddrFrom4([4]byte(b[rdata:rdata+4])), question)
			case typ == 28 && rdlen == 16:
				fn(netip.AddrFrom16([16]byte(b[rdata:rdata+16])).Unmap(), question)
			}
		}
		off = rdata + rdlen
	}
	return question, true
}

// readDNSName reads the (possibly compressed) domain name at off: the name in
// lower case without the root's dot, and where the data after it starts.
// Pointers are followed a bounded number of times, and only backwards, so
// a loop ends.
func readDNSName(b []byte, off int) (name string, next int, ok bool) {
	var sb strings.Builder
	next = -1
	for jumps := 0; ; {
		if off >= len(b) {
			return "", 0, false
		}
		l := int(b[off])
		switch {
		case l == 0:
			if next < 0 {
				next = off + 1
			}
			return strings.ToLower(sb.String()), next, sb.Len() <= 253
		case l&0xc0 == 0xc0:
			if off+1 >= len(b) {
				return "", 0, false
			}
			ptr := int(binary.BigEndian.Uint16(b[off:]) & 0x3fff)
			if next < 0 {
				next = off + 2
			}
			if jumps++; jumps > 16 || ptr >= off {
				return "", 0, false
			}
			off = ptr
		case l&0xc0 != 0:
			return "", 0, false // reserved label types
		default:
			if off+1+l > len(b) || sb.Len()+l+1 > 254 {
				return "", 0, false
			}
			if sb.Len() > 0 {
				sb.WriteByte('.')
			}
			sb.Write(b[off+1 : off+1+l])
			off += 1 + l
		}
	}
}

// nameNotes gives a server name to the notes about connections whose
// server none of them names, when the capture's DNS answers name its
// address, and one name only: the name the client looked up before
// connecting. The note says where the name comes from.
func (d *dnsNames) nameNotes(notes []model.Note) {
	if d == nil || len(d.byAddr) == 0 {
		return
	}
	for i := range notes {
		n := &notes[i]
		if n.Host != "" || n.Conn == "" {
			continue
		}
		_, srv, ok := strings.Cut(n.Conn, "-")
		if !ok {
			continue
		}
		host, _, err := net.SplitHostPort(srv)
		if err != nil {
			continue
		}
		a, err := netip.ParseAddr(host)
		if err != nil {
			continue
		}
		dn := d.byAddr[a.Unmap()]
		if dn == nil || dn.other != "" || !validHostName(dn.name) {
			continue
		}
		n.Host = dn.name
		n.Message += fmt.Sprintf(" (the server is %s: the DNS answer at frame %d gives it this address)", dn.name, dn.frame)
	}
}

// validHostName reports a name of letters, digits, hyphens, underscores
// and dots: what a DNS answer gives is printed in notes and matched
// against the providers' host names.
func validHostName(s string) bool {
	if s == "" || len(s) > 253 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '.' || c == '_') {
			return false
		}
	}
	return true
}
