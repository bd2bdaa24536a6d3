package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
	"github.com/google/gopacket/pcapgo"
	"github.com/google/gopacket/reassembly"
)

// floor measures what any reader built on gopacket pays before it parses a
// byte of HTTP: "start" only starts (a program linking gopacket's layers
// and reassembly: their package initialisation), "read" reads the file's
// bytes with read(2) and nothing else, "walk" reads the packet records,
// "decode" also decodes Ethernet/IPv4/TCP, "asm" also feeds gopacket's
// reassembler with streams that only count bytes. It bounds how far below
// tshark a capture reader on these libraries can go. Classic pcap with
// Ethernet only (what capgen writes).
func floor(name, stage string) error {
	switch stage {
	case "start":
		return nil
	case "read", "walk", "decode", "asm":
	default:
		return fmt.Errorf("-floor: %q is not start, read, walk, decode or asm", stage)
	}
	f, err := os.Open(name)
	if err != nil {
		return err
	}
	defer f.Close()
	if stage == "read" {
		buf, n := make([]byte, 256<<10), 0
		for {
			m, err := f.Read(buf)
			n += m
			if err == io.EOF {
				break
			}
			if err != nil {
				return err
			}
		}
		fmt.Printf("bytes %d\n", n)
		return nil
	}
	// Buffered as any reader would be: pcapgo reads a record's header and
	// data in two calls, which unbuffered are two read(2)s per packet.
	r, err := pcapgo.NewReader(bufio.NewReaderSize(f, 256<<10))
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	var (
		eth     layers.Ethernet
		ip4     layers.IPv4
		tcp     layers.TCP
		payload gopacket.Payload
		decoded []gopacket.LayerType
	)
	parser := gopacket.NewDecodingLayerParser(layers.LayerTypeEthernet, &eth, &ip4, &tcp, &payload)
	parser.IgnoreUnsupported = true
	counter := &byteCounter{}
	asm := reassembly.NewAssembler(reassembly.NewStreamPool(counter))
	packets := 0
	for {
		data, ci, err := r.ZeroCopyReadPacketData()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return fmt.Errorf("%s: packet %d: %w", name, packets+1, err)
		}
		packets++
		if stage == "walk" {
			continue
		}
		if err := parser.DecodeLayers(data, &decoded); err != nil || len(decoded) < 3 {
			continue
		}
		if stage == "asm" {
			asm.AssembleWithContext(ip4.NetworkFlow(), &tcp, captureInfo(ci))
		}
	}
	asm.FlushAll()
	fmt.Printf("packets %d reassembled bytes %d\n", packets, counter.bytes)
	return nil
}

type captureInfo gopacket.CaptureInfo

func (c captureInfo) GetCaptureInfo() gopacket.CaptureInfo { return gopacket.CaptureInfo(c) }

// byteCounter is a stream factory and the streams it makes: it accepts
// every segment and counts the bytes reassembled.
type byteCounter struct{ bytes int }

func (c *byteCounter) New(_, _ gopacket.Flow, _ *layers.TCP, _ reassembly.AssemblerContext) reassembly.Stream {
	return c
}

func (c *byteCounter) Accept(*layers.TCP, gopacket.CaptureInfo, reassembly.TCPFlowDirection, reassembly.Sequence, *bool, reassembly.AssemblerContext) bool {
	return true
}

func (c *byteCounter) ReassembledSG(sg reassembly.ScatterGather, _ reassembly.AssemblerContext) {
	n, _ := sg.Lengths()
	c.bytes += n
}

func (c *byteCounter) ReassemblyComplete(reassembly.AssemblerContext) bool { return true }
