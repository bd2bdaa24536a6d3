// Package leakcorpus writes traces that hide marker secrets in every place
// a real trace can hide one (issue 13): nested URL-encoded query strings
// with dots as %252E, fragments, form bodies, JSON members at any depth in
// any naming style, hidden inputs and inline scripts, every credential
// header, SAML and WS-Federation, HAR comments, initiators and page titles,
// Fiddler's _index.htm and _m.xml, gzip-encoded bodies, a key log line.
// The same exchanges are written as HAR (plain, gzip), SAZ (plain,
// ZipCrypto, AES, gzip-encoded bodies) and a plaintext pcap, for tests
// that assert no marker survives in any output.
package leakcorpus

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"compress/gzip"
	"compress/zlib"
	"crypto/aes"
	"crypto/hmac"
	"crypto/pbkdf2"
	"crypto/sha1"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"hash/crc32"
	"html"
	"io"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/andybalholm/brotli"
	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
	"github.com/google/gopacket/pcapgo"
	"github.com/klauspost/compress/zstd"
)

// Password protects the encrypted SAZ files.
const Password = "leak-corpus-pw"

// MarkerPrefix starts every marker; a marker is MarkerPrefix, two digits,
// and a high-entropy tail, so each reads like a real key.
const MarkerPrefix = "LkMk"

// Marker returns marker n.
func Marker(n int) string {
	return fmt.Sprintf("%s%02dQz7Wv3Rx9Tb5Yn2", MarkerPrefix, n)
}

// JWT returns a signed-looking JWT whose claims carry marker n (the user's
// session id, as the Office token of the issue did).
func JWT(n int) string {
	enc := base64.RawURLEncoding.EncodeToString
	return enc([]byte(`{"alg":"RS256","kid":"leak-kid","typ":"JWT"}`)) + "." +
		enc([]byte(fmt.Sprintf(`{"aud":"api://leak","iss":"https://login.example.com/t/v2.0","sid":"%s","exp":1800000000}`, Marker(n)))) + "." +
		enc([]byte("sig-"+Marker(n)+"-0123456789abcdef"))
}

// Email is a personal address carrying marker n.
func Email(n int) string { return "alice." + Marker(n) + "@contoso.example" }

// Exchange is one request and its response.
type Exchange struct {
	Method, URL string
	ReqHeaders  [][2]string
	ReqBody     string
	ReqMIME     string
	Status      int
	RespHeaders [][2]string
	RespBody    string
	RespMIME    string
	Comment     string // HAR comment, SAZ ui-comments
	Initiator   string // HAR _initiator.url
}

func deflateRaw(s string) []byte {
	var b bytes.Buffer
	w, _ := flate.NewWriter(&b, flate.BestCompression)
	w.Write([]byte(s))
	w.Close()
	return b.Bytes()
}

// Exchanges returns the corpus's exchanges. Marker numbers are fixed so a
// failing test names the place.
func Exchanges() []Exchange {
	b64 := base64.StdEncoding.EncodeToString
	// 1. Office WOPI: a JWT inside a URL-encoded query string inside a
	// query parameter, dots written as %252E.
	inner := "WOPIsrc=https://wopi.example/files/1&access_token=" + strings.ReplaceAll(JWT(1), ".", "%2E") + "&access_token_ttl=1800000000"
	wopi := "https://office.example/hosting/findsession?qs=" + url.QueryEscape(inner) + "&ui=en-US"
	samlResp := b64([]byte(`<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol"><saml:Assertion xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion"><saml:Subject><saml:NameID>` +
		Email(20) + `</saml:NameID></saml:Subject><saml:AttributeStatement><saml:Attribute Name="session"><saml:AttributeValue>` + Marker(21) +
		`</saml:AttributeValue></saml:Attribute></saml:AttributeStatement></saml:Assertion></samlp:Response>`))
	samlReq := b64(deflateRaw(`<samlp:AuthnRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" ID="` + Marker(22) + `"><saml:Subject><saml:NameID>` + Email(23) + `</saml:NameID></saml:Subject></samlp:AuthnRequest>`))
	wresult := `<t:RequestSecurityTokenResponse xmlns:t="http://schemas.xmlsoap.org/ws/2005/02/trust"><t:RequestedSecurityToken><saml:Assertion><saml:NameIdentifier>` + Email(24) +
		`</saml:NameIdentifier><ds:SignatureValue>` + Marker(25) + `</ds:SignatureValue></saml:Assertion></t:RequestedSecurityToken></t:RequestSecurityTokenResponse>`
	negotiate := b64(append([]byte("NTLMSSP\x00\x03\x00\x00\x00"), []byte(Marker(30)+"-ntlm-blob-0123456789")...))
	keylog := "CLIENT_RANDOM " + strings.Repeat("a1", 32) + " " + strings.Repeat("9f", 48)
	return []Exchange{
		{
			Method: "GET", URL: wopi,
			ReqHeaders: [][2]string{{"Host", "office.example"}, {"X-Custom-Auth", "Bearer " + JWT(2)},
				{"Cookie", "session=" + Marker(3) + "; theme=dark"}},
			Status: 200, RespMIME: "application/json",
			RespHeaders: [][2]string{{"Content-Type", "application/json"}, {"Set-Cookie", "sid=" + Marker(4) + "; Path=/; Secure; HttpOnly"}},
			RespBody: `{"ok":true,"session":{"data":{"accessToken":"` + JWT(5) + `","RefreshToken":"` + Marker(6) + `","x-api-key":"` + Marker(7) +
				`","client-secret":"` + Marker(8) + `","userPrincipalName":"` + Email(9) + `","samlAssertion":"` + Marker(10) + `"}}}`,
			Comment:   "token here: " + JWT(11) + " and " + keylog,
			Initiator: "https://office.example/app.js?access_token=" + Marker(12),
		},
		{
			Method: "POST", URL: "https://login.example.com/t/oauth2/v2.0/token", ReqMIME: "application/x-www-form-urlencoded",
			ReqHeaders: [][2]string{{"Host", "login.example.com"}, {"Content-Type", "application/x-www-form-urlencoded"},
				{"Authorization", "Basic " + b64([]byte("client-1:"+Marker(13)))}, {"Proxy-Authorization", "Negotiate " + negotiate}},
			ReqBody: "grant_type=authorization_code&code=" + Marker(14) + "&client_secret=" + Marker(15) + "&password=" + Marker(16) +
				"&username=" + url.QueryEscape(Email(17)) + "&redirect_uri=" + url.QueryEscape("https://app.example/cb?next="+url.QueryEscape("https://app.example/x?refresh_token="+Marker(18))),
			Status: 200, RespMIME: "application/json",
			RespHeaders: [][2]string{{"Content-Type", "application/json"}, {"X-Custom-Token", Marker(19)}},
			RespBody:    `{"token_type":"Bearer","access_token":"` + JWT(26) + `","id_token":"` + JWT(27) + `","refresh_token":"` + Marker(28) + `","expires_in":3599}`,
		},
		{
			Method: "POST", URL: "https://sp.example/saml/acs", ReqMIME: "application/x-www-form-urlencoded",
			ReqHeaders: [][2]string{{"Host", "sp.example"}, {"Content-Type", "application/x-www-form-urlencoded"},
				{"X-Api-Key", Marker(29)}, {"Ocp-Apim-Subscription-Key", Marker(31)}},
			ReqBody: "SAMLResponse=" + url.QueryEscape(samlResp) + "&RelayState=" + Marker(32),
			Status:  302, RespHeaders: [][2]string{{"Location", "https://app.example/cb#access_token=" + JWT(33) + "&state=" + Marker(34) + "&login_hint=" + url.QueryEscape(Email(35))}},
		},
		{
			Method: "GET", URL: "https://idp.example/saml/sso?SAMLRequest=" + url.QueryEscape(samlReq) + "&login_hint=" + url.QueryEscape(Email(36)),
			ReqHeaders: [][2]string{{"Host", "idp.example"}, {"Referer", "https://app.example/?next=" + url.QueryEscape("https://app.example/?id_token="+JWT(37))}},
			Status:     200, RespMIME: "text/html",
			RespHeaders: [][2]string{{"Content-Type", "text/html; charset=utf-8"}},
			RespBody: `<html><head><title>Sign in</title></head><body><form method="post" action="https://app.example/cb">` +
				`<input type="hidden" name="code" value="` + Marker(38) + `"/><input type="hidden" name="id_token" value="` + JWT(39) + `"/>` +
				`<input type="hidden" name="wresult" value="` + html.EscapeString(wresult) + `"/>` +
				`</form><script>var accessToken = "` + Marker(40) + `"; window.cfg = {apiKey: '` + Marker(41) + `', user: "` + Email(42) + `"};` +
				`fetch("/api", {headers: {"Authorization": "Bearer ` + JWT(43) + `"}});</script></body></html>`,
		},
		// A sign-in whose values also sit where no parameter name gives
		// them away: the app pastes the state into its redirect URI's
		// path, the token request sends another redirect URI (a finding
		// quotes both), and the provider's error echoes the code.
		{
			Method: "GET", URL: "https://login.example.com/common/oauth2/v2.0/authorize?client_id=c-leak&response_type=code&scope=openid" +
				"&redirect_uri=" + url.QueryEscape("https://app.example/cb/"+Marker(47)) + "&state=" + Marker(47),
			ReqHeaders: [][2]string{{"Host", "login.example.com"}},
			Status:     302, RespHeaders: [][2]string{{"Location", "https://app.example/cb/" + Marker(47) + "?code=" + Marker(48) + "&state=" + Marker(47)}},
		},
		{
			Method: "POST", URL: "https://login.example.com/common/oauth2/v2.0/token", ReqMIME: "application/x-www-form-urlencoded",
			ReqHeaders: [][2]string{{"Host", "login.example.com"}, {"Content-Type", "application/x-www-form-urlencoded"}},
			ReqBody:    "grant_type=authorization_code&client_id=c-leak&code=" + Marker(48) + "&redirect_uri=" + url.QueryEscape("https://app.example/cb"),
			Status:     400, RespMIME: "application/json",
			RespHeaders: [][2]string{{"Content-Type", "application/json"}},
			RespBody: `{"error":"invalid_grant","error_description":"AADSTS70008: The provided authorization code ` + Marker(48) +
				` has expired. Trace ID: 0e6c8a4e-2f3b-4c1d-9a7e-5b6d7c8e9f00 Correlation ID: 1f2e3d4c-5b6a-4978-8a9b-0c1d2e3f4a5b Timestamp: 2026-01-02 03:04:05Z","error_codes":[70008]}`,
		},
	}
}

// PageTitle is the HAR page title: it carries a token, as some SPAs put
// one in document.title.
func PageTitle() string { return "Signed in - token " + JWT(44) }

// MetaFlag is a Fiddler session flag value carrying a token.
func MetaFlag() string { return "x-custom note: Bearer " + JWT(46) }

// Files writes the corpus to dir and returns the paths: HAR, gzip HAR, SAZ
// (plain, ZipCrypto, AES, bodies encoded with gzip, deflate, br and zstd), pcap.
func Files(dir string) (map[string]string, error) {
	exs := Exchanges()
	out := map[string]string{}
	write := func(name string, data []byte) error {
		p := filepath.Join(dir, name)
		out[name] = p
		return os.WriteFile(p, data, 0o644)
	}
	h, err := HAR(exs)
	if err != nil {
		return nil, err
	}
	if err := write("leak.har", h); err != nil {
		return nil, err
	}
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write(h)
	zw.Close()
	if err := write("leak.har.gz", gz.Bytes()); err != nil {
		return nil, err
	}
	for _, v := range []struct {
		name string
		enc  encryption
		gzip bool
	}{{"leak.saz", plain, false}, {"leak-zipcrypto.saz", zipCrypto, false}, {"leak-aes.saz", winzipAES, false}, {"leak-encoded.saz", plain, true}} {
		s, err := SAZ(exs, v.enc, v.gzip)
		if err != nil {
			return nil, err
		}
		if err := write(v.name, s); err != nil {
			return nil, err
		}
	}
	p, err := PCAP(exs)
	if err != nil {
		return nil, err
	}
	if err := write("leak.pcap", p); err != nil {
		return nil, err
	}
	return out, nil
}

// HAR renders the exchanges as a HAR 1.2 document.
func HAR(exs []Exchange) ([]byte, error) {
	pairs := func(h [][2]string) []map[string]string {
		out := []map[string]string{}
		for _, f := range h {
			out = append(out, map[string]string{"name": f[0], "value": f[1]})
		}
		return out
	}
	var entries []any
	t := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	for i, ex := range exs {
		req := map[string]any{"method": ex.Method, "url": ex.URL, "httpVersion": "HTTP/1.1", "headers": pairs(ex.ReqHeaders),
			"queryString": []any{}, "cookies": []any{}, "headersSize": -1, "bodySize": len(ex.ReqBody)}
		if ex.ReqBody != "" {
			req["postData"] = map[string]any{"mimeType": ex.ReqMIME, "text": ex.ReqBody}
		}
		resp := map[string]any{"status": ex.Status, "statusText": "", "httpVersion": "HTTP/1.1", "headers": pairs(ex.RespHeaders),
			"cookies": []any{}, "content": map[string]any{"size": len(ex.RespBody), "mimeType": ex.RespMIME, "text": ex.RespBody},
			"redirectURL": "", "headersSize": -1, "bodySize": len(ex.RespBody)}
		e := map[string]any{"pageref": "page_1", "startedDateTime": t.Add(time.Duration(i) * time.Second).Format(time.RFC3339Nano),
			"time": 12, "request": req, "response": resp, "cache": map[string]any{},
			"timings": map[string]any{"send": 1, "wait": 10, "receive": 1}}
		if ex.Comment != "" {
			e["comment"] = ex.Comment
		}
		if ex.Initiator != "" {
			e["_initiator"] = map[string]any{"type": "script", "url": ex.Initiator}
		}
		entries = append(entries, e)
	}
	doc := map[string]any{"log": map[string]any{"version": "1.2", "creator": map[string]any{"name": "leakcorpus", "version": "1"},
		"pages":   []any{map[string]any{"id": "page_1", "startedDateTime": t.Format(time.RFC3339Nano), "title": PageTitle(), "pageTimings": map[string]any{}}},
		"entries": entries}}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// request and response render raw HTTP/1.1 messages; gz gzip-encodes a
// response body.
func request(ex Exchange) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "%s %s HTTP/1.1\r\n", ex.Method, ex.URL)
	for _, f := range ex.ReqHeaders {
		fmt.Fprintf(&b, "%s: %s\r\n", f[0], f[1])
	}
	if ex.ReqBody != "" {
		fmt.Fprintf(&b, "Content-Length: %d\r\n", len(ex.ReqBody))
	}
	b.WriteString("\r\n" + ex.ReqBody)
	return b.Bytes()
}

// codings are the content codings the encoded SAZ uses, one per exchange
// in turn.
var codings = []string{"gzip", "deflate", "br", "zstd"}

func encode(coding string, body []byte) []byte {
	var z bytes.Buffer
	var w io.WriteCloser
	switch coding {
	case "gzip":
		w = gzip.NewWriter(&z)
	case "deflate":
		w = zlib.NewWriter(&z)
	case "br":
		w = brotli.NewWriter(&z)
	default:
		w, _ = zstd.NewWriter(&z)
	}
	w.Write(body)
	w.Close()
	return z.Bytes()
}

// response renders a response; coding, when set, encodes its body.
func response(ex Exchange, coding string) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "HTTP/1.1 %d %s\r\n", ex.Status, statusText(ex.Status))
	for _, f := range ex.RespHeaders {
		fmt.Fprintf(&b, "%s: %s\r\n", f[0], f[1])
	}
	body := []byte(ex.RespBody)
	if coding != "" && len(body) > 0 {
		body = encode(coding, body)
		b.WriteString("Content-Encoding: " + coding + "\r\n")
	}
	fmt.Fprintf(&b, "Content-Length: %d\r\n\r\n", len(body))
	b.Write(body)
	return b.Bytes()
}

func statusText(s int) string {
	switch s {
	case 200:
		return "OK"
	case 302:
		return "Found"
	}
	return "Status"
}

type encryption int

const (
	plain encryption = iota
	zipCrypto
	winzipAES
)

// SAZ renders the exchanges as a Fiddler archive; gz encodes the response
// bodies with gzip, deflate, br and zstd in turn.
func SAZ(exs []Exchange, enc encryption, gz bool) ([]byte, error) {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	add := func(name string, data []byte) error {
		switch enc {
		case zipCrypto:
			crc := crc32.ChecksumIEEE(data)
			e := zipCryptoEncrypt(Password, crc, data)
			w, err := zw.CreateRaw(&zip.FileHeader{Name: name, Method: zip.Store, Flags: 0x1, CRC32: crc,
				CompressedSize64: uint64(len(e)), UncompressedSize64: uint64(len(data))})
			if err != nil {
				return err
			}
			_, err = w.Write(e)
			return err
		case winzipAES:
			e, err := aesEncrypt(Password, data)
			if err != nil {
				return err
			}
			w, err := zw.CreateRaw(&zip.FileHeader{Name: name, Method: 99, Flags: 0x1,
				CompressedSize64: uint64(len(e)), UncompressedSize64: uint64(len(data)),
				// AE-2, "AE", AES-256, stored.
				Extra: []byte{0x01, 0x99, 7, 0, 2, 0, 'A', 'E', 3, 0, 0}})
			if err != nil {
				return err
			}
			_, err = w.Write(e)
			return err
		}
		w, err := zw.Create(name)
		if err != nil {
			return err
		}
		_, err = w.Write(data)
		return err
	}
	var index strings.Builder
	index.WriteString("<html><body><table>")
	for i, ex := range exs {
		n := strconv.Itoa(i + 1)
		if err := add("raw/"+n+"_c.txt", request(ex)); err != nil {
			return nil, err
		}
		coding := ""
		if gz {
			coding = codings[i%len(codings)]
		}
		if err := add("raw/"+n+"_s.txt", response(ex, coding)); err != nil {
			return nil, err
		}
		meta := fmt.Sprintf(`<?xml version="1.0" encoding="utf-8"?>
<Session SID="%s" BitFlags="0">
  <SessionTimers ClientConnected="2026-01-02T03:04:0%[1]s.0000000Z" ClientBeginRequest="2026-01-02T03:04:0%[1]s.0010000Z" ClientDoneResponse="2026-01-02T03:04:0%[1]s.0200000Z" />
  <SessionFlags>
    <SessionFlag N="x-clientip" V="127.0.0.1" />
    <SessionFlag N="ui-comments" V="%s" />
    <SessionFlag N="x-note" V="%s" />
  </SessionFlags>
</Session>`, n, xmlEscape(ex.Comment), xmlEscape(MetaFlag()))
		if err := add("raw/"+n+"_m.xml", []byte(meta)); err != nil {
			return nil, err
		}
		fmt.Fprintf(&index, "<tr><td>%s</td><td>%d</td><td>%s</td></tr>", n, ex.Status, xmlEscape(ex.URL))
	}
	index.WriteString("</table></body></html>")
	if err := add("_index.htm", []byte(index.String())); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func xmlEscape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;").Replace(s)
}

// zipCryptoEncrypt is the writer side of PKWARE's traditional encryption
// for a member without a data descriptor.
func zipCryptoEncrypt(password string, crc uint32, plain []byte) []byte {
	k0, k1, k2 := uint32(0x12345678), uint32(0x23456789), uint32(0x34567890)
	crcByte := func(c uint32, b byte) uint32 { return crc32.IEEETable[byte(c)^b] ^ c>>8 }
	update := func(b byte) {
		k0 = crcByte(k0, b)
		k1 = (k1+k0&0xff)*134775813 + 1
		k2 = crcByte(k2, byte(k1>>24))
	}
	for i := 0; i < len(password); i++ {
		update(password[i])
	}
	hdr := append([]byte("0123456789a"), byte(crc>>24))
	out := make([]byte, 0, len(hdr)+len(plain))
	for _, p := range append(hdr, plain...) {
		t := uint32(k2|2) & 0xffff
		out = append(out, p^byte((t*(t^1))>>8))
		update(p)
	}
	return out
}

// aesEncrypt is the writer side of WinZip AES-256 (AE-2, stored).
func aesEncrypt(password string, plain []byte) ([]byte, error) {
	const keyLen = 32
	salt := bytes.Repeat([]byte{0x5a}, keyLen/2)
	keys, err := pbkdf2.Key(sha1.New, password, salt, 1000, 2*keyLen+2)
	if err != nil {
		return nil, err
	}
	block, err := aes.NewCipher(keys[:keyLen])
	if err != nil {
		return nil, err
	}
	var counter, stream [aes.BlockSize]byte
	ct := make([]byte, len(plain))
	for i := range plain {
		if i%aes.BlockSize == 0 {
			for j := range counter {
				counter[j]++
				if counter[j] != 0 {
					break
				}
			}
			block.Encrypt(stream[:], counter[:])
		}
		ct[i] = plain[i] ^ stream[i%aes.BlockSize]
	}
	mac := hmac.New(sha1.New, keys[keyLen:2*keyLen])
	mac.Write(ct)
	out := append(append(append([]byte(nil), salt...), keys[2*keyLen:]...), ct...)
	return append(out, mac.Sum(nil)[:10]...), nil
}

// PCAP renders the exchanges as a plaintext HTTP/1.1 capture, one TCP
// connection per exchange.
func PCAP(exs []Exchange) ([]byte, error) {
	var client, server [][]byte
	for _, ex := range exs {
		client = append(client, request(ex))
		server = append(server, response(ex, ""))
	}
	return TCPCapture(client, server)
}

// PCAPEncoded is PCAP with the response bodies encoded with gzip,
// deflate, br and zstd in turn, as the SAZ's encoded form.
func PCAPEncoded(exs []Exchange) ([]byte, error) {
	var client, server [][]byte
	for i, ex := range exs {
		client = append(client, request(ex))
		server = append(server, response(ex, codings[i%len(codings)]))
	}
	return TCPCapture(client, server)
}

// TCPCapture renders a capture of one TCP connection to port 80 per pair
// of payloads: the client's bytes, then the server's, each cut into
// segments.
func TCPCapture(client, server [][]byte) ([]byte, error) {
	var buf bytes.Buffer
	pw := pcapgo.NewWriter(&buf)
	if err := pw.WriteFileHeader(65535, layers.LinkTypeEthernet); err != nil {
		return nil, err
	}
	t := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	serverIP := net.IPv4(10, 0, 0, 1).To4()
	sb := gopacket.NewSerializeBuffer()
	for i := range client {
		clientIP := net.IPv4(10, 1, byte(i>>8), byte(i+1)).To4()
		port := layers.TCPPort(40000 + i)
		seqC, seqS := uint32(1000), uint32(5000)
		send := func(fromClient bool, tcp layers.TCP, payload []byte) error {
			t = t.Add(time.Millisecond)
			ip := layers.IPv4{Version: 4, TTL: 64, Protocol: layers.IPProtocolTCP, SrcIP: clientIP, DstIP: serverIP}
			tcp.SrcPort, tcp.DstPort = port, 80
			tcp.Seq, tcp.Ack = seqC, seqS
			if !fromClient {
				ip.SrcIP, ip.DstIP = serverIP, clientIP
				tcp.SrcPort, tcp.DstPort = 80, port
				tcp.Seq, tcp.Ack = seqS, seqC
			}
			if !tcp.SYN || tcp.ACK {
				tcp.ACK = true
			}
			tcp.Window = 65535
			tcp.SetNetworkLayerForChecksum(&ip)
			eth := layers.Ethernet{SrcMAC: net.HardwareAddr{2, 0, 0, 0, 0, 1}, DstMAC: net.HardwareAddr{2, 0, 0, 0, 0, 2}, EthernetType: layers.EthernetTypeIPv4}
			if err := gopacket.SerializeLayers(sb, gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}, &eth, &ip, &tcp, gopacket.Payload(payload)); err != nil {
				return err
			}
			data := sb.Bytes()
			adv := uint32(len(payload))
			if tcp.SYN || tcp.FIN {
				adv++
			}
			if fromClient {
				seqC += adv
			} else {
				seqS += adv
			}
			return pw.WritePacket(gopacket.CaptureInfo{Timestamp: t, CaptureLength: len(data), Length: len(data)}, data)
		}
		type step struct {
			client bool
			tcp    layers.TCP
			data   []byte
		}
		steps := []step{{true, layers.TCP{SYN: true}, nil}, {false, layers.TCP{SYN: true, ACK: true}, nil}, {true, layers.TCP{ACK: true}, nil}}
		for _, seg := range segments(client[i]) {
			steps = append(steps, step{true, layers.TCP{PSH: true, ACK: true}, seg})
		}
		if i < len(server) {
			for _, seg := range segments(server[i]) {
				steps = append(steps, step{false, layers.TCP{PSH: true, ACK: true}, seg})
			}
		}
		steps = append(steps, step{true, layers.TCP{FIN: true, ACK: true}, nil}, step{false, layers.TCP{FIN: true, ACK: true}, nil})
		for _, s := range steps {
			if err := send(s.client, s.tcp, s.data); err != nil {
				return nil, err
			}
		}
	}
	return buf.Bytes(), nil
}

func segments(b []byte) [][]byte {
	var out [][]byte
	for len(b) > 1400 {
		out = append(out, b[:1400])
		b = b[1400:]
	}
	return append(out, b)
}

// jwtShape finds a JWT at any URL-encoding depth: "eyJ" base64url, then a
// dot written as ".", "%2E", "%252E", … and more base64url. It is written
// independently of the sweep it checks.
var jwtShape = regexp.MustCompile(`eyJ[A-Za-z0-9_-]{8,}(\.|%(25)*2[Ee])[A-Za-z0-9_-]{4,}`)

// b64Run finds base64 and base64url runs worth decoding.
var b64Run = regexp.MustCompile(`[A-Za-z0-9+/_-]{16,}={0,2}`)

// Leaks returns what in data betrays a marker or a token: markers as they
// are, after up to three rounds of URL decoding, inside base64 (std or
// url, raw or padded, deflated or not), and JWT shapes at any URL-encoding
// depth. Each finding names its kind and offset, never more than the
// marker's number.
func Leaks(data []byte) []string {
	var out []string
	s := string(data)
	seen := map[string]bool{}
	note := func(msg string) {
		if !seen[msg] && len(out) < 50 {
			seen[msg] = true
			out = append(out, msg)
		}
	}
	markerIn := func(text, how string, off int) {
		for k := strings.Index(text, MarkerPrefix); k >= 0; {
			id := text[k+len(MarkerPrefix) : min(len(text), k+len(MarkerPrefix)+2)]
			note(fmt.Sprintf("marker %s %s near byte %d", id, how, off+k))
			n := strings.Index(text[k+1:], MarkerPrefix)
			if n < 0 {
				break
			}
			k += 1 + n
		}
	}
	markerIn(s, "in the clear", 0)
	if loc := jwtShape.FindStringIndex(s); loc != nil {
		note(fmt.Sprintf("JWT shape at byte %d", loc[0]))
	}
	dec := s
	for round := 1; round <= 3; round++ {
		if u, err := url.QueryUnescape(dec); err == nil {
			dec = u
		} else {
			dec = LenientUnescape(dec)
		}
		markerIn(dec, fmt.Sprintf("after %d URL decodings", round), 0)
	}
	for _, loc := range b64Run.FindAllStringIndex(s, -1) {
		run := s[loc[0]:loc[1]]
		for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
			raw, err := enc.DecodeString(run)
			if err != nil {
				raw, err = enc.DecodeString(strings.TrimRight(run, "=")[:len(strings.TrimRight(run, "="))/4*4])
				if err != nil {
					continue
				}
			}
			markerIn(string(raw), "inside base64", loc[0])
			var inf bytes.Buffer
			fr := flate.NewReader(bytes.NewReader(raw))
			inf.ReadFrom(io.LimitReader(fr, 1<<20))
			markerIn(inf.String(), "inside deflated base64", loc[0])
		}
	}
	return out
}

// LenientUnescape decodes %XX escapes and '+' and leaves malformed ones
// (what url.QueryUnescape refuses), for leak finders that must see
// through a half-escaped text.
func LenientUnescape(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '%' && i+2 < len(s) {
			if v, err := strconv.ParseUint(s[i+1:i+3], 16, 8); err == nil {
				b.WriteByte(byte(v))
				i += 2
				continue
			}
		}
		if c == '+' {
			c = ' '
		}
		b.WriteByte(c)
	}
	return b.String()
}
