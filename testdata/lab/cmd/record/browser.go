package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
)

// chromium is one headless Debian Chromium with a fresh profile. Every host
// name resolves to loopback, so no packet can leave the machine.
type chromium struct {
	alloc   context.Context
	cancel  func()
	first   context.Context
	har     *harRecorder
	version string
	tabs    int
}

func launchChromium(ctx context.Context, profileDir, keyLog, thirdParty string) (*chromium, error) {
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath("/usr/bin/chromium"),
		chromedp.Flag("headless", true),
		chromedp.Flag("no-sandbox", true),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("no-default-browser-check", true),
		chromedp.Flag("host-resolver-rules", "MAP * "+loopback),
		// the lab's certificate is self-signed and made per run
		chromedp.Flag("ignore-certificate-errors", true),
		chromedp.Flag("ssl-key-log-file", keyLog),
		chromedp.UserDataDir(profileDir),
		chromedp.Env("SSLKEYLOGFILE=" + keyLog),
		chromedp.WindowSize(1024, 768),
	}
	if thirdParty != "" {
		if err := writeCookiePrefs(profileDir, thirdParty); err != nil {
			return nil, err
		}
	}
	alloc, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	first, cancelFirst := chromedp.NewContext(alloc)
	c := &chromium{alloc: alloc, first: first, har: newHARRecorder()}
	c.cancel = func() { cancelFirst(); cancelAlloc() }
	v, err := chromedp.CallBrowser(first, browser.GetVersion, cdp.Empty{})
	if err != nil {
		c.cancel()
		return nil, fmt.Errorf("start chromium: %w", err)
	}
	c.version = strings.TrimPrefix(strings.TrimPrefix(v.Product, "HeadlessChrome/"), "Chrome/")
	return c, nil
}

// writeCookiePrefs sets the profile's third-party cookie setting before
// Chromium starts, as a user sets it in chrome://settings/cookies: "allow"
// or "block" (the profile preference profile.cookie_controls_mode, 0 or 1).
// Left unset, this headless Chromium 156 blocked the provider's
// SameSite=None cookie in a cross-site iframe (CDP blockedReasons
// UserPreferences).
func writeCookiePrefs(profileDir, thirdParty string) error {
	mode, ok := map[string]int{"allow": 0, "block": 1}[thirdParty]
	if !ok {
		return fmt.Errorf("third-party cookies %q: want allow or block", thirdParty)
	}
	dir := filepath.Join(profileDir, "Default")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	b, err := json.Marshal(map[string]any{"profile": map[string]any{"cookie_controls_mode": mode}})
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "Preferences"), b, 0o600)
}

// thirdPartyCookiesSetting says writeCookiePrefs's setting in words, for
// the scenario's README and expect.json.
func thirdPartyCookiesSetting(thirdParty string) string {
	if thirdParty == "block" {
		return "Chromium's profile preference profile.cookie_controls_mode 1 (Block third-party cookies)"
	}
	return "Chromium's profile preference profile.cookie_controls_mode 0 (Allow third-party cookies)"
}

// tab returns a recorded tab: the first call reuses the initial tab, later
// calls open new ones in the same browser (shared cookies and storage).
func (c *chromium) tab() (context.Context, error) {
	c.tabs++
	ctx := c.first
	if c.tabs > 1 {
		ctx, _ = chromedp.NewContext(c.first)
	}
	name := fmt.Sprintf("tab%d", c.tabs)
	if err := c.har.attach(ctx, name); err != nil {
		return nil, fmt.Errorf("listen to %s: %w", name, err)
	}
	if _, err := chromedp.Call(ctx, network.Enable, network.EnableParams{}); err != nil {
		return nil, fmt.Errorf("enable network: %w", err)
	}
	if _, err := chromedp.Call(ctx, network.SetCacheDisabled, network.SetCacheDisabledParams{CacheDisabled: true}); err != nil {
		return nil, fmt.Errorf("disable cache: %w", err)
	}
	return ctx, nil
}

func (c *chromium) close() {
	c.cancel()
}

// signIn fills and submits the provider's login form shown in the tab.
func signIn(ctx context.Context, op *provider) error {
	return chromedp.Do(ctx,
		chromedp.WaitVisible(chromedp.ID("username")),
		chromedp.SetValue(chromedp.ID("username"), op.Username),
		chromedp.SetValue(chromedp.ID("password"), op.Password),
		chromedp.Submit(chromedp.ID("password")),
	)
}

// waitResult waits until the tab shows a page of the RP at origin with a
// final #result and returns its text.
func waitResult(ctx context.Context, origin string) (string, error) {
	expr := fmt.Sprintf(`(() => {
  if (location.origin !== %q) return "";
  const e = document.getElementById("result");
  if (!e) return "";
  const t = e.textContent;
  if (document.title === "Lab SPA" && !t.includes("done")) return "";
  return t;
})()`, origin)
	// evaluate in a loop: the page navigates under us while the flow runs,
	// and an evaluation in a vanished context fails
	deadline := time.Now().Add(100 * time.Second)
	var lastErr error
	for time.Now().Before(deadline) {
		ectx, cancel := context.WithTimeout(ctx, 5*time.Second)
		res, err := chromedp.Run(ectx, chromedp.Evaluate[string](expr))
		cancel()
		if err == nil && res != "" {
			return res, nil
		}
		if err != nil {
			lastErr = err
		}
		if ctx.Err() != nil {
			return "", ctx.Err()
		}
		time.Sleep(100 * time.Millisecond)
	}
	return "", fmt.Errorf("wait for result at %s: timed out (last error: %v)", origin, lastErr)
}

// navigate starts a navigation without waiting for the load event (a
// redirect chain through the provider ends on a login form).
func navigate(ctx context.Context, url string) error {
	return chromedp.Do(ctx, chromedp.Navigate(url))
}
