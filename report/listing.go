package report

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"path/filepath"
	"strconv"
	"strings"
)

// Listing is one input file's part of the `events` or `exchanges` output:
// the file, its notes and its records. Values arrive already redacted; the
// writers only escape them for their medium.
type Listing struct {
	Path   string
	Format string // har | saz | pcap, or "" when the format is unknown
	// Error is set when the file could not be read (fully).
	Error     string
	Notes     []Note
	Exchanges []Exchange // the exchanges command
	Events    []Event    // the events command
}

// Exchange is the contract's exchanges record: one HTTP request.
type Exchange struct {
	File        string `json:"file"`
	Format      string `json:"format"`
	Ref         string `json:"ref"`
	Index       int    `json:"index"`
	Time        Time   `json:"time,omitzero"`
	Method      string `json:"method"`
	URL         string `json:"url"`
	Status      int    `json:"status"`
	HTTPVersion string `json:"http_version,omitempty"`
	Tunnel      bool   `json:"tunnel,omitempty"`
}

// Event is the wire form of one OAuth event: secrets rendered as
// fingerprints (or raw with --no-redact), URLs redacted.
type Event struct {
	File                string   `json:"file"`
	Format              string   `json:"format"`
	Ref                 string   `json:"ref"`
	Exchange            int      `json:"exchange"`
	Time                Time     `json:"time,omitzero"`
	ServerDate          Time     `json:"server_date,omitzero"`
	Kind                string   `json:"kind"`
	Provider            Provider `json:"provider"`
	Endpoint            string   `json:"endpoint,omitempty"`
	Method              string   `json:"method,omitempty"`
	Status              int      `json:"status,omitempty"`
	ClientID            string   `json:"client_id,omitempty"`
	RedirectURI         string   `json:"redirect_uri,omitempty"`
	State               string   `json:"state,omitempty"`
	Nonce               string   `json:"nonce,omitempty"`
	Scope               string   `json:"scope,omitempty"`
	Resource            string   `json:"resource,omitempty"`
	ResponseType        string   `json:"response_type,omitempty"`
	ResponseMode        string   `json:"response_mode,omitempty"`
	Prompt              string   `json:"prompt,omitempty"`
	CodeChallenge       string   `json:"code_challenge,omitempty"`
	CodeChallengeMethod string   `json:"code_challenge_method,omitempty"`
	// ParamsByReference: the authorize request sent its parameters by
	// reference (request_uri, an encrypted request object): the state,
	// nonce and challenge its URL lacks are unknown, not missing.
	ParamsByReference bool `json:"params_by_reference,omitempty"`
	// PushedRef locates the pushed authorization request (RFC 9126) whose
	// parameters the authorize request named by its request_uri.
	PushedRef         string  `json:"pushed_ref,omitempty"`
	Code              string  `json:"code,omitempty"`
	Delivery          string  `json:"delivery,omitempty"`
	GrantType         string  `json:"grant_type,omitempty"`
	CodeVerifier      string  `json:"code_verifier,omitempty"`
	RefreshToken      string  `json:"refresh_token,omitempty"`
	ClientAuth        string  `json:"client_auth,omitempty"`
	ClientSecret      string  `json:"client_secret,omitempty"`
	Assertion         string  `json:"client_assertion,omitempty"`
	AccessToken       string  `json:"access_token,omitempty"`
	IDToken           string  `json:"id_token,omitempty"`
	IDTokenClaims     *Claims `json:"id_token_claims,omitempty"`
	AccessTokenClaims *Claims `json:"access_token_claims,omitempty"`
	ExpiresIn         int     `json:"expires_in,omitempty"`
	// RefreshExpiresIn is a token answer's refresh_token_expires_in
	// (Entra's for single-page apps: 24 hours, whatever the sign-in's
	// session), which says when an SPA must sign in again.
	RefreshExpiresIn int            `json:"refresh_token_expires_in,omitempty"`
	Error            *ProviderError `json:"error,omitempty"`
	Origin           string         `json:"origin,omitempty"`
	Prefetch         string         `json:"prefetch,omitempty"`
	Conn             string         `json:"conn,omitempty"`
	Page             string         `json:"page,omitempty"`
	Process          string         `json:"process,omitempty"`
	RequestID        string         `json:"client_request_id,omitempty"`
	// Refusal is how the app's sign-in library refused a callback, in its
	// known words ("Correlation failed.", error=OAuthCallback).
	Refusal *AppRefusal `json:"app_refusal,omitempty"`
	// The sign-out steps' (logout, logout-return, app-logout,
	// frontchannel-logout, revocation): the logout request's
	// id_token_hint (a fingerprint) and its claims, where it asked to be
	// sent back (post_logout_redirect_uri, or the parameter named by
	// return_param: Auth0's returnTo, Cognito's logout_uri), logout_hint
	// (a fingerprint), ui_locales; where an app's sign-out sent the
	// browser (to); the revoked token (a fingerprint) and its hint; a
	// front-channel logout's iss and sid.
	IDTokenHint           string  `json:"id_token_hint,omitempty"`
	IDTokenHintClaims     *Claims `json:"id_token_hint_claims,omitempty"`
	PostLogoutRedirectURI string  `json:"post_logout_redirect_uri,omitempty"`
	ReturnParam           string  `json:"return_param,omitempty"`
	LogoutHint            string  `json:"logout_hint,omitempty"`
	UILocales             string  `json:"ui_locales,omitempty"`
	To                    string  `json:"to,omitempty"`
	PageTitle             string  `json:"page_title,omitempty"`
	Token                 string  `json:"token,omitempty"`
	TokenTypeHint         string  `json:"token_type_hint,omitempty"`
	Issuer                string  `json:"iss,omitempty"`
	SID                   string  `json:"sid,omitempty"`
}

// AppRefusal is how the app's sign-in library refused a callback.
type AppRefusal struct {
	Library string `json:"library,omitempty"`
	Words   string `json:"words"`
	Cause   string `json:"cause"`
}

// Provider is the identity provider family and flavour of an endpoint.
type Provider struct {
	Family  string `json:"family"`
	Variant string `json:"variant,omitempty"`
	Cloud   string `json:"cloud,omitempty"`
	Tenant  string `json:"tenant,omitempty"`
	Host    string `json:"host,omitempty"`
	Policy  string `json:"policy,omitempty"`
}

// ProviderError is an OAuth error answer with the fields providers add for
// support escalation.
type ProviderError struct {
	Error       string   `json:"error,omitempty"`
	Description string   `json:"error_description,omitempty"`
	Codes       []string `json:"error_codes,omitempty"`
	TraceID     string   `json:"trace_id,omitempty"`
	Correlation string   `json:"correlation_id,omitempty"`
	Timestamp   string   `json:"timestamp,omitempty"`
	URI         string   `json:"error_uri,omitempty"`
	Suberror    string   `json:"suberror,omitempty"`
}

// Claims are a JWT's non-identifying claims.
type Claims struct {
	Alg    string   `json:"alg,omitempty"`
	Kid    string   `json:"kid,omitempty"`
	Typ    string   `json:"typ,omitempty"`
	Issuer string   `json:"iss,omitempty"`
	Aud    []string `json:"aud,omitempty"`
	Tenant string   `json:"tid,omitempty"`
	AZP    string   `json:"azp,omitempty"`
	AppID  string   `json:"appid,omitempty"`
	Ver    string   `json:"ver,omitempty"`
	Scope  string   `json:"scp,omitempty"`
	Issued Time     `json:"iat,omitzero"`
	Before Time     `json:"nbf,omitzero"`
	Expiry Time     `json:"exp,omitzero"`
}

// listingNote keeps the listing's note field order (kind, ref, message),
// which differs from the scan report's.
type listingNote struct {
	Kind    string `json:"kind"`
	Ref     string `json:"ref,omitempty"`
	Message string `json:"message"`
}

func listingNotes(notes []Note) []listingNote {
	out := make([]listingNote, 0, len(notes))
	for _, n := range notes {
		out = append(out, listingNote{Kind: n.Kind, Ref: n.Ref, Message: n.Message})
	}
	return out
}

type listingExchangesJSON struct {
	Path      string        `json:"path"`
	Format    string        `json:"format,omitempty"`
	Error     string        `json:"error,omitempty"`
	Notes     []listingNote `json:"notes"`
	Exchanges []Exchange    `json:"exchanges"`
}

type listingEventsJSON struct {
	Path   string        `json:"path"`
	Format string        `json:"format,omitempty"`
	Error  string        `json:"error,omitempty"`
	Notes  []listingNote `json:"notes"`
	Events []Event       `json:"events"`
}

type listingDocJSON struct {
	SchemaVersion int   `json:"schema_version"`
	Tool          Tool  `json:"tool"`
	Files         []any `json:"files"`
}

// writeListings writes the json form: one indented document holding every
// file's listing.
func (JSONWriter) writeListings(w io.Writer, kind Kind, tool Tool, ls []Listing) error {
	doc := listingDocJSON{SchemaVersion: SchemaVersion, Tool: tool, Files: make([]any, 0, len(ls))}
	for i := range ls {
		l := &ls[i]
		if kind == KindEvents {
			doc.Files = append(doc.Files, listingEventsJSON{Path: l.Path, Format: l.Format, Error: l.Error,
				Notes: listingNotes(l.Notes), Events: nonNil(l.Events)})
		} else {
			doc.Files = append(doc.Files, listingExchangesJSON{Path: l.Path, Format: l.Format, Error: l.Error,
				Notes: listingNotes(l.Notes), Exchanges: nonNil(l.Exchanges)})
		}
	}
	enc := json.NewEncoder(terminalSafeJSON{w})
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return fmt.Errorf("report: writing json: %w", err)
	}
	return nil
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// writeListing writes the jsonl form of one file: one record per line.
func (JSONLWriter) writeListing(w io.Writer, kind Kind, l *Listing) error {
	enc := json.NewEncoder(terminalSafeJSON{w})
	enc.SetEscapeHTML(false)
	var err error
	if kind == KindEvents {
		for i := range l.Events {
			if err = enc.Encode(&l.Events[i]); err != nil {
				break
			}
		}
	} else {
		for i := range l.Exchanges {
			if err = enc.Encode(&l.Exchanges[i]); err != nil {
				break
			}
		}
	}
	if err != nil {
		return fmt.Errorf("report: writing jsonl: %w", err)
	}
	return nil
}

// writeListing writes one file's listing: a heading, then one row per
// record — a table fitted to the width on wide terminals, a block per
// record on narrow ones. Notes and errors go to Diag when set. Every cell
// is escaped (oneLine), so a trace's escape sequences never reach the
// terminal.
func (t TableWriter) writeListing(w io.Writer, kind Kind, l *Listing) error {
	width := t.width()
	var what string
	var header []string
	var rows [][]string
	if kind == KindEvents {
		what = "OAuth events"
		header = []string{"TIME", "REF", "EVENT", "PROVIDER", "CLIENT", "DETAILS"}
		for i := range l.Events {
			e := &l.Events[i]
			prov := e.Provider.Family
			if e.Provider.Variant != "" {
				prov += " " + e.Provider.Variant
			}
			ref := e.Ref
			if l.Format == FormatCase && e.File != "" {
				// several traces on one timeline: name the trace
				ref = filepath.Base(e.File) + " " + ref
			}
			rows = append(rows, cells(e.Time.String(), ref, e.Kind, prov, shorten(e.ClientID, 40), shorten(eventDetails(e), 400)))
		}
	} else {
		what = "exchanges"
		header = []string{"REF", "TIME", "METHOD", "STATUS", "URL"}
		for i := range l.Exchanges {
			e := &l.Exchanges[i]
			status := strconv.Itoa(e.Status)
			if e.Status == 0 {
				status = "-"
			}
			if e.Tunnel {
				status += " (tunnel)"
			}
			rows = append(rows, cells(e.Ref, e.Time.String(), e.Method, status, shorten(e.URL, 400)))
		}
	}
	format := l.Format
	if format == "" {
		format = "unknown format"
	}
	diag := w
	if t.Diag != nil {
		diag = t.Diag
	}
	fmt.Fprintln(w, wrapIndent(fmt.Sprintf("%s (%s): %d %s", oneLine(l.Path), oneLine(format), len(rows), what), width, "    "))
	for _, n := range l.Notes {
		ref := ""
		if n.Ref != "" {
			ref = oneLine(n.Ref) + ": "
		}
		fmt.Fprintf(diag, "note: %s: [%s] %s%s\n", oneLine(l.Path), oneLine(n.Kind), ref, oneLine(n.Message))
	}
	if l.Error != "" {
		fmt.Fprintf(diag, "error: %s: %s\n", oneLine(l.Path), oneLine(l.Error))
	}
	if len(rows) > 0 {
		var err error
		if width < BlockBelow {
			err = listingBlocks(w, rows, width)
		} else {
			err = listingTable(w, header, rows, width)
		}
		if err != nil {
			return fmt.Errorf("report: writing table: %w", err)
		}
	}
	if _, err := fmt.Fprintln(w); err != nil {
		return fmt.Errorf("report: writing table: %w", err)
	}
	return nil
}

// listingTable fits a listing's table to width: the last column (details
// or URL) wraps, the others keep their natural width up to a cap.
func listingTable(w io.Writer, header []string, rows [][]string, width int) error {
	n := len(header)
	natural := make([]int, n)
	for i, h := range header {
		natural[i] = runeLen(h)
	}
	for _, r := range rows {
		for i, c := range r {
			natural[i] = max(natural[i], runeLen(c))
		}
	}
	caps := make([]int, n)
	mins := make([]int, n)
	for i := range caps {
		caps[i], mins[i] = 40, 6
	}
	caps[n-1], mins[n-1] = 0, 30
	widths := fitColumns(natural, caps, mins, width)
	wrapped := make([][]string, len(rows))
	for j, r := range rows {
		wrapped[j] = make([]string, n)
		for i, c := range r {
			wrapped[j][i] = wrap(c, widths[i])
		}
	}
	return renderTable(w, header, wrapped)
}

// listingBlocks writes each record as a block for a narrow terminal: the
// short fields on one line, then the long last one (details or URL)
// wrapped and indented.
func listingBlocks(w io.Writer, rows [][]string, width int) error {
	bw := bufio.NewWriter(w)
	for _, r := range rows {
		var head []string
		for _, c := range r[:len(r)-1] {
			if c != "" {
				head = append(head, c)
			}
		}
		bw.WriteString(wrapIndent(strings.Join(head, "  "), width, "    ") + "\n")
		if last := r[len(r)-1]; last != "" {
			bw.WriteString(wrapIndent("    "+last, width, "    ") + "\n")
		}
	}
	return bw.Flush()
}

// cells escapes each table cell for the terminal.
func cells(in ...string) []string {
	for i, s := range in {
		in[i] = oneLine(s)
	}
	return in
}

// shorten keeps table cells readable; the JSON formats carry full values.
func shorten(s string, max int) string {
	if len(s) <= max {
		return s
	}
	return s[:max-1] + "…"
}

// eventDetails is the one-line summary of an event for the table.
func eventDetails(e *Event) string {
	var parts []string
	add := func(k, v string) {
		if v != "" {
			parts = append(parts, k+"="+v)
		}
	}
	if e.Status != 0 {
		add("status", strconv.Itoa(e.Status))
	}
	add("grant", e.GrantType)
	add("code", e.Code)
	add("via", e.Delivery)
	add("redirect_uri", e.RedirectURI)
	add("state", e.State)
	add("mode", e.ResponseMode)
	if e.ParamsByReference {
		add("params", "by-reference")
	}
	add("pushed", e.PushedRef)
	if e.CodeChallenge != "" {
		add("pkce", e.CodeChallengeMethod)
		if e.CodeChallengeMethod == "" {
			add("pkce", "plain")
		}
	}
	add("verifier", e.CodeVerifier)
	add("auth", e.ClientAuth)
	add("prompt", e.Prompt)
	add("prefetch", e.Prefetch)
	add("post_logout_redirect_uri", e.PostLogoutRedirectURI)
	add("id_token_hint", e.IDTokenHint)
	add("to", e.To)
	add("page", e.PageTitle)
	add("token", e.Token)
	add("token_type_hint", e.TokenTypeHint)
	add("sid", e.SID)
	if e.Error != nil {
		add("error", e.Error.Error)
		add("codes", strings.Join(e.Error.Codes, ","))
		add("trace_id", e.Error.TraceID)
		add("correlation_id", e.Error.Correlation)
	}
	var toks []string
	if e.AccessToken != "" {
		toks = append(toks, "access")
	}
	if e.IDToken != "" {
		toks = append(toks, "id")
	}
	if e.RefreshToken != "" && e.Kind == "token-response" {
		toks = append(toks, "refresh")
	}
	if len(toks) > 0 {
		add("tokens", strings.Join(toks, "+"))
	}
	return strings.Join(parts, " ")
}

// WriteRuleList writes the `rules` command's table: ID, severity, title,
// fitted to width columns (0: DefaultWidth) like every table.
func WriteRuleList(w io.Writer, rules []RuleInfo, width int) error {
	if width <= 0 {
		width = DefaultWidth
	}
	header := []string{"ID", "SEVERITY", "TITLE"}
	rows := make([][]string, 0, len(rules))
	for _, r := range rules {
		rows = append(rows, cells(r.ID, string(r.Severity), r.Title))
	}
	if err := listingTable(w, header, rows, max(width, minWidth)); err != nil {
		return fmt.Errorf("report: writing rules: %w", err)
	}
	return nil
}

// WriteRuleDoc writes the `explain` command's text: a rule's heading and
// its documentation, which is the rules' own text, written as is.
func WriteRuleDoc(w io.Writer, r RuleInfo) error {
	if _, err := fmt.Fprintf(w, "%s (%s): %s\n\n%s\n", oneLine(r.ID), oneLine(string(r.Severity)), oneLine(r.Title),
		strings.TrimSpace(r.Help)); err != nil {
		return fmt.Errorf("report: writing rule: %w", err)
	}
	return nil
}

// ErrorDoc is what `traceaudit explain CODE` shows about a provider error.
type ErrorDoc struct {
	// Key is what was looked up; Code the catalog's code, "" for an entry
	// matched by its message text (Match).
	Key, Code, Match string
	Family           string // the provider family a message entry belongs to
	Class            string
	Meaning          string
	Causes           []string
	Rules            []RuleInfo // the rules that report it
	NoRuleNote       string
	Remediation      string
}

// WriteErrorDoc writes one provider error's explanation: what it means, the
// usual causes, which rule reports it and what to do.
func WriteErrorDoc(w io.Writer, d ErrorDoc) error {
	bw := bufio.NewWriter(w)
	title := d.Code
	if title == "" {
		title = d.Key
	}
	fmt.Fprintf(bw, "%s (%s)\n\n", oneLine(title), oneLine(d.Class))
	if d.Match != "" {
		fmt.Fprintf(bw, "Recognised by the message text %q", oneLine(d.Match))
		if d.Family != "" {
			fmt.Fprintf(bw, " (%s)", oneLine(d.Family))
		}
		bw.WriteString(".\n\n")
	}
	fmt.Fprintf(bw, "Meaning: %s.\n", oneLine(d.Meaning))
	if len(d.Causes) > 0 {
		bw.WriteString("\nUsual causes:\n")
		for _, c := range d.Causes {
			fmt.Fprintf(bw, "  - %s\n", oneLine(c))
		}
	}
	if len(d.Rules) > 0 {
		bw.WriteString("\nReported by:\n")
		for _, r := range d.Rules {
			fmt.Fprintf(bw, "  - %s: %s (traceaudit explain %s)\n", oneLine(r.ID), oneLine(r.Title), oneLine(r.ID))
		}
	} else if d.NoRuleNote != "" {
		fmt.Fprintf(bw, "\n%s\n", oneLine(d.NoRuleNote))
	}
	if d.Remediation != "" {
		fmt.Fprintf(bw, "\nWhat to do: %s\n", oneLine(d.Remediation))
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("report: writing explanation: %w", err)
	}
	return nil
}
