package main

import (
	"fmt"
	"sort"
	"strings"

	"github.com/traceaudit/traceaudit/parse"
)

// limitHints maps what a reader says when it stops at a limit to the flag
// that raises it, so a note tells the user how to read further.
var limitHints = []struct{ phrase, flag string }{
	{"archive inflation limit", "--limit-archive-inflate"},
	{"decompressed size limit", "--limit-inflate"},
	{"member limit", "--limit-inflate"},
	{"inflate limit", "--limit-inflate"},
	{"fields or", "--limit-headers or --limit-header-bytes"},
	{"header size limit", "--limit-header-bytes"},
	{"nesting", "--limit-json-depth"},
}

// limitHint returns " (raise it with --flag)" for a message about a
// configurable limit, or "".
func limitHint(msg string) string {
	for _, h := range limitHints {
		if strings.Contains(msg, h.phrase) {
			return fmt.Sprintf(" (raise it with %s)", h.flag)
		}
	}
	return ""
}

// maxNotesPerFile keeps a hostile file's notes (one per damaged member or
// connection) from flooding the output; the rest are counted by kind.
const maxNotesPerFile = 200

// finishNotes adds limit hints and caps the number of notes.
func finishNotes(notes []parse.Note) []parse.Note {
	for i := range notes {
		if notes[i].Kind == "limit" || notes[i].Kind == "bad-entry" {
			notes[i].Message += limitHint(notes[i].Message)
		}
	}
	if len(notes) <= maxNotesPerFile {
		return notes
	}
	rest := map[string]int{}
	for _, n := range notes[maxNotesPerFile:] {
		rest[n.Kind]++
	}
	kinds := make([]string, 0, len(rest))
	for k := range rest {
		kinds = append(kinds, k)
	}
	sort.Strings(kinds)
	var parts []string
	for _, k := range kinds {
		parts = append(parts, fmt.Sprintf("%d %s", rest[k], k))
	}
	out := append(notes[:maxNotesPerFile:maxNotesPerFile], parse.Note{
		Kind:    "limit",
		Message: fmt.Sprintf("%d more notes not shown (%s)", len(notes)-maxNotesPerFile, strings.Join(parts, ", ")),
	})
	return out
}
