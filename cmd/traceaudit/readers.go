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

// newReader opens the reader for a sniffed input.
func newReader(oi *openedInput, o *options, env environment, keys *keyMaterial) (parse.Reader, error) {
	switch oi.format {
	case parse.FormatHAR:
		return har.NewReader(oi.file, har.Options{Limits: o.limits(), SideFiles: os.DirFS(oi.dir), Name: oi.name})
	case parse.FormatSAZ:
		return saz.NewReader(oi.file, oi.size, saz.Options{Password: o.password, Limits: o.limits(), Name: oi.name,
			MaxMembers: o.members, ArchiveInflateBytes: o.archiveBytes})
	case parse.FormatPCAP:
		return newCaptureReader(oi, o, keys)
	}
	return nil, fmt.Errorf("%w", errUnknownFormat)
}
