package report

// noteHints maps the note kinds the readers emit to what the support
// engineer should ask the user to capture next. Kinds not listed here need
// no new capture.
var noteHints = map[string]string{
	"tls-no-keys":    "Capture again with SSLKEYLOGFILE set for the browser (or export the proxy's TLS keys) and pass the key log with --keylog: encrypted connections hide the OAuth traffic.",
	"truncated":      "The file is cut short: save or export it again in full (for packet captures, without a snap length limit).",
	"damaged":        "Parts of the file are damaged: save or export it again from the tool that recorded it.",
	"pcapng-damaged": "Parts of the capture are damaged: save it again from the capturing tool.",
}

// captureHints lists, for one file, what to capture next because the trace
// could not show everything: the file was unreadable, or its notes say
// content is missing. Each hint appears once, in note order.
func captureHints(f *File) []string {
	var out []string
	if f.Error != "" {
		out = append(out, "The file could not be read: export or capture it again, as a HAR, a Fiddler SAZ, or a pcap/pcapng with its TLS key log.")
	}
	seen := map[string]bool{}
	for _, n := range f.Notes {
		if h, ok := noteHints[n.Kind]; ok && !seen[n.Kind] {
			seen[n.Kind] = true
			out = append(out, h)
		}
	}
	return out
}
