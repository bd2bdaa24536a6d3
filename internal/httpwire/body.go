package httpwire

import (
	"strings"

	"github.com/traceaudit/traceaudit/model"
)

// BodyBuilder collects a body that arrives in pieces (HTTP/2 DATA frames):
// it counts every byte, keeps the first Limits.BodyBytes and decodes them
// like the HTTP/1 readers do.
type BodyBuilder struct {
	raw rawBody
	o   Options
	l   model.Limits
}

// NewBodyBuilder returns an empty builder. o.Warn receives decoding problems.
func NewBodyBuilder(o Options) *BodyBuilder {
	l := o.Limits.WithDefaults()
	return &BodyBuilder{raw: rawBody{cap: l.BodyBytes}, o: o, l: l}
}

// Skip makes the builder count the bytes written without keeping them:
// Body then decodes nothing, as Options.SkipBody does for HTTP/1 bodies.
// Call it before the first Write.
func (b *BodyBuilder) Skip() { b.raw = rawBody{skip: true} }

// Write adds body bytes; it never fails.
func (b *BodyBuilder) Write(p []byte) (int, error) { return b.raw.Write(p) }

// Body returns the body undone from the Content-Encoding in h. cut tells
// that the body did not arrive whole.
func (b *BodyBuilder) Body(h model.Headers, cut bool) model.Body {
	// HTTP/2 header names are not checked as tokens: model.Headers' own
	// lookup, not contentEncoding.
	body := b.raw.finish(strings.Join(h.Values("Content-Encoding"), ","), cut, b.o, b.l)
	body.MIMEType = mimeType(h.Get("Content-Type"))
	return body
}
