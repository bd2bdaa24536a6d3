package secret

import (
	"encoding/base64"
	"strings"
	"testing"
	"time"
)

func TestClaimsKeepOnlyNonIdentifyingClaims(t *testing.T) {
	enc := func(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }
	tok := enc(`{"alg":"RS256","kid":"k1","typ":"JWT"}`) + "." +
		enc(`{"iss":"https://login.microsoftonline.com/72f988bf/v2.0","aud":"11111111-2222","tid":"72f988bf","ver":"2.0",`+
			`"iat":1764151200,"nbf":1764151200,"exp":1764154800,"name":"Alice Example","preferred_username":"alice@contoso.com",`+
			`"oid":"00000000-aaaa","sub":"s-123","email":"alice@contoso.com","scp":"User.Read openid"}`) + ".c2ln"
	c, ok := New(tok).Claims()
	if !ok {
		t.Fatal("not decoded")
	}
	if c.Issuer != "https://login.microsoftonline.com/72f988bf/v2.0" || c.Tenant != "72f988bf" || c.Ver != "2.0" ||
		len(c.Aud) != 1 || c.Aud[0] != "11111111-2222" || c.Alg != "RS256" || c.Scope != "User.Read openid" {
		t.Errorf("claims %+v", c)
	}
	if !c.Expiry.Equal(time.Unix(1764154800, 0)) {
		t.Errorf("exp %v", c.Expiry)
	}
	out := strings.ToLower(strings.Join([]string{c.Issuer, c.Tenant, c.AZP, c.AppID, c.Scope}, " "))
	for _, pii := range []string{"alice", "00000000-aaaa", "s-123"} {
		if strings.Contains(out, pii) {
			t.Errorf("claims carry %q", pii)
		}
	}
	for _, notJWT := range []string{"opaque-token", "a.b", "e30.e30", strings.Repeat("a.", 2) + "x", "eyJ.!!!.x"} {
		if _, ok := New(notJWT).Claims(); ok {
			t.Errorf("%q decoded as a JWT", notJWT)
		}
	}
}
