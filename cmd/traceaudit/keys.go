package main

import (
	"fmt"
	"os"

	"github.com/traceaudit/traceaudit/model"
	"github.com/traceaudit/traceaudit/pcap"
	"github.com/traceaudit/traceaudit/pcap/tlsdec"
)

// keyMaterial is the TLS key logs given with --keylog, parsed once and
// shared by every capture of the run.
type keyMaterial struct {
	logs []*tlsdec.KeyLog
}

// loadKeyMaterial parses every --keylog file; a malformed one is an error
// that names the file and line (never the secret).
func loadKeyMaterial(paths []string) (*keyMaterial, error) {
	km := &keyMaterial{}
	for _, p := range paths {
		f, err := os.Open(p)
		if err != nil {
			return nil, fmt.Errorf("--keylog: %w", err)
		}
		kl, err := tlsdec.ParseKeyLog(f)
		f.Close()
		if err != nil {
			return nil, fmt.Errorf("--keylog %s: %w", p, err)
		}
		km.logs = append(km.logs, kl)
	}
	return km, nil
}

// newCaptureReader reads a pcap or pcapng, decrypting TLS with the key logs
// given and the secrets embedded in the capture (Decryption Secrets Blocks,
// key log lines in a section comment).
func newCaptureReader(oi *openedInput, o *options, env environment, keys *keyMaterial) (model.Reader, error) {
	kl, notes, err := tlsdec.KeysForCapture(oi.file, oi.size, keys.logs...)
	if err != nil {
		// Embedded secrets could not be read; the capture itself may still be.
		notes = append(notes, model.Note{Kind: model.NoteTLSKeys, Message: err.Error()})
	}
	opts := pcap.Options{Limits: o.limits(), Name: oi.name, PoisonReleased: env.poisonBodies}
	if o.cmd == "scan" || o.cmd == "events" || o.cmd == "exchanges" {
		// Not for bundle's sanitized copy, which keeps every body.
		opts.SkipBody = o.skipBody
		opts.SkipResponse = o.skipResponse()
	}
	if kl != nil && kl.Len() > 0 {
		opts.Decrypter = tlsdec.NewDecrypter(kl).StreamDecrypter()
	}
	r, err := pcap.NewReader(oi.file, opts)
	if err != nil {
		return nil, err
	}
	return &notedReader{Reader: r, extra: notes}, nil
}

// notedReader adds notes found before reading (key material) to a
// capture reader's; bodies and header lists go back to the reader.
type notedReader struct {
	*pcap.Reader
	extra []model.Note
}

func (n *notedReader) Notes() []model.Note {
	return append(append([]model.Note(nil), n.extra...), n.Reader.Notes()...)
}
