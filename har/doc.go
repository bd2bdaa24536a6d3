// Package har reads HTTP Archive (HAR 1.1 and 1.2) files as every real
// producer writes them (Chrome, Edge, Firefox, Safari, Fiddler, Charles,
// mitmproxy, Playwright, Insomnia, Firebug) and yields one parse.Exchange per
// log entry.
//
// The reader streams: it walks to log.entries with encoding/json tokens,
// then frames one entry at a time with a small byte scanner that keeps a
// bounded copy of each entry, and reads the entry's fields with gjson. Memory
// depends on parse.Limits, not on the size of the file or of its bodies.
//
// Damage after the first entry (a truncated file, one malformed entry) does
// not stop reading: the entries that could be read are returned and the
// damage becomes a parse.Note. Input that is not a HAR at all fails with an
// error wrapping ErrFormat that names the byte offset.
package har
