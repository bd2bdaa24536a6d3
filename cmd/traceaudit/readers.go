package main

import (
	"fmt"
	"os"

	"github.com/traceaudit/traceaudit/har"
	"github.com/traceaudit/traceaudit/parse"
	"github.com/traceaudit/traceaudit/saz"
)

func (o *options) limits() parse.Limits {
	return parse.Limits{BodyBytes: o.bodyLimit, InflateBytes: o.inflateLimit, HeaderBytes: o.headerBytes,
		HeaderCount: o.headerLimit, JSONDepth: o.jsonDepth}.WithDefaults()
}

// skipBody says which HAR response bodies not to decode: none is needed to
// list exchanges, and no analysis reads scripts, images or fonts.
func (o *options) skipBody(mimeType string) bool {
	return o.cmd == "exchanges" || parse.CarriesNoOAuth(mimeType)
}

// newReader opens the reader for a sniffed input.
func newReader(oi *openedInput, o *options, env environment, keys *keyMaterial) (parse.Reader, error) {
	switch oi.format {
	case parse.FormatHAR:
		return har.NewReader(oi.file, har.Options{Limits: o.limits(), SideFiles: os.DirFS(oi.dir), Name: oi.name,
			SkipBody: o.skipBody})
	case parse.FormatSAZ:
		return saz.NewReader(oi.file, oi.size, saz.Options{Password: o.password, Limits: o.limits(), Name: oi.name,
			MaxMembers: o.members, ArchiveInflateBytes: o.archiveBytes})
	case parse.FormatPCAP:
		return newCaptureReader(oi, o, keys)
	}
	return nil, fmt.Errorf("%w", errUnknownFormat)
}
