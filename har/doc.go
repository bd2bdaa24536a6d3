// Package har reads HTTP Archive (HAR 1.1 and 1.2) files as every real
// producer writes them (Chrome, Edge, Firefox, Safari, Fiddler, Charles,
// mitmproxy, Playwright, Insomnia, Firebug), plain or gzip/zlib-compressed,
// and yields one model.Exchange per log entry.
//
// The reader streams. It walks to log.entries with encoding/json tokens
// (the members of log come in any order), then frames one entry at a time
// with a small byte scanner: short strings stay in a skeleton of the entry
// that gjson reads, long ones (bodies) are unescaped on the fly into a side
// buffer, cut at what Limits.BodyBytes needs. Memory depends on
// model.Limits, not on the size of the file or of its bodies; an entry with
// large bodies is decoded on a second goroutine while the next one is
// framed, and that goroutine ends before Next returns.
//
// Damage after the start of log.entries (a truncated file, one malformed
// entry) does not stop reading: the entries that could be read are returned
// and the damage becomes a model.Note ("truncated", "bad-entry", "damaged",
// "limit", "side-file"). Input that is not a HAR at all fails with an error
// wrapping ErrFormat that names the byte offset.
package har
