package secret

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"strings"
	"time"
)

// TokenClaims are what a JWT says that identifies no person: its header
// (alg, kid, typ), who issued it and for whom, which tenant and app, when it
// is valid, what it grants. Names, UPNs, emails and object IDs are left out,
// and so is the signature, so the claims can go in any report.
type TokenClaims struct {
	Alg    string    `json:"alg,omitempty"`
	Kid    string    `json:"kid,omitempty"`
	Typ    string    `json:"typ,omitempty"`
	Issuer string    `json:"iss,omitempty"`
	Aud    []string  `json:"aud,omitempty"`
	Tenant string    `json:"tid,omitempty"`
	AZP    string    `json:"azp,omitempty"`
	AppID  string    `json:"appid,omitempty"`
	Ver    string    `json:"ver,omitempty"`
	Scope  string    `json:"scp,omitempty"`
	Issued time.Time `json:"iat,omitzero"`
	Before time.Time `json:"nbf,omitzero"`
	Expiry time.Time `json:"exp,omitzero"`
}

// maxJWT bounds the token decoded: real tokens are a few KiB.
const maxJWT = 64 << 10

// Claims decodes the value as a JWT (JWS compact form) and returns its
// non-identifying claims; ok is false when it is not a JWT (opaque tokens,
// encrypted JWE). It panics on a compacted token (Compact), which keeps no
// claims: only outputs that show none compact.
func (s Secret) Claims() (TokenClaims, bool) {
	raw := s.mustValue("Claims")
	if len(raw) > maxJWT || strings.Count(raw, ".") != 2 {
		return TokenClaims{}, false
	}
	parts := strings.SplitN(raw, ".", 3)
	head, err1 := base64.RawURLEncoding.DecodeString(strings.TrimRight(parts[0], "="))
	body, err2 := base64.RawURLEncoding.DecodeString(strings.TrimRight(parts[1], "="))
	if err1 != nil || err2 != nil {
		return TokenClaims{}, false
	}
	var h struct {
		Alg, Kid, Typ string
	}
	var p struct {
		Iss   string          `json:"iss"`
		Aud   json.RawMessage `json:"aud"`
		Tid   string          `json:"tid"`
		AZP   string          `json:"azp"`
		AppID string          `json:"appid"`
		Ver   json.RawMessage `json:"ver"`
		Scp   json.RawMessage `json:"scp"`
		Iat   json.Number     `json:"iat"`
		Nbf   json.Number     `json:"nbf"`
		Exp   json.Number     `json:"exp"`
	}
	if json.Unmarshal(head, &h) != nil || !decodeNumbers(body, &p) {
		return TokenClaims{}, false
	}
	c := TokenClaims{Alg: h.Alg, Kid: h.Kid, Typ: h.Typ, Issuer: p.Iss, Tenant: p.Tid, AZP: p.AZP, AppID: p.AppID,
		Ver: stringOrNumber(p.Ver), Scope: stringOrList(p.Scp), Aud: stringList(p.Aud),
		Issued: unixTime(p.Iat), Before: unixTime(p.Nbf), Expiry: unixTime(p.Exp)}
	return c, true
}

func decodeNumbers(b []byte, v any) bool {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	return dec.Decode(v) == nil
}

func unixTime(n json.Number) time.Time {
	f, err := n.Float64()
	if err != nil || f <= 0 || f > 1e11 {
		return time.Time{}
	}
	return time.Unix(int64(f), 0).UTC()
}

func stringList(raw json.RawMessage) []string {
	var one string
	if json.Unmarshal(raw, &one) == nil && one != "" {
		return []string{one}
	}
	var many []string
	if json.Unmarshal(raw, &many) == nil {
		return many
	}
	return nil
}

func stringOrList(raw json.RawMessage) string {
	return strings.Join(stringList(raw), " ")
}

func stringOrNumber(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	var n json.Number
	if json.Unmarshal(raw, &n) == nil {
		return n.String()
	}
	return ""
}
