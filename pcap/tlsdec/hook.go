package tlsdec

import (
	"io"
	"time"

	"github.com/traceaudit/traceaudit/model"
	"github.com/traceaudit/traceaudit/pcap"
	"github.com/traceaudit/traceaudit/pcap/quic"
)

// StreamDecrypter adapts d to the pcap reader's hook:
//
//	pcap.NewReader(f, pcap.Options{Decrypter: tlsdec.NewDecrypter(keys).StreamDecrypter()})
func (d *Decrypter) StreamDecrypter() pcap.StreamDecrypter { return hook{d} }

type hook struct{ d *Decrypter }

func (h hook) NewConn(label string) pcap.TLSConn { return hookConn{h.d.NewConn(label)} }

var _ pcap.QUICKeys = hook{}

// QUICSecrets gives a QUIC connection the TLS 1.3 secrets the key log
// holds for its ClientHello's random (Chromium logs QUIC's as TLS's).
func (h hook) QUICSecrets(random []byte) *quic.Secrets {
	s := h.d.keys.lookup(random)
	if s == nil || s.clientHS == nil && s.serverHS == nil && s.clientApp == nil && s.serverApp == nil && s.clientEarly == nil {
		return nil
	}
	return &quic.Secrets{ClientHandshake: s.clientHS, ServerHandshake: s.serverHS, ClientApp: s.clientApp, ServerApp: s.serverApp, ClientEarly: s.clientEarly}
}

// hookConn is a Conn seen through pcap.TLSConn.
type hookConn struct{ c *Conn }

var _ pcap.TLSConn = hookConn{}

func (h hookConn) Feed(dir pcap.Dir, data []byte, frame int, t time.Time) {
	h.c.Feed(Direction(dir), data, frame, t)
}

func (h hookConn) Drain() []pcap.Plaintext {
	chunks := h.c.Drain()
	if len(chunks) == 0 {
		return nil
	}
	out := make([]pcap.Plaintext, len(chunks))
	for i, c := range chunks {
		out[i] = pcap.Plaintext{Dir: pcap.Dir(c.Dir), Data: c.Data, Frame: c.Frame, Time: c.Time}
	}
	return out
}

// Gap passes on a TCP gap; the pcap reader calls it when the conn has it.
func (h hookConn) Gap(dir pcap.Dir, n int) { h.c.Gap(Direction(dir), n) }

func (h hookConn) ALPN() string        { return h.c.Info().ALPN }
func (h hookConn) Close()              { h.c.Close() }
func (h hookConn) Notes() []model.Note { return h.c.Notes() }

// KeysForCapture gathers the secrets for one capture file: those embedded
// in it (pcapng Decryption Secrets Blocks and section comments) merged with
// the key logs the user gave. The notes say which embedded secrets were
// damaged.
func KeysForCapture(capture io.ReaderAt, size int64, keylogs ...*KeyLog) (*KeyLog, []model.Note, error) {
	keys := &KeyLog{}
	for _, k := range keylogs {
		keys.Merge(k)
	}
	embedded, notes, err := SecretsFromPCAPNG(capture, size)
	keys.Merge(embedded)
	return keys, notes, err
}
