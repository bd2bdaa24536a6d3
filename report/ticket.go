package report

import (
	"fmt"
	"strings"
)

// TicketTitle is a title fit for a support ticket: the provider error code,
// the mechanism, the client and the UTC time of the worst finding, e.g.
// "AADSTS54005 — double-handler — client 1111… — 2026-11-26 10:00:05 UTC".
// Without findings it states the verdict of the file.
func TicketTitle(r *Report) string {
	for fi := range r.Files {
		f := &r.Files[fi]
		if len(f.Findings) == 0 {
			continue
		}
		fd := &f.Findings[0] // Finalize sorted them worst first
		var code string
		var when Time
		for _, e := range evidenceByTime(fd.Evidence) {
			if e.ErrorCode != "" && code == "" {
				code, when = e.ErrorCode, e.Time
			}
			if when.IsZero() {
				when = e.Time
			}
		}
		parts := []string{}
		if code != "" {
			parts = append(parts, code)
		}
		what := fd.Rule
		if fd.Mechanism != "" {
			what += " (" + fd.Mechanism + ")"
		}
		parts = append(parts, what)
		if f.Facts != nil && len(f.Facts.ClientIDs) > 0 {
			parts = append(parts, "client "+f.Facts.ClientIDs[0])
		}
		if !when.IsZero() {
			parts = append(parts, when.UTC().Format("2006-01-02 15:04:05")+" UTC")
		}
		return oneLine(strings.Join(parts, " — "))
	}
	switch len(r.Files) {
	case 0:
		return "traceaudit report: no input"
	case 1:
		f := &r.Files[0]
		if f.Verdict != "" {
			return oneLine(fmt.Sprintf("%s: %s — %s", f.Verdict, f.Path, f.VerdictReason))
		}
		return oneLine("traceaudit report: " + f.Path)
	}
	return fmt.Sprintf("traceaudit report: %d files, no findings", len(r.Files))
}

// LogSearch says how to find the sign-in in the provider's own logs, from
// the ids and the time window the trace shows; "" when the provider is not
// one the catalog knows.
func LogSearch(fc *Facts) string {
	if fc == nil {
		return ""
	}
	window := ""
	if !fc.Start.IsZero() {
		window = fmt.Sprintf(" between %s and %s UTC", fc.Start.UTC().Add(-5*60e9).Format("2006-01-02 15:04"), fc.End.UTC().Add(5*60e9).Format("15:04"))
	}
	client := ""
	if len(fc.ClientIDs) > 0 {
		client = fc.ClientIDs[0]
	}
	ids := func(label string, vs []string) string {
		if len(vs) == 0 {
			return ""
		}
		return fmt.Sprintf("%s %s", label, strings.Join(vs, " or "))
	}
	switch fc.Family {
	case "entra":
		if strings.HasPrefix(fc.Provider, "Azure AD B2C") {
			// B2C user sign-ins are not tied to their application in the
			// sign-in logs; token issuance is in the B2C audit logs.
			s := fmt.Sprintf("Azure portal → Azure AD B2C → Activities → Audit logs%s (kept seven days): category B2C, Authentication activities such as \"Issue an id_token to the application\" with application ID %s in the details (the sign-in logs do not tie user sign-ins to B2C applications). For a refused request, trace a custom policy's journey with Application Insights, or give Microsoft support its time", window, orUnknown(client))
			if by := ids("and Correlation ID", fc.CorrelationIDs); by != "" {
				s += " " + by
			}
			s += "."
			if fc.Tenant != "" {
				s += " Tenant: " + fc.Tenant + "."
			}
			return s
		}
		by := ids("Correlation ID", fc.CorrelationIDs)
		if by == "" {
			by = ids("Correlation ID (the client-request-id MSAL sent)", fc.RequestIDs)
		}
		if t := ids("Request ID", fc.TraceIDs); t != "" {
			if by != "" {
				by += ", or " + t
			} else {
				by = t
			}
		}
		if by == "" && client != "" {
			by = "Application ID " + client
		}
		s := fmt.Sprintf("Microsoft Entra admin center → Identity → Monitoring & health → Sign-in logs (User sign-ins, interactive and non-interactive; Service principal sign-ins for a confidential client's token call): Date%s, Add filters → %s. The row's Basic info and Troubleshooting tabs give the failure reason the trace shows as an error code.", orNow(window), by)
		if fc.Tenant != "" {
			s += " Tenant: " + fc.Tenant + "."
		}
		return s
	case "okta":
		return fmt.Sprintf("Okta Admin Console → Reports → System Log%s: search by the X-Okta-Request-Id of the failing response (debugContext.debugData.requestId eq \"…\"), or by the app: client.id eq %q, with event types app.oauth2.*.", window, client)
	case "auth0":
		return fmt.Sprintf("Auth0 Dashboard → Monitoring → Logs%s: search client_id:%q; failed code exchanges are type feacft (fcoa for cross-origin).", window, client)
	case "google":
		return fmt.Sprintf("Google does not log a third-party app's token requests for you to search; a Workspace admin sees OAuth grants in Admin console → Reporting → Audit and investigation → OAuth log events (client %s)%s.", client, window)
	case "keycloak":
		realm := "the realm"
		if fc.Tenant != "" {
			realm = "realm " + fc.Tenant
		}
		return fmt.Sprintf("Keycloak Admin Console → %s → Events → User events (needs Realm settings → Events → Save events on): filter Client %s%s; a refused code shows as CODE_TO_TOKEN_ERROR with its error (invalid_code, expired_code).", realm, client, window)
	case "adfs":
		return fmt.Sprintf("AD FS servers: Event Viewer → Applications and Services Logs → AD FS → Admin%s, events of client %s; the activity ID on the error page links the entries.", window, client)
	case "cognito":
		return fmt.Sprintf("AWS CloudTrail → Event history%s, event source cognito-idp.amazonaws.com, for app client %s.", window, client)
	}
	return ""
}

func orUnknown(client string) string {
	if client == "" {
		return "(the app's)"
	}
	return client
}

func orNow(window string) string {
	if window == "" {
		return " (the time of the failure)"
	}
	return window
}
