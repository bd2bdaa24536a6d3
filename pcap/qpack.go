package pcap

import (
	"errors"
	"fmt"

	"golang.org/x/net/http2/hpack"
)

// QPACK (RFC 9204) field section decoding with the dynamic table, which
// github.com/quic-go/qpack (v0.6) does not have: it decodes static
// references and literals only, while Chromium fills the table through its
// encoder stream whenever the peer allows a capacity. Huffman strings are
// decoded with x/net's HPACK decoder (QPACK uses HPACK's code).

const (
	// qpackMaxCapacity bounds the dynamic table a peer may allow.
	qpackMaxCapacity = 1 << 20
	// qpackMaxString bounds one name or value.
	qpackMaxString = 256 << 10
	// qpackMaxEncoder bounds the encoder stream bytes held while an
	// instruction is incomplete.
	qpackMaxEncoder = 64 << 10
)

var (
	errQPACKNeedMore = errors.New("qpack: instruction incomplete")
	errQPACKBlocked  = errors.New("qpack: field section refers to entries not inserted yet")
)

// qpackDecoder decodes the field sections one side sends, with the
// dynamic table that side's encoder stream fills.
type qpackDecoder struct {
	// maxCap is the capacity the decoding side allowed
	// (SETTINGS_QPACK_MAX_TABLE_CAPACITY), -1 while its SETTINGS were not
	// read.
	maxCap   int64
	capacity uint64
	size     uint64
	entries  []hpack.HeaderField // oldest first
	dropped  uint64              // entries evicted: entries[0] has absolute index dropped
	enc      []byte              // encoder stream bytes not yet read
	broken   error               // the encoder stream could not be read: later references fail
	// held counts the bytes the table and enc hold, with those of other
	// decoders sharing it (h3MaxHeld).
	held *int
}

func newQPACKDecoder(held *int) *qpackDecoder { return &qpackDecoder{maxCap: -1, held: held} }

// release hands back what the decoder holds (its connection ended).
func (d *qpackDecoder) release() {
	*d.held -= int(d.size) + len(d.enc)
	d.entries, d.enc, d.size = nil, nil, 0
}

// inserted is the count of entries ever inserted.
func (d *qpackDecoder) inserted() uint64 { return d.dropped + uint64(len(d.entries)) }

// feedEncoder reads encoder stream bytes (RFC 9204 section 4.3).
func (d *qpackDecoder) feedEncoder(b []byte) error {
	if d.broken != nil {
		return d.broken
	}
	if len(d.enc)+len(b) > qpackMaxEncoder {
		d.broken = errors.New("qpack: encoder instruction longer than 64 KiB")
		return d.broken
	}
	before := len(d.enc)
	d.enc = append(d.enc, b...)
	defer func() { *d.held += len(d.enc) - before }()
	for len(d.enc) > 0 {
		n, err := d.instruction(d.enc)
		if err == errQPACKNeedMore {
			break
		}
		if err != nil {
			d.broken = err
			d.enc = nil
			return err
		}
		d.enc = d.enc[n:]
	}
	if len(d.enc) == 0 {
		d.enc = nil
	}
	return nil
}

// instruction reads one encoder instruction from b and returns its length.
func (d *qpackDecoder) instruction(b []byte) (int, error) {
	p := b
	switch {
	case b[0]&0x80 != 0: // Insert with name reference
		static := b[0]&0x40 != 0
		idx, rest, err := qpackInt(p, 6)
		if err != nil {
			return 0, err
		}
		value, rest, err := qpackString(rest, 7)
		if err != nil {
			return 0, err
		}
		var name string
		if static {
			if idx >= uint64(len(qpackStatic)) {
				return 0, fmt.Errorf("qpack: static index %d out of range", idx)
			}
			name = qpackStatic[idx].Name
		} else {
			f, err := d.relative(idx)
			if err != nil {
				return 0, err
			}
			name = f.Name
		}
		return len(b) - len(rest), d.insert(name, value)
	case b[0]&0x40 != 0: // Insert with literal name
		name, rest, err := qpackString(p, 5)
		if err != nil {
			return 0, err
		}
		value, rest, err := qpackString(rest, 7)
		if err != nil {
			return 0, err
		}
		return len(b) - len(rest), d.insert(name, value)
	case b[0]&0x20 != 0: // Set dynamic table capacity
		c, rest, err := qpackInt(p, 5)
		if err != nil {
			return 0, err
		}
		if d.maxCap >= 0 && c > uint64(d.maxCap) || c > qpackMaxCapacity {
			return 0, fmt.Errorf("qpack: table capacity %d above the %d allowed", c, max(d.maxCap, 0))
		}
		d.capacity = c
		d.evict(0)
		return len(b) - len(rest), nil
	default: // Duplicate
		idx, rest, err := qpackInt(p, 5)
		if err != nil {
			return 0, err
		}
		f, err := d.relative(idx)
		if err != nil {
			return 0, err
		}
		return len(b) - len(rest), d.insert(f.Name, f.Value)
	}
}

// relative is the entry an encoder instruction's relative index names
// (0 is the latest inserted).
func (d *qpackDecoder) relative(idx uint64) (hpack.HeaderField, error) {
	if idx >= uint64(len(d.entries)) {
		return hpack.HeaderField{}, fmt.Errorf("qpack: relative index %d out of range", idx)
	}
	return d.entries[uint64(len(d.entries))-1-idx], nil
}

// absolute is the entry with an absolute index.
func (d *qpackDecoder) absolute(i uint64) (hpack.HeaderField, error) {
	if i < d.dropped || i-d.dropped >= uint64(len(d.entries)) {
		return hpack.HeaderField{}, fmt.Errorf("qpack: dynamic entry %d not in the table", i)
	}
	return d.entries[i-d.dropped], nil
}

func (d *qpackDecoder) insert(name, value string) error {
	n := uint64(len(name) + len(value) + 32)
	if n > d.capacity {
		return fmt.Errorf("qpack: entry of %d bytes larger than the table's capacity %d", n, d.capacity)
	}
	d.evict(n)
	if *d.held+int(n) > h3MaxHeld {
		return fmt.Errorf("qpack: the tables of all connections hold more than %d MiB", h3MaxHeld>>20)
	}
	d.entries = append(d.entries, hpack.HeaderField{Name: name, Value: value})
	d.size += n
	*d.held += int(n)
	return nil
}

// evict drops the oldest entries until room bytes fit.
func (d *qpackDecoder) evict(room uint64) {
	i := 0
	for d.size+room > d.capacity && i < len(d.entries) {
		e := d.entries[i]
		n := uint64(len(e.Name) + len(e.Value) + 32)
		d.size -= n
		*d.held -= int(n)
		i++
	}
	if i > 0 {
		d.dropped += uint64(i)
		d.entries = append(d.entries[:0:0], d.entries[i:]...)
	}
}

// requiredInsertCount reads a field section's prefix (RFC 9204 section
// 4.5.1) and returns the Required Insert Count, the base and the rest.
func (d *qpackDecoder) prefix(b []byte) (ric, base uint64, rest []byte, err error) {
	enc, rest, err := qpackInt(b, 8)
	if err != nil {
		return 0, 0, nil, err
	}
	if len(rest) == 0 {
		return 0, 0, nil, errors.New("qpack: field section prefix cut short")
	}
	sign := rest[0]&0x80 != 0
	delta, rest, err := qpackInt(rest, 7)
	if err != nil {
		return 0, 0, nil, err
	}
	if enc != 0 {
		if d.maxCap <= 0 {
			return 0, 0, nil, errors.New("qpack: dynamic references without a table capacity known (the peer's SETTINGS were not read)")
		}
		maxEntries := uint64(d.maxCap) / 32
		full := 2 * maxEntries
		if enc > full {
			return 0, 0, nil, errors.New("qpack: bad Required Insert Count")
		}
		maxValue := d.inserted() + maxEntries
		maxWrapped := maxValue / full * full
		ric = maxWrapped + enc - 1
		if ric > maxValue {
			if ric <= full {
				return 0, 0, nil, errors.New("qpack: bad Required Insert Count")
			}
			ric -= full
		}
		if ric == 0 {
			return 0, 0, nil, errors.New("qpack: bad Required Insert Count")
		}
	}
	if sign {
		if delta+1 > ric {
			return 0, 0, nil, errors.New("qpack: bad base")
		}
		base = ric - delta - 1
	} else {
		base = ric + delta
	}
	return ric, base, rest, nil
}

// decode decodes one field section. errQPACKBlocked means it refers to
// entries the encoder stream has not inserted yet (in the capture so far).
func (d *qpackDecoder) decode(b []byte, maxFields int) ([]hpack.HeaderField, error) {
	ric, base, p, err := d.prefix(b)
	if err != nil {
		return nil, err
	}
	if ric > d.inserted() {
		if d.broken != nil {
			return nil, fmt.Errorf("qpack: field section needs entries the encoder stream lost: %w", d.broken)
		}
		return nil, errQPACKBlocked
	}
	var out []hpack.HeaderField
	dyn := func(abs uint64) (hpack.HeaderField, error) {
		if abs >= ric {
			return hpack.HeaderField{}, fmt.Errorf("qpack: reference %d past the Required Insert Count %d", abs, ric)
		}
		return d.absolute(abs)
	}
	for len(p) > 0 {
		var f hpack.HeaderField
		c := p[0]
		switch {
		case c&0x80 != 0: // indexed field line
			idx, rest, err := qpackInt(p, 6)
			if err != nil {
				return nil, err
			}
			p = rest
			if c&0x40 != 0 {
				if idx >= uint64(len(qpackStatic)) {
					return nil, fmt.Errorf("qpack: static index %d out of range", idx)
				}
				f = qpackStatic[idx]
			} else {
				if idx >= base {
					return nil, errors.New("qpack: relative index past the base")
				}
				if f, err = dyn(base - 1 - idx); err != nil {
					return nil, err
				}
			}
		case c&0x40 != 0: // literal with name reference
			idx, rest, err := qpackInt(p, 4)
			if err != nil {
				return nil, err
			}
			value, rest, err := qpackString(rest, 7)
			if err != nil {
				return nil, err
			}
			p = rest
			var nf hpack.HeaderField
			if c&0x10 != 0 {
				if idx >= uint64(len(qpackStatic)) {
					return nil, fmt.Errorf("qpack: static index %d out of range", idx)
				}
				nf = qpackStatic[idx]
			} else {
				if idx >= base {
					return nil, errors.New("qpack: relative index past the base")
				}
				if nf, err = dyn(base - 1 - idx); err != nil {
					return nil, err
				}
			}
			f = hpack.HeaderField{Name: nf.Name, Value: value, Sensitive: c&0x20 != 0}
		case c&0x20 != 0: // literal with literal name
			name, rest, err := qpackString(p, 3)
			if err != nil {
				return nil, err
			}
			value, rest, err := qpackString(rest, 7)
			if err != nil {
				return nil, err
			}
			p = rest
			f = hpack.HeaderField{Name: name, Value: value, Sensitive: c&0x10 != 0}
		case c&0x10 != 0: // indexed field line with post-base index
			idx, rest, err := qpackInt(p, 4)
			if err != nil {
				return nil, err
			}
			p = rest
			if f, err = dyn(base + idx); err != nil {
				return nil, err
			}
		default: // literal with post-base name reference
			idx, rest, err := qpackInt(p, 3)
			if err != nil {
				return nil, err
			}
			value, rest, err := qpackString(rest, 7)
			if err != nil {
				return nil, err
			}
			p = rest
			nf, err := dyn(base + idx)
			if err != nil {
				return nil, err
			}
			f = hpack.HeaderField{Name: nf.Name, Value: value, Sensitive: c&0x08 != 0}
		}
		if len(out) < maxFields {
			out = append(out, f)
		}
	}
	return out, nil
}

// qpackInt reads a prefixed integer (RFC 7541 section 5.1) whose prefix
// is the low n bits of b[0].
func qpackInt(b []byte, n uint) (uint64, []byte, error) {
	if len(b) == 0 {
		return 0, nil, errQPACKNeedMore
	}
	mask := uint64(1)<<n - 1
	v := uint64(b[0]) & mask
	if v < mask {
		return v, b[1:], nil
	}
	var shift uint
	for i := 1; i < len(b); i++ {
		if shift > 56 {
			return 0, nil, errors.New("qpack: integer too large")
		}
		v += uint64(b[i]&0x7f) << shift
		if b[i]&0x80 == 0 {
			return v, b[i+1:], nil
		}
		shift += 7
	}
	return 0, nil, errQPACKNeedMore
}

// qpackString reads a string literal whose Huffman flag is the bit above
// an n-bit length prefix.
func qpackString(b []byte, n uint) (string, []byte, error) {
	if len(b) == 0 {
		return "", nil, errQPACKNeedMore
	}
	huff := b[0]&(1<<n) != 0
	l, rest, err := qpackInt(b, n)
	if err != nil {
		return "", nil, err
	}
	if l > qpackMaxString {
		return "", nil, fmt.Errorf("qpack: string of %d bytes", l)
	}
	if l > uint64(len(rest)) {
		return "", nil, errQPACKNeedMore
	}
	s := rest[:l]
	if !huff {
		return string(s), rest[l:], nil
	}
	v, err := hpack.HuffmanDecodeToString(s)
	if err != nil {
		return "", nil, fmt.Errorf("qpack: %w", err)
	}
	return v, rest[l:], nil
}
