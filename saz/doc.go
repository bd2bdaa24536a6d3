// Package saz reads Fiddler session archives (.saz) into model.Exchanges.
//
// A SAZ is a zip archive. Each captured session N has up to four members:
// raw/N_c.txt (the request as the client sent it), raw/N_s.txt (the response
// as Fiddler received it), raw/N_m.xml (timers and session flags) and, for
// WebSocket sessions, raw/N_w.txt (the messages). N is Fiddler's session
// number, written 1, 01, 001 or 0001 wide depending on how many sessions the
// archive holds; it becomes the exchange's Ref, "session N".
//
// Protected archives use WinZip AES (AE-1/AE-2) or traditional PKWARE
// ZipCrypto. Go's archive/zip locates members but cannot decrypt them, so
// this package decrypts the raw member bytes itself with the standard
// library's AES, HMAC-SHA1 and PBKDF2.
//
// Archives are untrusted: every member is inflated through a bound
// (model.Limits.InflateBytes per member, Options.ArchiveInflateBytes for the
// whole archive), the member count is bounded, names that would escape the
// archive are skipped, and damage to one session becomes a model.Note while
// the other sessions are still read.
//
// Inflating members is most of the work: while one session is parsed, the
// next two are decrypted, inflated and CRC-summed on goroutines of their
// own (at most 1 MiB of each member ahead); bounds, checksums and notes
// are applied as the parsed session reads its members, so what is read
// does not depend on it.
//
// Note kinds (model.Note.Kind), with Ref "session N" or a member name:
//
//	truncated     no central directory; members recovered from local headers
//	unsafe-name   a member name escaping the archive, skipped
//	duplicate     a second member for the same session and role, ignored
//	overlap       member data overlapping another's (zip bomb pattern), skipped
//	corrupt       CRC, authentication or stream damage in a member
//	limit         an inflation bound cut a member, or stopped the archive
//	empty         a SAZ without sessions
//	bad-metadata  _m.xml unreadable, or some of its timers
//	no-request    a session without raw/N_c.txt, skipped
//	bad-request   a request that is not HTTP, session skipped
//	no-response   no response captured, or one Fiddler generated itself
//	bad-response  a response that is not HTTP, Response left nil
//	damaged       a message cut short or an undecodable Content-Encoding
//	body-dropped  Fiddler dropped the response body while capturing
//	tls-not-decrypted  a CONNECT tunnel Fiddler passed through without
//	              decrypting: its requests are not in the archive
//	websocket, grpc, rpc  sessions kept as tunnels, their messages skipped
//
// At most 50 notes of one kind are listed; one more note counts the rest.
package saz
