package tlsdec_test

import (
	"fmt"
	"os"

	"github.com/traceaudit/traceaudit/model"
	"github.com/traceaudit/traceaudit/pcap"
	"github.com/traceaudit/traceaudit/pcap/tlsdec"
)

// Reading the HTTPS requests of a capture whose TLS secrets are embedded in
// a pcapng Decryption Secrets Block; key log files given by the user
// (ReadKeyLogFiles) would be passed to KeysForCapture as well.
func Example() {
	f, err := os.Open("testdata/tls12-decryption-dsb.pcapng")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		fmt.Println(err)
		return
	}
	keys, _, err := tlsdec.KeysForCapture(f, st.Size())
	if err != nil {
		fmt.Println(err)
		return
	}
	r, err := pcap.NewReader(f, pcap.Options{Decrypter: tlsdec.NewDecrypter(keys).StreamDecrypter()})
	if err != nil {
		fmt.Println(err)
		return
	}
	exs, err := model.ReadAll(r)
	if err != nil {
		fmt.Println(err)
	}
	for _, ex := range exs {
		fmt.Println(ex.Ref, ex.Request.Method, ex.Request.URL, ex.Status())
	}
	// Output: frame 10 GET https://heise.de/ 301
}
