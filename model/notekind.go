package model

import "errors"

// NoteKind is the machine-readable kind of a Note. The set is closed: readers
// emit only these, and rules and the report match on them, so a kind is a
// contract between packages, not a string each side spells.
type NoteKind string

// Damage and cut-off input.
const (
	NoteTruncated     NoteKind = "truncated"      // the input ends early; what came before was read
	NoteDamaged       NoteKind = "damaged"        // part of the input is unreadable; reading went on or stopped
	NoteCorrupt       NoteKind = "corrupt"        // an archive member is unreadable (SAZ)
	NotePcapngDamaged NoteKind = "pcapng-damaged" // a pcapng block is unreadable
	NoteBadEntry      NoteKind = "bad-entry"      // a HAR entry is unreadable; it is skipped
	NoteBadMetadata   NoteKind = "bad-metadata"   // a SAZ session's metadata is unreadable
	NoteBadRequest    NoteKind = "bad-request"    // a SAZ session's request is unreadable
	NoteBadResponse   NoteKind = "bad-response"   // a SAZ session's response is unreadable
	NoteMalformed     NoteKind = "malformed"      // a captured HTTP message does not parse
	NoteGap           NoteKind = "gap"            // bytes of a TCP stream were not captured
	NoteLimit         NoteKind = "limit"          // a bound cut or skipped content (Note.Limit names it when configurable)
)

// Content that is missing or was left out on purpose.
const (
	NoteEmpty       NoteKind = "empty"        // the archive holds no sessions
	NoteNoRequest   NoteKind = "no-request"   // a SAZ session without its request
	NoteNoResponse  NoteKind = "no-response"  // a request without a captured response
	NoteOrphan      NoteKind = "orphan"       // a response without its request
	NoteLate        NoteKind = "late"         // a response after its request was reported unanswered
	NoteBodyDropped NoteKind = "body-dropped" // the capturing tool dropped a body
	NoteSideFile    NoteKind = "side-file"    // a HAR body in a side file could not be read
	NoteDuplicate   NoteKind = "duplicate"    // a SAZ member repeats another
	NoteUnsafeName  NoteKind = "unsafe-name"  // a SAZ member name escapes the archive
	NoteOverlap     NoteKind = "overlap"      // SAZ members share data (zip bomb pattern)
	NoteNotHTTP     NoteKind = "not-http"     // TCP connections that carried neither HTTP nor TLS
	NoteUnsupported NoteKind = "unsupported"  // frames of a link type or protocol not analysed
	NoteQUIC        NoteKind = "quic"         // QUIC (HTTP/3) traffic not read: no keys, damage
	NoteReset       NoteKind = "reset"        // an HTTP/2 stream was reset
	NoteWebSocket   NoteKind = "websocket"    // a WebSocket session: upgrade kept, messages skipped
	NoteGRPC        NoteKind = "grpc"         // a gRPC session kept as a tunnel
	NoteRPC         NoteKind = "rpc"          // an RPC-over-HTTP tunnel
)

// TLS: what kept encrypted traffic from being read.
const (
	NoteTLSKeys              NoteKind = "tls-keys"                // a key log could not be read
	NoteTLSNoKeys            NoteKind = "tls-no-keys"             // no key for a connection: it stays encrypted
	NoteTLSNotDecrypted      NoteKind = "tls-not-decrypted"       // the proxy did not decrypt a tunnel (SAZ)
	NoteTLSPartialKeys       NoteKind = "tls-partial-keys"        // some of a connection's secrets are missing
	NoteTLSNoHandshake       NoteKind = "tls-no-handshake"        // the handshake was not captured
	NoteTLSBadHandshake      NoteKind = "tls-bad-handshake"       // a hello message does not parse
	NoteTLSBadRecord         NoteKind = "tls-bad-record"          // a TLS record does not parse
	NoteTLSUnsupported       NoteKind = "tls-unsupported"         // a version, suite or renegotiation not decrypted
	NoteTLSAuthFailed        NoteKind = "tls-auth-failed"         // records failed authentication: wrong keys or damage
	NoteTLSEarlyData         NoteKind = "tls-early-data"          // 0-RTT data not decrypted
	NoteTLSEarlyDataRejected NoteKind = "tls-early-data-rejected" // 0-RTT data the server rejected
	NoteTLSAlert             NoteKind = "tls-alert"               // a side ended the connection with an alert
	NoteTLSGap               NoteKind = "tls-gap"                 // bytes of a TLS stream were not captured
	NoteTLSTruncated         NoteKind = "tls-truncated"           // a TLS stream ends inside a record
	NoteTLSNoData            NoteKind = "tls-no-data"             // no encrypted records were captured
)

// Limit names one configurable reader bound. The CLI's flag for it is
// "--limit-" followed by the name.
type Limit string

const (
	LimitBody           Limit = "body"            // Limits.BodyBytes
	LimitInflate        Limit = "inflate"         // Limits.InflateBytes
	LimitArchiveInflate Limit = "archive-inflate" // all members of one archive
	LimitMembers        Limit = "members"         // members of one archive
	LimitHeaders        Limit = "headers"         // Limits.HeaderCount
	LimitHeaderBytes    Limit = "header-bytes"    // Limits.HeaderBytes
	LimitJSONDepth      Limit = "json-depth"      // Limits.JSONDepth
)

// LimitError is an error caused by a configurable bound: it carries which
// one, so a caller can say how to raise it without reading the message. Its
// message and errors.Is chain are those of Err.
type LimitError struct {
	Limit Limit
	Err   error
}

func (e *LimitError) Error() string { return e.Err.Error() }
func (e *LimitError) Unwrap() error { return e.Err }

// AtLimit marks err as caused by limit l; nil stays nil.
func AtLimit(l Limit, err error) error {
	if err == nil {
		return nil
	}
	return &LimitError{Limit: l, Err: err}
}

// LimitOf returns the bound err was caused by, or "" when none.
func LimitOf(err error) Limit {
	var le *LimitError
	if errors.As(err, &le) {
		return le.Limit
	}
	return ""
}
