package pcap

import (
	"cmp"
	"encoding/binary"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/traceaudit/traceaudit/model"
	"github.com/traceaudit/traceaudit/pcap/quic"
)

// QUICKeys is implemented by a StreamDecrypter that also gives QUIC
// connections their TLS secrets, looked up by the ClientHello's random
// (pcap/tlsdec's does). Without it, QUIC connections are only counted.
type QUICKeys interface {
	QUICSecrets(clientRandom []byte) *quic.Secrets
}

// quicPort is the UDP port always read as QUIC: HTTP/3's. QUIC on other
// ports is found by its content (quicEnds).
const quicPort = 443

// maxQUICNames bounds the server names the QUIC note lists.
const maxQUICNames = 8

// quicReader is the reader's QUIC side: the tracker and what the
// connections that ended were, for the closing note.
type quicReader struct {
	r  *Reader
	tr *quic.Tracker
	// conns counts the connections that ended; decrypted those whose
	// 1-RTT packets were opened; noKeys those without secrets (names:
	// their distinct server names, first few).
	conns, decrypted, noKeys int
	names                    []string
	unnamed                  int
	// h3Held is what the connections' HTTP/3 holds (h3MaxHeld).
	h3Held int
	// notH3 counts the connections on ports other than 443 that carry
	// another protocol than HTTP/3 (their ClientHello's ALPN), left
	// unread; notH3ALPN the first few protocols.
	notH3     int
	notH3ALPN []string
}

// skip tells that a connection is not read as HTTP/3: found on a port
// other than 443, it offers only other protocols (DNS over QUIC, SMB, a
// game's): nothing of a sign-in, and no key log would make it HTTP.
// On port 443 every connection is read as before.
func (h quicHandler) skip(c *quic.Conn) bool {
	not, _ := c.NotHTTP3()
	return not && c.Server.Port() != quicPort
}

// quicDatagram reads a QUIC datagram that the decoder located in p
// (quicAt).
func (r *Reader) quicDatagram(p *packet) {
	if p.tcpOff < 0 || p.tcpOff+p.tcpLen > len(p.data) || p.tcpLen < 8 {
		return
	}
	udp := p.data[p.tcpOff : p.tcpOff+p.tcpLen]
	sport, dport := binary.BigEndian.Uint16(udp), binary.BigEndian.Uint16(udp[2:])
	src, ok1 := netip.AddrFromSlice(p.seg.netFlow.Src().Raw())
	dst, ok2 := netip.AddrFromSlice(p.seg.netFlow.Dst().Raw())
	if !ok1 || !ok2 {
		return
	}
	if r.quic == nil {
		q := &quicReader{r: r}
		var keys func([]byte) *quic.Secrets
		if k, ok := r.opts.Decrypter.(QUICKeys); ok {
			keys = k.QUICSecrets
		}
		q.tr = quic.NewTracker(keys, quicHandler{q})
		r.quic = q
	}
	a, b := netip.AddrPortFrom(src.Unmap(), sport), netip.AddrPortFrom(dst.Unmap(), dport)
	if p.quicToServer {
		r.quic.tr.Datagram(a, b, quic.ClientToServer, udp[8:], p.frame, p.ts)
	} else {
		r.quic.tr.Datagram(b, a, quic.ServerToClient, udp[8:], p.frame, p.ts)
	}
}

// quicHandler passes a tracker's streams to each connection's HTTP/3.
type quicHandler struct{ q *quicReader }

func (h quicHandler) h3(c *quic.Conn) *h3Conn {
	if hc, ok := c.User.(*h3Conn); ok {
		return hc
	}
	hc := newH3Conn(c.Label(), h.q.r, &h.q.h3Held)
	c.User = hc
	return hc
}

func (h quicHandler) Stream(c *quic.Conn, id uint64, dir quic.Dir, data []byte, fin bool, frame int, t time.Time) {
	if !h.skip(c) {
		h.h3(c).stream(id, dir, data, fin, frame, t)
	}
}

func (h quicHandler) Gap(c *quic.Conn, id uint64, dir quic.Dir, n uint64, frame int) {
	if !h.skip(c) {
		h.h3(c).gap(id, dir, n, frame)
	}
}

func (h quicHandler) Reset(c *quic.Conn, id uint64, dir quic.Dir, frame int, t time.Time) {
	if !h.skip(c) {
		h.h3(c).reset(id, dir, t)
	}
}

func (h quicHandler) Closed(c *quic.Conn) {
	q := h.q
	if h.skip(c) {
		_, alpn := c.NotHTTP3()
		q.notH3++
		if alpn != "" && !slices.Contains(q.notH3ALPN, alpn) && len(q.notH3ALPN) < maxQUICNames {
			q.notH3ALPN = append(q.notH3ALPN, alpn)
		}
		return
	}
	s := c.Summary()
	if hc, ok := c.User.(*h3Conn); ok {
		if s.EarlyNoKeys > 0 && !s.EarlyRefused {
			hc.orphanWhy = "its request was in 0-RTT packets not decrypted"
		}
		hc.close()
	}
	q.conns++
	if s.Decrypted {
		q.decrypted++
	}
	if !s.Keys {
		// As for TLS over TCP, one note per connection left encrypted,
		// which the rules count and name by its server.
		why := "no key log"
		if q.r.opts.Decrypter != nil {
			why = "no key log entry for its ClientHello"
		}
		q.r.note(model.Note{Kind: model.NoteTLSNoKeys, Ref: frameRef(s.Frame), Host: s.SNI, Conn: s.Label, Message: fmt.Sprintf(
			"quic %s: QUIC to %s not decrypted (%s): %d packets client→server, %d packets server→client",
			s.Label, cmp.Or(s.SNI, "an unnamed server"), why, s.Packets[quic.ClientToServer], s.Packets[quic.ServerToClient])})
		q.noKeys++
		switch {
		case s.SNI == "":
			q.unnamed++
		case !slices.Contains(q.names, s.SNI) && len(q.names) < maxQUICNames:
			q.names = append(q.names, s.SNI)
		}
	}
	server := cmp.Or(s.SNI, "an unnamed server")
	switch {
	case s.EarlyNoKeys > 0 && s.EarlyRefused:
		q.r.note(model.Note{Kind: model.NoteTLSEarlyData, Ref: frameRef(s.EarlyFrame), Host: s.SNI, Conn: s.Label, Message: fmt.Sprintf(
			"quic %s: %s to %s not decrypted (the key log has no CLIENT_EARLY_TRAFFIC_SECRET for the connection); the server refused the early data, so the client sent its requests again after the handshake",
			s.Label, count(s.EarlyNoKeys, "0-RTT packet")+" (early data)", server)})
	case s.EarlyNoKeys > 0:
		q.r.note(model.Note{Kind: model.NoteTLSEarlyData, Ref: frameRef(s.EarlyFrame), Host: s.SNI, Conn: s.Label, Message: fmt.Sprintf(
			"quic %s: %s to %s not decrypted: the key log has no CLIENT_EARLY_TRAFFIC_SECRET for the connection (it holds its other secrets); the requests the client sent in them are missing unless the server refused the early data and the client sent them again",
			s.Label, count(s.EarlyNoKeys, "0-RTT packet")+" (early data)", server)})
	}
	if s.EarlyRejected > 0 {
		q.r.note(model.Note{Kind: model.NoteTLSEarlyDataRejected, Ref: frameRef(s.EarlyRejectedFrame), Host: s.SNI, Conn: s.Label, Message: fmt.Sprintf(
			"quic %s: %s to %s left out: the server refused the early data, so it never read them; the client sent their requests again after the handshake",
			s.Label, count(s.EarlyRejected, "0-RTT packet")+" (early data)", server)})
	}
	if s.SNI != "" {
		q.r.nameServer(s.Label, strings.ToLower(s.SNI))
	}
	if len(s.Problems) > 0 {
		name := s.SNI
		if name == "" {
			name = "an unnamed server"
		}
		q.r.note(model.Note{Kind: model.NoteQUIC, Ref: frameRef(s.ProblemFrame), Host: s.SNI, Conn: s.Label,
			Message: fmt.Sprintf("quic %s: QUIC to %s: %s", s.Label, name, strings.Join(s.Problems, "; "))})
	}
}

// lowest is the smallest frame where an HTTP/3 request still in progress
// began, 0 when none.
func (q *quicReader) lowest() int {
	low := 0
	q.tr.Live(func(c *quic.Conn) {
		if hc, ok := c.User.(*h3Conn); ok {
			if f := hc.lowest(); f > 0 && (low == 0 || f < low) {
				low = f
			}
		}
	})
	return low
}

// quicNote says what of the capture's QUIC traffic was not read: packets
// is the decoder's count of UDP packets on port 443, ends what it found
// on other ports, q nil when none of them was given to a tracker. "" when
// everything was read.
func quicNote(packets int, ends quicEnds, q *quicReader) string {
	if packets == 0 && ends.packets == 0 && ends.full == 0 {
		return ""
	}
	// The wording of captures with QUIC on port 443 only is kept.
	what := fmt.Sprintf("%d UDP packets on port 443", packets)
	switch {
	case ends.packets > 0 && packets > 0:
		what += fmt.Sprintf(" and %d on other ports", ends.packets)
	case ends.packets > 0 || ends.full > 0:
		what = fmt.Sprintf("%d UDP packets on ports other than 443", ends.packets)
	}
	const advice = "a key log with their secrets (SSLKEYLOGFILE, passed with --keylog or embedded in the pcapng) lets traceaudit read their HTTP/3; or start Chrome or Edge with --disable-quic to capture over TCP"
	if q == nil {
		return fmt.Sprintf("%s (QUIC, HTTP/3) not analysed: no QUIC connection could be read from them", what)
	}
	cn := q.tr.Counts()
	var parts []string
	if q.noKeys > 0 {
		names := strings.Join(q.names, ", ")
		if extra := q.noKeys - len(q.names) - q.unnamed; extra > 0 && len(q.names) == maxQUICNames {
			names += ", …"
		}
		if q.unnamed > 0 {
			if names != "" {
				names += " and "
			}
			names += count(q.unnamed, "unnamed server")
		}
		what := fmt.Sprintf("%d of %d QUIC connections (to %s) not decrypted: no key log entry for their ClientHello", q.noKeys, q.conns, names)
		if q.noKeys == q.conns {
			why := "no key log given"
			if q.r.opts.Decrypter != nil {
				why = "no key log entry for their ClientHello"
			}
			what = fmt.Sprintf("%s (to %s) not decrypted: %s", count(q.noKeys, "QUIC connection"), names, why)
		}
		parts = append(parts, what+"; "+advice)
	}
	if cn.Orphans > 0 {
		parts = append(parts, fmt.Sprintf("%d datagrams (the first in frame %d) belong to QUIC connections whose start the capture missed, or are not QUIC: not read (a connection's keys are found by its ClientHello)", cn.Orphans, cn.OrphanFrame))
	}
	if cn.UnknownVersion > 0 {
		parts = append(parts, fmt.Sprintf("%d packets of a QUIC version other than 1 and 2 not read", cn.UnknownVersion))
	}
	if cn.Refused > 0 {
		parts = append(parts, fmt.Sprintf("%d QUIC connections beyond the %d followed at once not read", cn.Refused, 4096))
	}
	if q.notH3 > 0 {
		alpn := ""
		if len(q.notH3ALPN) > 0 {
			alpn = " (ALPN " + strings.Join(q.notH3ALPN, ", ") + ")"
		}
		verb := "carry"
		if q.notH3 == 1 {
			verb = "carries"
		}
		parts = append(parts, fmt.Sprintf("%s on ports other than 443 %s another protocol than HTTP/3%s: not read", count(q.notH3, "QUIC connection"), verb, alpn))
	}
	if ends.full > 0 {
		parts = append(parts, fmt.Sprintf("%d client Initial datagrams to servers beyond the %d followed on ports other than 443 not read", ends.full, maxQUICEnds))
	}
	if len(parts) == 0 {
		return ""
	}
	return fmt.Sprintf("%s (QUIC, HTTP/3): %s", what, strings.Join(parts, "; "))
}
