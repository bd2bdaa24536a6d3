package saz

import (
	"bufio"
	"fmt"
	"io"
	"time"

	"github.com/traceaudit/traceaudit/model"
)

// Member is one archive member as Members yields it: its name, time and
// content, decrypted and inflated.
type Member struct {
	Name     string
	Modified time.Time // zero when only a local header was recovered
	// Data is what could be read, within Limits.InflateBytes.
	Data []byte
	// Err is set when the member is damaged (Data then holds the part read
	// before the damage) or larger than the limit (Data is cut).
	Err error
}

// Members reads every member of the archive in archive order, as Reader
// sees it (password, limits, recovery of a truncated archive), for tools
// that rewrite an archive such as traceaudit redact. Directory entries and
// names that would escape the archive are left out. It stops at the first
// error fn returns.
func Members(ra io.ReaderAt, size int64, opts Options, fn func(Member) error) error {
	r, err := NewReader(ra, size, opts)
	if err != nil {
		return err
	}
	members, err := r.listMembers(ra, size)
	if err != nil {
		return err
	}
	for _, m := range members {
		if len(m.name) > 0 && m.name[len(m.name)-1] == '/' || unsafeName(m.name) {
			continue
		}
		out := Member{Name: m.name, Modified: m.modified}
		out.Data, out.Err = r.readMemberPart(m)
		if err := fn(out); err != nil {
			return err
		}
	}
	return nil
}

// readMemberPart reads a member whole within the member bound, keeping what
// was read before damage.
func (r *Reader) readMemberPart(m *member) ([]byte, error) {
	mr, err := r.open(m)
	if err != nil {
		return nil, err
	}
	max := r.limits.InflateBytes
	data, err := io.ReadAll(io.LimitReader(bufio.NewReader(mr), max+1))
	if err == nil {
		err = mr.damage
	}
	if int64(len(data)) > max || mr.hitMember || mr.hitArchive {
		return data[:min(int64(len(data)), max)], model.AtLimit(model.LimitInflate, fmt.Errorf("%w: %s is larger than %d bytes", ErrLimit, m.name, max))
	}
	return data, err
}
