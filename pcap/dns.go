package pcap

import (
	"encoding/binary"
	"fmt"
	"net"
	"net/netip"
	"slices"
	"strconv"
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

// dnsName is what the answers say of one address: the distinct names
// given it (at most maxDNSNames), each with the frame of the first answer
// that gave it, in that order. Several names (a CDN's address serves
// many) leave the address's name to what else the capture shows.
type dnsName struct {
	names []dnsSeen
}

type dnsSeen struct {
	name  string
	frame int
}

// Bounds on what the answers of one capture may hold.
const (
	maxDNSAddrs     = 4096
	maxDNSQuestions = 8
	maxDNSAnswers   = 64
	maxDNSNames     = 8
)

// record reads a DNS response (the payload of a UDP datagram from port
// 53, or a message of a DNS-over-TCP stream) of frame and remembers the
// addresses its A and AAAA records give, under the name the question
// asked for (a CNAME chain's target names the provider's CDN, the
// question names the provider). Malformed or refused answers are ignored.
func (d *dnsNames) record(payload []byte, frame int) {
	dnsAnswers(payload, func(a netip.Addr, name string) { d.add(a, name, frame) })
}

// add remembers that an answer of frame gave address a to name.
func (d *dnsNames) add(a netip.Addr, name string, frame int) {
	if d.byAddr == nil {
		d.byAddr = map[netip.Addr]*dnsName{}
	}
	n := d.byAddr[a]
	if n == nil {
		if len(d.byAddr) >= maxDNSAddrs {
			return
		}
		n = &dnsName{}
		d.byAddr[a] = n
	}
	for i, s := range n.names {
		if s.name == name {
			if frame < s.frame {
				n.names[i].frame = frame
				slices.SortStableFunc(n.names, func(x, y dnsSeen) int { return x.frame - y.frame })
			}
			return
		}
	}
	if len(n.names) < maxDNSNames {
		n.names = append(n.names, dnsSeen{name, frame})
		slices.SortStableFunc(n.names, func(x, y dnsSeen) int { return x.frame - y.frame })
	}
}

// merge adds what o learnt (the answers read over TCP to those read over
// UDP), addresses in order so that the bound keeps the same ones however
// the maps iterate.
func (d *dnsNames) merge(o *dnsNames) {
	addrs := make([]netip.Addr, 0, len(o.byAddr))
	for a := range o.byAddr {
		addrs = append(addrs, a)
	}
	slices.SortFunc(addrs, netip.Addr.Compare)
	for _, a := range addrs {
		for _, s := range o.byAddr[a].names {
			d.add(a, s.name, s.frame)
		}
	}
}

// dnsStream reads the DNS messages of a DNS-over-TCP stream (RFC 1035
// 4.2.2: each after a two-byte length, several to a segment or one over
// several), handing each message to out. After lost bytes its framing is
// unknown, so it stops.
type dnsStream struct {
	buf   []byte
	frame int // the packet of buf's first byte
	dead  bool
}

// feed takes the next bytes of the server's stream, of frame.
func (s *dnsStream) feed(data []byte, frame int, out interface{ dnsAnswer([]byte, int) }) {
	if s.dead {
		return
	}
	for {
		if len(s.buf) >= 2 {
			need := 2 + int(binary.BigEndian.Uint16(s.buf)) - len(s.buf)
			switch {
			case need == 0:
				out.dnsAnswer(s.buf[2:], s.frame)
				s.buf = s.buf[:0]
				continue
			case len(s.buf) == 2 && len(data) >= need:
				// The whole message is in this packet: read it in place.
				out.dnsAnswer(data[:need], s.frame)
				s.buf, data = s.buf[:0], data[need:]
				continue
			case len(data) == 0:
				return
			}
			k := min(need, len(data))
			s.buf, data = append(s.buf, data[:k]...), data[k:]
			continue
		}
		if len(data) == 0 {
			return
		}
		if len(s.buf) == 0 {
			s.frame = frame // the packet of the message's first byte
		}
		k := min(2-len(s.buf), len(data))
		s.buf, data = append(s.buf, data[:k]...), data[k:]
	}
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
// address: the name the client looked up before connecting. An address
// several names share takes the one of them that the capture's other
// connections to it named (TLS SNI, HTTP Host: seen, by server address);
// otherwise it stays unnamed, and the note lists the names. The note says
// where the name comes from.
func (d *dnsNames) nameNotes(notes []model.Note, seen map[netip.Addr][]string) {
	if d == nil || len(d.byAddr) == 0 {
		return
	}
	for i := range notes {
		n := &notes[i]
		if n.Host != "" || n.Conn == "" {
			continue
		}
		a, ok := serverAddrOf(n.Conn)
		if !ok {
			continue
		}
		dn := d.byAddr[a]
		if dn == nil {
			continue
		}
		var valid []dnsSeen
		for _, s := range dn.names {
			if validHostName(s.name) {
				valid = append(valid, s)
			}
		}
		switch {
		case len(valid) == 0:
		case len(valid) == 1 && len(dn.names) == 1:
			n.Host = valid[0].name
			n.Message += fmt.Sprintf(" (the server is %s: the DNS answer at frame %d gives it this address)", valid[0].name, valid[0].frame)
		default:
			var named []dnsSeen
			for _, s := range valid {
				if slices.Contains(seen[a], s.name) {
					named = append(named, s)
				}
			}
			if len(named) == 1 {
				n.Host = named[0].name
				n.Message += fmt.Sprintf(" (the server is %s: the DNS answers give this address %d names (%s), and %s is the one the capture's other connections to it named)",
					named[0].name, len(dn.names), dnsList(dn.names), named[0].name)
				continue
			}
			n.Message += fmt.Sprintf(" (the server is not named: the DNS answers give this address %d names (%s), and which one this connection used cannot be told)", len(dn.names), dnsList(dn.names))
		}
	}
}

// dnsList is "a at frame 3, b at frame 9", names printable only.
func dnsList(names []dnsSeen) string {
	parts := make([]string, 0, len(names))
	for _, s := range names {
		name := s.name
		if !validHostName(name) {
			name = strconv.Quote(name)
		}
		parts = append(parts, fmt.Sprintf("%s at frame %d", name, s.frame))
	}
	return strings.Join(parts, ", ")
}

// serverAddrOf is the server address of a connection named
// "client:port-server:port".
func serverAddrOf(conn string) (netip.Addr, bool) {
	_, srv, ok := strings.Cut(conn, "-")
	if !ok {
		return netip.Addr{}, false
	}
	host, _, err := net.SplitHostPort(srv)
	if err != nil {
		return netip.Addr{}, false
	}
	a, err := netip.ParseAddr(host)
	if err != nil {
		return netip.Addr{}, false
	}
	return a.Unmap(), true
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
