package pcap

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"strconv"

	"github.com/traceaudit/traceaudit/model"
	"github.com/traceaudit/traceaudit/pcap/etl"
)

// maxSpooledETL bounds an ETL file read into memory: ETL needs random
// access, so a gzip-compressed one or one read from a plain stream is held
// whole (netsh's default maximum size is 250 MB).
const maxSpooledETL = 1 << 30

// etlSource yields the frames of a Windows ETL capture (netsh trace
// capture=yes, pktmon) in etl2pcapng's order and numbering.
type etlSource struct {
	r   *etl.Reader
	pkt packet // the one next returns
}

// openETL opens an ETL capture. whole is the input when it gives random
// access (an uncompressed file); otherwise rest (the input after any gzip
// layer) is read into memory, up to maxSpooledETL bytes.
func openETL(whole io.Reader, gz bool, rest io.Reader) (*etlSource, error) {
	var ra io.ReaderAt
	var size int64
	if f, ok := whole.(*os.File); ok && !gz {
		fi, err := f.Stat()
		if err != nil {
			return nil, fmt.Errorf("%w: etl: %w", ErrFormat, err)
		}
		ra, size = f, fi.Size()
	} else if b, ok := whole.(*bytes.Reader); ok && !gz {
		ra, size = b, b.Size()
	} else {
		data, err := io.ReadAll(io.LimitReader(rest, maxSpooledETL+1))
		if err != nil {
			return nil, fmt.Errorf("%w: etl: %w", ErrFormat, err)
		}
		if len(data) > maxSpooledETL {
			return nil, fmt.Errorf("%w: etl: a compressed or streamed ETL file over %d bytes is not read; give the uncompressed file", ErrFormat, maxSpooledETL)
		}
		ra, size = bytes.NewReader(data), int64(len(data))
	}
	r, err := etl.NewReader(ra, size, etl.Limits{MaxFrameBytes: maxPacketBytes})
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrFormat, err)
	}
	return &etlSource{r: r}, nil
}

func (s *etlSource) next() (*packet, error) {
	fr, err := s.r.Next()
	if err != nil {
		return nil, err
	}
	s.pkt = packet{data: fr.Data, linkType: fr.LinkType, ts: fr.Time, origLen: fr.OrigLen, frame: fr.Number}
	return &s.pkt, nil
}

func (s *etlSource) offset() int64 { return 0 }

// process names the process that sent a frame, when the trace says.
func (s *etlSource) process(frame int) string {
	if pid, ok := s.r.Sender(frame); ok {
		return "pid " + strconv.FormatUint(uint64(pid), 10)
	}
	return ""
}

func (s *etlSource) fileNotes() []model.Note {
	var out []model.Note
	for _, n := range s.r.Notes() {
		// etl's kinds (truncated, damaged, limit, unsupported) are
		// model.NoteKind values; etl itself stays free of the model.
		out = append(out, model.Note{Kind: model.NoteKind(n.Kind), Message: "etl: " + n.Message})
	}
	return out
}
