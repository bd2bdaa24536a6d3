package model

import "strings"

// Limits bounds what readers keep and inflate, so that hostile or huge traces
// cost bounded memory. Zero fields mean "use the default".
type Limits struct {
	// BodyBytes is the most of one message body kept in memory.
	BodyBytes int64
	// InflateBytes bounds the output of decompressing one body or archive member.
	InflateBytes int64
	// HeaderBytes bounds one header section (all fields of one message).
	HeaderBytes int64
	// HeaderCount bounds the number of header fields of one message.
	HeaderCount int
	// JSONDepth bounds JSON nesting.
	JSONDepth int
}

// DefaultLimits are generous for real sign-in traces and small enough that a
// hostile file cannot exhaust memory.
var DefaultLimits = Limits{
	BodyBytes:    1 << 20,   // 1 MiB: OAuth bodies are a few KiB
	InflateBytes: 256 << 20, // 256 MiB
	HeaderBytes:  1 << 20,
	HeaderCount:  1000,
	JSONDepth:    1000,
}

// WithDefaults returns l with zero fields replaced by DefaultLimits.
func (l Limits) WithDefaults() Limits {
	d := DefaultLimits
	if l.BodyBytes > 0 {
		d.BodyBytes = l.BodyBytes
	}
	if l.InflateBytes > 0 {
		d.InflateBytes = l.InflateBytes
	}
	if l.HeaderBytes > 0 {
		d.HeaderBytes = l.HeaderBytes
	}
	if l.HeaderCount > 0 {
		d.HeaderCount = l.HeaderCount
	}
	if l.JSONDepth > 0 {
		d.JSONDepth = l.JSONDepth
	}
	return d
}

// CarriesNoOAuth reports whether a response body of this media type can
// never hold an OAuth message (a token response, a form_post page, an error
// page or text): scripts, style sheets, images, fonts, media, binaries.
// Readers may skip decoding such bodies.
func CarriesNoOAuth(mimeType string) bool {
	switch {
	case mimeType == "":
		return false
	case strings.HasPrefix(mimeType, "image/"), strings.HasPrefix(mimeType, "font/"),
		strings.HasPrefix(mimeType, "audio/"), strings.HasPrefix(mimeType, "video/"):
		return true
	}
	switch mimeType {
	case "application/javascript", "text/javascript", "application/x-javascript", "application/ecmascript",
		"text/css", "application/wasm", "application/octet-stream", "application/font-woff", "application/font-woff2",
		"application/x-font-woff", "application/pdf", "application/zip":
		return true
	}
	return false
}
