package saz

// cp437High is code page 437's upper half (0x80-0xFF) as Unicode.
// DotNetZip, which Fiddler uses, turns a ZipCrypto password into bytes with
// IBM437, while Go strings (and 7-Zip, and every AES password) are UTF-8.
const cp437High = "ÇüéâäàåçêëèïîìÄÅÉæÆôöòûùÿÖÜ¢£¥₧ƒáíóúñÑªº¿⌐¬½¼¡«»" +
	"░▒▓│┤╡╢╖╕╣║╗╝╜╛┐└┴┬├─┼╞╟╚╔╩╦╠═╬╧╨╤╥╙╘╒╓╫╪┘┌█▄▌▐▀" +
	"αßΓπΣσµτΦΘΩδ∞φε∩≡±≥≤⌠⌡÷≈°∙·√ⁿ²■\u00a0"

// zipCryptoPasswords lists the byte forms a ZipCrypto password may have
// been encrypted with: as typed (UTF-8), then, when it is not plain ASCII,
// IBM437 (DotNetZip, Windows zip tools) and Latin-1 (Info-ZIP on some
// systems). Forms that cannot encode the password are left out.
func zipCryptoPasswords(password string) []string {
	out := []string{password}
	ascii := true
	for i := 0; i < len(password); i++ {
		if password[i] >= 0x80 {
			ascii = false
			break
		}
	}
	if ascii {
		return out
	}
	if b, ok := encodeCP437(password); ok {
		out = append(out, b)
	}
	if b, ok := encodeLatin1(password); ok {
		out = append(out, b)
	}
	return out
}

func encodeCP437(s string) (string, bool) {
	out := make([]byte, 0, len(s))
	for _, r := range s {
		if r < 0x80 {
			out = append(out, byte(r))
			continue
		}
		i := 0
		found := false
		for _, c := range cp437High {
			if c == r {
				out = append(out, byte(0x80+i))
				found = true
				break
			}
			i++
		}
		if !found {
			return "", false
		}
	}
	return string(out), true
}

func encodeLatin1(s string) (string, bool) {
	out := make([]byte, 0, len(s))
	for _, r := range s {
		if r > 0xff {
			return "", false
		}
		out = append(out, byte(r))
	}
	return string(out), true
}
