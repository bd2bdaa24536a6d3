package parse

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
