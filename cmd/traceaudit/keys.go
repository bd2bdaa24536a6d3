package main

import (
	"errors"

	"github.com/traceaudit/traceaudit/parse"
)

// keyMaterial is the TLS key logs given with --keylog, parsed once and shared
// by every capture of the run.
type keyMaterial struct {
	paths []string
}

func loadKeyMaterial(paths []string) (*keyMaterial, error) {
	return &keyMaterial{paths: paths}, nil
}

func newCaptureReader(oi *openedInput, o *options, keys *keyMaterial) (parse.Reader, error) {
	return nil, errors.New("packet captures are not supported in this build yet")
}
