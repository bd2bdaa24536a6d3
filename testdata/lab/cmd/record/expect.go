package main

import (
	"cmp"
	"encoding/json"
	"fmt"
	"html"
	"net/url"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"
)

// allRules are the rule IDs an expectation speaks about.
var allRules = []string{"code-reuse", "redirect-uri-mismatch", "code-expired", "multi-tab-race", "pkce-mismatch",
	"pkce-missing", "state-mismatch", "refresh-token-expired", "client-auth-failed"}

// observation is one OAuth step seen in the traces, with where to find it.
type observation struct {
	Kind        string    `json:"kind"` // authorize, code-issued, callback, token-request
	Channel     string    `json:"channel"`
	Tab         string    `json:"tab,omitempty"`
	HAR         string    `json:"har,omitempty"`  // entries[N] in trace.har
	PCAP        string    `json:"pcap,omitempty"` // frame N in capture.pcap / capture-dsb.pcapng
	Time        time.Time `json:"time"`
	Method      string    `json:"method"`
	URL         string    `json:"url"` // secrets in the query replaced by fingerprints
	Status      int       `json:"status,omitempty"`
	Grant       string    `json:"grant_type,omitempty"`
	Code        string    `json:"code,omitempty"`
	Refresh     string    `json:"refresh_token,omitempty"`
	Verifier    string    `json:"code_verifier,omitempty"`
	Challenge   string    `json:"code_challenge,omitempty"`
	State       string    `json:"state,omitempty"`
	RedirectURI string    `json:"redirect_uri,omitempty"`
	Error       string    `json:"error,omitempty"`
	Description string    `json:"error_description,omitempty"`
	Handler     string    `json:"rp_handler,omitempty"`

	rawCode, rawVerifier, rawRefresh, path string
}

type evidence struct {
	Kind        string `json:"kind"`
	Channel     string `json:"channel"`
	Handler     string `json:"rp_handler,omitempty"`
	HAR         string `json:"har,omitempty"`
	PCAP        string `json:"pcap,omitempty"`
	Status      int    `json:"status,omitempty"`
	Error       string `json:"error,omitempty"`
	Description string `json:"error_description,omitempty"`
}

type finding struct {
	Rule         string     `json:"rule"`
	Code         string     `json:"code,omitempty"`
	RefreshToken string     `json:"refresh_token,omitempty"`
	Evidence     []evidence `json:"evidence"`
	DerivedFrom  string     `json:"derived_from"`
	Detail       any        `json:"detail,omitempty"`
}

type expectation struct {
	Schema      int               `json:"schema"`
	Scenario    string            `json:"scenario"`
	Summary     string            `json:"summary"`
	RecordedAt  string            `json:"recorded_at"`
	Provider    map[string]any    `json:"provider"`
	RP          map[string]any    `json:"relying_party"`
	Browser     string            `json:"browser"`
	Versions    map[string]string `json:"versions"`
	Findings    []finding         `json:"findings"`
	MustNot     []string          `json:"must_not"`
	May         []string          `json:"may"`
	Events      []observation     `json:"events"`
	ProviderLog []string          `json:"provider_log,omitempty"`
	Notes       []string          `json:"notes,omitempty"`
}

func redactQuery(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.RawQuery == "" {
		return raw
	}
	q := u.Query()
	for _, k := range []string{"code", "code_verifier", "refresh_token", "access_token", "id_token", "client_secret"} {
		if v := q.Get(k); v != "" {
			q.Set(k, codeFingerprint(v))
		}
	}
	keys := make([]string, 0, len(q))
	for k := range q {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var parts []string
	for _, k := range keys {
		parts = append(parts, url.QueryEscape(k)+"="+url.QueryEscape(q.Get(k)))
	}
	u.RawQuery = strings.Join(parts, "&")
	return u.String()
}

func requestURI(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return ""
	}
	return u.RequestURI()
}

func parseTime(s string) time.Time {
	t, _ := time.Parse("2006-01-02T15:04:05.000Z", s)
	return t
}

func fp(v string) string {
	if v == "" {
		return ""
	}
	return codeFingerprint(v)
}

// observe turns the HAR and the RP log into observations and gives each the
// capture frame where tshark saw the same request.
func (s *session) observe() []*observation {
	var obs []*observation
	callbackPrefixes := s.registered
	for i, e := range s.har.Log.Entries {
		ref := fmt.Sprintf("entries[%d]", i)
		u, _ := url.Parse(e.Request.URL)
		q := u.Query()
		o := &observation{Channel: "browser", HAR: ref, Time: parseTime(e.StartedDateTime), Method: e.Request.Method,
			URL: redactQuery(e.Request.URL), Status: e.Response.Status, path: requestURI(e.Request.URL), Tab: tabOfPage(s, e.Pageref)}
		base := u.Scheme + "://" + u.Host + u.Path
		switch {
		case base == s.op.AuthorizeURL && e.Request.Method == "GET":
			o.Kind, o.State, o.Challenge, o.RedirectURI = "authorize", q.Get("state"), q.Get("code_challenge"), q.Get("redirect_uri")
			if e.Response.Status >= 400 {
				o.Error, o.Description = errorOf(e.Response.Content.Text)
			}
			obs = append(obs, o)
		case base == s.op.AuthorizeURL && e.Request.Method == "POST":
			// a login form posted back to the authorize endpoint (fosite):
			// not an OAuth step of its own, but it can issue the code
		case slices.ContainsFunc(callbackPrefixes, func(p string) bool { return base == p }) && q.Get("code") != "":
			o.Kind, o.State, o.rawCode, o.Code = "callback", q.Get("state"), q.Get("code"), fp(q.Get("code"))
			obs = append(obs, o)
		case slices.ContainsFunc(callbackPrefixes, func(p string) bool { return base == p }) && e.Request.Method == "POST" && e.Request.PostData != nil:
			f, _ := url.ParseQuery(e.Request.PostData.Text)
			if f.Get("code") != "" {
				o.Kind, o.State, o.rawCode, o.Code = "callback", f.Get("state"), f.Get("code"), fp(f.Get("code"))
				obs = append(obs, o)
			}
		case base == s.op.TokenURL && e.Request.Method == "POST" && e.Request.PostData != nil:
			f, _ := url.ParseQuery(e.Request.PostData.Text)
			o.Kind, o.Grant, o.RedirectURI = "token-request", f.Get("grant_type"), f.Get("redirect_uri")
			o.rawCode, o.Code = f.Get("code"), fp(f.Get("code"))
			o.rawVerifier, o.Verifier = f.Get("code_verifier"), fp(f.Get("code_verifier"))
			o.rawRefresh, o.Refresh = f.Get("refresh_token"), fp(f.Get("refresh_token"))
			var body struct {
				Error       string `json:"error"`
				Description string `json:"error_description"`
			}
			_ = json.Unmarshal([]byte(e.Response.Content.Text), &body)
			o.Error, o.Description = body.Error, body.Description
			obs = append(obs, o)
		}
		// the provider's form_post page that carries the code; an issuance
		// is timed by the start of the request that issued it
		if m := formPostCode.FindStringSubmatch(e.Response.Content.Text); m != nil && e.Response.Status == 200 {
			st := formPostState.FindStringSubmatch(e.Response.Content.Text)
			c := &observation{Kind: "code-issued", Channel: "browser", HAR: ref, Time: parseTime(e.StartedDateTime),
				Method: e.Request.Method, URL: redactQuery(e.Request.URL), Status: e.Response.Status, path: requestURI(e.Request.URL), Tab: o.Tab,
				rawCode: html.UnescapeString(m[1]), Code: fp(html.UnescapeString(m[1]))}
			if st != nil {
				c.State = html.UnescapeString(st[1])
			}
			obs = append(obs, c)
		}
		// the provider's redirect that carries the code
		if loc := e.Response.RedirectURL; loc != "" {
			if lu, err := url.Parse(loc); err == nil && lu.Query().Get("code") != "" {
				c := &observation{Kind: "code-issued", Channel: "browser", HAR: ref, Time: parseTime(e.StartedDateTime),
					Method: e.Request.Method, URL: redactQuery(e.Request.URL), Status: e.Response.Status, path: requestURI(e.Request.URL), Tab: o.Tab,
					State: lu.Query().Get("state"), rawCode: lu.Query().Get("code"), Code: fp(lu.Query().Get("code"))}
				obs = append(obs, c)
			}
		}
	}
	for _, l := range s.rp.entries() {
		if l.Event != "token-request" {
			continue
		}
		o := &observation{Kind: "token-request", Channel: "back-channel", Time: l.Started, Method: "POST", URL: s.op.TokenURL,
			Status: l.Status, Grant: l.Grant, RedirectURI: l.RedirectURI, Error: l.Error, Description: l.Description, Handler: l.Handler,
			rawCode: l.Code, Code: fp(l.Code), rawVerifier: l.Verifier, Verifier: fp(l.Verifier), rawRefresh: l.Refresh, Refresh: fp(l.Refresh),
			path: requestURI(s.op.TokenURL)}
		obs = append(obs, o)
	}
	// capture refs
	used := map[int]bool{}
	for _, o := range obs {
		for i, w := range s.wire {
			if used[i] || w.Method != o.Method || w.Path != o.path {
				continue
			}
			if o.Kind == "callback" && o.Method == "POST" && w.Form["code"] != o.rawCode {
				continue
			}
			if o.Kind == "token-request" {
				if (o.rawCode != "" && w.Form["code"] != o.rawCode) || (o.rawRefresh != "" && w.Form["refresh_token"] != o.rawRefresh) {
					continue
				}
				if (o.Channel == "back-channel") != strings.Contains(w.UserAgent, "traceaudit-lab-rp") {
					continue
				}
			}
			used[i] = true
			o.PCAP = fmt.Sprintf("frame %d", w.Frame)
			break
		}
	}
	sort.SliceStable(obs, func(i, j int) bool { return obs[i].Time.Before(obs[j].Time) })
	return obs
}

var (
	formPostCode  = regexp.MustCompile(`name="code" value="([^"]*)"`)
	formPostState = regexp.MustCompile(`name="state" value="([^"]*)"`)
)

// errorOf reads a provider's error answer: OAuth JSON, or the text of an
// error page.
func errorOf(body string) (string, string) {
	var j struct {
		Error       string `json:"error"`
		Description string `json:"error_description"`
	}
	if json.Unmarshal([]byte(body), &j) == nil && j.Error != "" {
		return j.Error, j.Description
	}
	text := strings.Join(strings.Fields(body), " ")
	if len(text) > 300 {
		text = text[:300]
	}
	return "", text
}

func tabOfPage(s *session, pageref string) string {
	// pages are created per tab in order; the recorder knows the mapping
	return s.chrome.har.tabOfPage(pageref)
}

func ev(o *observation) evidence {
	return evidence{Kind: o.Kind, Channel: o.Channel, Handler: o.Handler, HAR: o.HAR, PCAP: o.PCAP, Status: o.Status, Error: o.Error, Description: o.Description}
}

func (s *session) expectations() (*expectation, error) {
	sc := s.scenario
	obs := s.observe()
	for _, o := range obs {
		if o.PCAP == "" && o.Kind != "code-issued" {
			return nil, fmt.Errorf("no capture frame found for %s %s (%s)", o.Kind, o.URL, o.Channel)
		}
		if o.PCAP == "" {
			// the code-issuing redirect is the same request as a HAR entry
			for _, p := range obs {
				if p.HAR == o.HAR && p.PCAP != "" {
					o.PCAP = p.PCAP
				}
			}
		}
	}
	v := versions()
	clientType := "confidential (client_secret, back-channel token request)"
	clientID := s.op.ClientID
	if strings.Contains(sc.Name, "spa") {
		clientType = "public browser app (PKCE, token request by fetch with CORS)"
		clientID = s.op.PublicClientID
	}
	exp := &expectation{
		Schema: 1, Scenario: sc.Name, Summary: sc.Summary, RecordedAt: s.started.Format(time.RFC3339),
		Provider: map[string]any{"name": s.op.Name, "module": s.op.Module, "version": v[s.op.Module], "issuer": s.op.Issuer,
			"authorize_endpoint": s.op.AuthorizeURL, "token_endpoint": s.op.TokenURL},
		RP:      map[string]any{"origin": s.rpEP.Origin(), "client_id": clientID, "client_type": clientType, "defects": describeDefects(sc)},
		Browser: s.chrome.version, Versions: v, Findings: []finding{}, May: sc.Allow,
	}
	if exp.May == nil {
		exp.May = []string{}
	}
	if s.op.CodeLifetime > 0 {
		exp.Provider["code_lifetime_seconds"] = s.op.CodeLifetime.Seconds()
	}
	if sc.Refresh || sc.SPA.Refresh {
		exp.Provider["refresh_token_lifetime_seconds"] = s.op.RefreshLifetime.Seconds()
	}
	for _, r := range allRules {
		if !slices.Contains(sc.Rules, r) && !slices.Contains(sc.Allow, r) {
			exp.MustNot = append(exp.MustNot, r)
		}
	}
	for _, o := range obs {
		exp.Events = append(exp.Events, *o)
	}
	if sc.Provider == "fosite" {
		// the lab's own log lines around fosite: fingerprints only, no secrets
		for _, l := range strings.Split(strings.TrimSpace(s.opLog.String()), "\n") {
			if l != "" {
				exp.ProviderLog = append(exp.ProviderLog, stripPaths(l))
			}
		}
	}
	for _, rule := range sc.Rules {
		f, err := derive(rule, s, obs)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", rule, err)
		}
		exp.Findings = append(exp.Findings, *f)
	}
	if len(sc.Rules) == 0 {
		// a clean flow: every token request must have succeeded
		for _, o := range obs {
			if o.Kind == "token-request" && o.Status != 200 {
				return nil, fmt.Errorf("clean scenario has a failed token request: %d %s", o.Status, o.Error)
			}
		}
	}
	return exp, nil
}

func describeDefects(sc *scenario) []string {
	var d []string
	if sc.Defects.RedeemTwice {
		d = append(d, "redeems each code twice (two code-received handlers)")
	}
	if sc.Defects.RedeemParallel {
		d = append(d, "sends two token requests for one code in parallel")
	}
	if sc.Defects.RenderAtCallback {
		d = append(d, "renders the result at the callback URL and never clears the transaction (reload redeems again)")
	}
	if sc.Defects.TokenRedirectURI != "" {
		d = append(d, "sends a different redirect_uri at the token endpoint: "+sc.Defects.TokenRedirectURI)
	}
	if sc.Defects.RedeemDelay > 0 {
		d = append(d, fmt.Sprintf("waits %s before redeeming the code", sc.Defects.RedeemDelay))
	}
	if sc.Defects.SharedStateCookie {
		d = append(d, "one state cookie for every sign-in (not per transaction)")
	}
	if sc.Defects.SharedVerifierCookie {
		d = append(d, "one PKCE verifier cookie for every sign-in (not per transaction)")
	}
	if sc.Defects.AuthorizeRedirectURI != "" {
		d = append(d, "sends an unregistered redirect_uri at authorize: "+sc.Defects.AuthorizeRedirectURI)
	}
	if sc.Defects.WrongSecret {
		d = append(d, "authenticates with a wrong client secret")
	}
	if sc.Defects.OmitVerifier {
		d = append(d, "omits code_verifier at the token endpoint")
	}
	if sc.Defects.FormPost {
		d = append(d, "asks for response_mode=form_post (not a defect)")
	}
	if sc.Defects.CallbackPath != "" {
		d = append(d, "redirect URI path "+sc.Defects.CallbackPath+" (not a defect)")
	}
	if sc.Defects.CookieSameSite != "" {
		d = append(d, "transaction cookies SameSite="+sc.Defects.CookieSameSite)
	}
	if sc.Defects.KeepOldRefreshToken {
		d = append(d, "keeps the first refresh token and ignores the rotated one")
	}
	if sc.SPA.Double {
		d = append(d, "browser app exchanges the code twice")
	}
	if sc.SPA.WrongVerifier {
		d = append(d, "browser app generates a new verifier at token time")
	}
	if sc.SPA.SharedStorage {
		d = append(d, "browser app keeps the verifier under one localStorage key shared by tabs")
	}
	if d == nil {
		d = []string{}
	}
	return d
}

func byKind(obs []*observation, kind string) []*observation {
	var out []*observation
	for _, o := range obs {
		if o.Kind == kind {
			out = append(out, o)
		}
	}
	return out
}

func authorizeFor(obs []*observation, state string) *observation {
	for _, o := range obs {
		if o.Kind == "authorize" && o.State == state {
			return o
		}
	}
	return nil
}

func issuedFor(obs []*observation, rawCode string) *observation {
	for _, o := range obs {
		if o.Kind == "code-issued" && o.rawCode == rawCode {
			return o
		}
	}
	return nil
}

// derive builds the finding for rule from what the provider and the RP did,
// and refuses when the recording does not show the scenario's story.
func derive(rule string, s *session, obs []*observation) (*finding, error) {
	tokens := byKind(obs, "token-request")
	switch rule {
	case "code-reuse":
		count := map[string][]*observation{}
		for _, o := range obs {
			if (o.Kind == "token-request" && o.Grant == "authorization_code") || o.Kind == "callback" {
				count[o.rawCode] = append(count[o.rawCode], o)
			}
		}
		for code, list := range count {
			var redemptions, failed int
			var last *observation
			for _, o := range list {
				if o.Kind == "token-request" {
					redemptions++
					if o.Status != 200 {
						failed++
						last = o
					}
				}
			}
			if redemptions < 2 {
				continue
			}
			f := &finding{Rule: rule, Code: fp(code)}
			if is := issuedFor(obs, code); is != nil {
				f.Evidence = append(f.Evidence, ev(is))
			}
			for _, o := range list {
				f.Evidence = append(f.Evidence, ev(o))
			}
			f.Detail = map[string]any{"redemptions": redemptions, "refused": failed}
			f.DerivedFrom = fmt.Sprintf("the RP/app sent this code to the token endpoint %d times (RP log and capture); %s", redemptions, refusal(s, last))
			return f, nil
		}
		return nil, fmt.Errorf("no code was redeemed twice")
	case "redirect-uri-mismatch":
		for _, t := range tokens {
			is := issuedFor(obs, t.rawCode)
			if is == nil {
				continue
			}
			az := authorizeFor(obs, is.State)
			if az == nil || az.RedirectURI == t.RedirectURI {
				continue
			}
			if t.Status != 400 {
				return nil, fmt.Errorf("provider accepted the mismatching redirect_uri (status %d)", t.Status)
			}
			return &finding{Rule: rule, Code: t.Code, Evidence: []evidence{ev(az), ev(is), ev(t)},
				Detail:      map[string]string{"authorize_redirect_uri": az.RedirectURI, "token_redirect_uri": t.RedirectURI},
				DerivedFrom: "redirect_uri differs between the authorize request and the token request; " + refusal(s, t)}, nil
		}
		for _, az := range byKind(obs, "authorize") {
			if az.Status < 400 {
				continue
			}
			return &finding{Rule: rule, Evidence: []evidence{ev(az)},
				Detail:      map[string]any{"authorize_redirect_uri": az.RedirectURI, "registered_redirect_uris": s.registered},
				DerivedFrom: fmt.Sprintf("the authorize request's redirect_uri is not registered for the client; %s refused it with %d and did not redirect back: %q", s.op.Name, az.Status, strings.TrimSpace(az.Error+" "+az.Description))}, nil
		}
		return nil, fmt.Errorf("no token request with a different redirect_uri and no refused authorize request")
	case "client-auth-failed":
		for _, t := range tokens {
			if t.Error != "invalid_client" && t.Status != 401 {
				continue
			}
			return &finding{Rule: rule, Code: t.Code, Evidence: []evidence{ev(t)},
				DerivedFrom: "the RP authenticated with a client secret that is not the client's; " + refusal(s, t)}, nil
		}
		return nil, fmt.Errorf("no token request refused for client authentication")
	case "pkce-missing":
		for _, t := range tokens {
			is := issuedFor(obs, t.rawCode)
			if is == nil || t.rawVerifier != "" {
				continue
			}
			az := authorizeFor(obs, is.State)
			if az == nil || az.Challenge == "" {
				continue
			}
			return &finding{Rule: rule, Code: t.Code, Evidence: []evidence{ev(az), ev(is), ev(t)},
				DerivedFrom: "the authorize request carried a code_challenge but the token request has no code_verifier; " + refusal(s, t)}, nil
		}
		return nil, fmt.Errorf("no token request without the verifier its authorize request promised")
	case "state-mismatch":
		if len(byKind(obs, "authorize")) != 1 {
			return nil, fmt.Errorf("want exactly one authorize request")
		}
		for _, l := range s.rp.entries() {
			if l.Event != "state-missing" && l.Event != "state-mismatch" {
				continue
			}
			f := &finding{Rule: rule, Code: fp(l.Code)}
			if az := authorizeFor(obs, l.State); az != nil {
				f.Evidence = append(f.Evidence, ev(az))
			}
			if is := issuedFor(obs, l.Code); is != nil {
				f.Evidence = append(f.Evidence, ev(is))
			}
			for _, c := range byKind(obs, "callback") {
				if c.rawCode == l.Code {
					f.Evidence = append(f.Evidence, ev(c))
				}
			}
			f.DerivedFrom = "the RP's log: the callback's state has no transaction cookie in this browser (" + l.Event + "), so the RP refused it and never redeemed the code; the cookie was set with SameSite=" + cmp.Or(s.scenario.Defects.CookieSameSite, "Lax") + " and the callback is a cross-site " + callbackMethod(s.scenario)
			return f, nil
		}
		return nil, fmt.Errorf("the RP logged no state failure")
	case "code-expired":
		for _, t := range tokens {
			is := issuedFor(obs, t.rawCode)
			if is == nil || t.Status == 200 {
				continue
			}
			delay := t.Time.Sub(is.Time)
			if delay <= s.op.CodeLifetime {
				return nil, fmt.Errorf("code redeemed after %s, within the %s lifetime", delay, s.op.CodeLifetime)
			}
			return &finding{Rule: rule, Code: t.Code, Evidence: []evidence{ev(is), ev(t)},
				Detail:      map[string]any{"seconds_after_issue": roundSeconds(delay), "provider_lifetime_seconds": s.op.CodeLifetime.Seconds()},
				DerivedFrom: fmt.Sprintf("the code was redeemed %.1f s after the provider issued it, past its configured %s lifetime; %s", delay.Seconds(), s.op.CodeLifetime, refusal(s, t))}, nil
		}
		return nil, fmt.Errorf("no late, refused redemption")
	case "multi-tab-race":
		az := byKind(obs, "authorize")
		if len(az) < 2 || az[0].State == az[1].State {
			return nil, fmt.Errorf("want two authorize requests with different states, got %d", len(az))
		}
		cbs := byKind(obs, "callback")
		if len(cbs) == 0 {
			return nil, fmt.Errorf("no callback")
		}
		first := cbs[0]
		if !first.Time.After(az[1].Time) {
			return nil, fmt.Errorf("second sign-in started after the first callback")
		}
		f := &finding{Rule: rule, Code: first.Code, Evidence: []evidence{ev(az[0]), ev(az[1])}}
		if is := issuedFor(obs, first.rawCode); is != nil {
			f.Evidence = append(f.Evidence, ev(is))
		}
		f.Evidence = append(f.Evidence, ev(first))
		detail := map[string]any{"tab_a_state": az[0].State, "tab_b_state": az[1].State}
		f.DerivedFrom = "two sign-ins started in one browser before the first callback; "
		var redeemed *observation
		for _, t := range tokens {
			if t.rawCode == first.rawCode {
				redeemed = t
			}
		}
		if redeemed == nil {
			f.DerivedFrom += "the RP refused tab A's callback (its log: state mismatch) and never redeemed tab A's code"
			if !slices.ContainsFunc(s.rp.entries(), func(e rpLogEntry) bool { return e.Event == "state-mismatch" && e.Code == first.rawCode }) {
				return nil, fmt.Errorf("tab A's code was neither redeemed nor refused by the RP")
			}
		} else {
			f.Evidence = append(f.Evidence, ev(redeemed))
			if s256(redeemed.rawVerifier) == az[0].Challenge {
				return nil, fmt.Errorf("tab A redeemed with its own verifier")
			}
			if s256(redeemed.rawVerifier) == az[1].Challenge {
				detail["verifier_matches"] = "the code_challenge of the second authorize request (" + az[1].HAR + ")"
			}
			f.DerivedFrom += "tab A's code was redeemed with tab B's PKCE verifier; " + refusal(s, redeemed)
		}
		f.Detail = detail
		return f, nil
	case "pkce-mismatch":
		for _, t := range tokens {
			is := issuedFor(obs, t.rawCode)
			if is == nil {
				continue
			}
			az := authorizeFor(obs, is.State)
			if az == nil || az.Challenge == "" || s256(t.rawVerifier) == az.Challenge {
				continue
			}
			return &finding{Rule: rule, Code: t.Code, Evidence: []evidence{ev(az), ev(is), ev(t)},
				DerivedFrom: "base64url(SHA-256(code_verifier)) of the token request differs from the authorize request's code_challenge; " + refusal(s, t)}, nil
		}
		return nil, fmt.Errorf("no token request with a mismatching verifier")
	case "refresh-token-expired":
		for _, t := range tokens {
			if t.Grant != "refresh_token" || t.Status == 200 {
				continue
			}
			var earlier *observation
			for _, u := range tokens {
				if u != t && u.Grant == "refresh_token" && u.rawRefresh == t.rawRefresh && u.Time.Before(t.Time) {
					earlier = u
				}
			}
			if earlier != nil {
				return &finding{Rule: rule, RefreshToken: t.Refresh, Evidence: []evidence{ev(earlier), ev(t)},
					Detail:      map[string]any{"reused_after_rotation": true},
					DerivedFrom: "the refresh token had already been redeemed (and rotated) by an earlier refresh; the RP sent the old one again; " + refusal(s, t)}, nil
			}
			return &finding{Rule: rule, RefreshToken: t.Refresh, Evidence: []evidence{ev(t)},
				Detail:      map[string]any{"provider_lifetime_seconds": s.op.RefreshLifetime.Seconds()},
				DerivedFrom: "the refresh token was redeemed after its configured lifetime; " + refusal(s, t)}, nil
		}
		return nil, fmt.Errorf("no refused refresh request")
	}
	return nil, fmt.Errorf("no derivation for rule %s", rule)
}

func callbackMethod(sc *scenario) string {
	if sc.Defects.FormPost {
		return "POST (form_post)"
	}
	return "GET redirect"
}

func roundSeconds(d time.Duration) float64 { return float64(d.Milliseconds()) / 1000 }

func refusal(s *session, o *observation) string {
	if o == nil {
		return s.op.Name + " accepted every request"
	}
	return fmt.Sprintf("%s answered %d %s %q", s.op.Name, o.Status, o.Error, o.Description)
}

// goFilePath matches the absolute source paths in a Go stack trace
// (fosite's errors carry one); they name the recording machine, so only the
// module-relative part is kept.
var goFilePath = regexp.MustCompile(`(?:/[^/\s"\\]+)+/(pkg/mod/|src/|testdata/lab/)`)

func stripPaths(line string) string {
	return goFilePath.ReplaceAllString(line, "$1")
}
