package e2e

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/target"
	"github.com/chromedp/chromedp"

	"github.com/screenpop/screenpop/internal/waitfor"
)

// chromiumPath finds the browser, or skips the test — except in CI
// (SCREENPOP_REQUIRE_BROWSER=1), where a skipped browser test is a failure.
func chromiumPath(t testing.TB) string {
	t.Helper()
	for _, p := range []string{os.Getenv("SCREENPOP_CHROMIUM"), "/usr/bin/chromium", "/usr/bin/chromium-browser"} {
		if p == "" {
			continue
		}
		if _, err := exec.LookPath(p); err == nil {
			return p
		}
	}
	if os.Getenv("SCREENPOP_REQUIRE_BROWSER") != "" {
		t.Fatal("chromium is not installed and SCREENPOP_REQUIRE_BROWSER is set: apt-get install -y chromium")
	}
	t.Skip("chromium not installed (apt-get install -y chromium); skipping the browser test")
	return ""
}

// extensionDir is the built Chrome package (make extension).
func extensionDir(t testing.TB) string {
	t.Helper()
	dir, err := filepath.Abs("../dist/chrome")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"manifest.json", "background.wasm", "pages.wasm", "wasm_exec.js"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Fatalf("the extension is not built (%v): run `make extension` first, or use `make test`", err)
		}
	}
	return dir
}

// browser is a headless Chromium with the extension loaded.
type browser struct {
	t     testing.TB
	ctx   context.Context // browser-level context
	extID string
}

func startBrowser(t *testing.T) *browser {
	t.Helper()
	return startBrowserWith(t, browserOptions{})
}

// browserOptions vary the browser for a test; the zero value is the
// defaults: the built dist/chrome, English.
type browserOptions struct {
	Ext    string // unpacked extension folder; "" is dist/chrome
	Lang   string // UI language, e.g. "fr-FR"; "" is "en-US"
	Width  int    // window size; 0 is chromedp's default
	Height int
}

func startBrowserWith(t testing.TB, o browserOptions) *browser {
	t.Helper()
	b := launchBrowser(t, o)
	b.extID = b.waitExtension()
	return b
}

// launchBrowser starts Chromium with o.Ext loaded (a comma-separated list
// of unpacked extension folders), without waiting for any of them.
func launchBrowser(t testing.TB, o browserOptions) *browser {
	t.Helper()
	exe := chromiumPath(t)
	ext := o.Ext
	if ext == "" {
		ext = extensionDir(t)
	}
	lang := o.Lang
	if lang == "" {
		lang = "en-US"
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(exe),
		chromedp.Flag("headless", "new"),
		chromedp.Flag("disable-extensions", false),
		chromedp.Flag("no-sandbox", true),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("load-extension", ext),
		chromedp.Flag("disable-extensions-except", ext),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("lang", lang),
		chromedp.Env("LANGUAGE="+strings.ReplaceAll(lang, "-", "_")),
		chromedp.UserDataDir(t.TempDir()),
	)
	if o.Width > 0 && o.Height > 0 {
		opts = append(opts, chromedp.WindowSize(o.Width, o.Height))
	}
	actx, cancelA := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelB := chromedp.NewContext(actx, chromedp.WithLogf(t.Logf))
	t.Cleanup(func() { cancelB(); cancelA() })
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("cannot start chromium: %v", err)
	}
	return &browser{t: t, ctx: ctx}
}

// waitExtension finds the extension's service worker and returns its ID.
func (b *browser) waitExtension() string {
	var id string
	b.waitFor("the extension's service worker to start", 20*time.Second, func() bool {
		for _, ti := range b.targets() {
			if ti.Type == "service_worker" && strings.HasPrefix(ti.URL, "chrome-extension://") {
				id = strings.Split(strings.TrimPrefix(ti.URL, "chrome-extension://"), "/")[0]
				return true
			}
		}
		return false
	})
	return id
}

func (b *browser) targets() []*target.Info {
	infos, err := chromedp.Targets(b.ctx)
	if err != nil {
		b.t.Fatalf("listing browser targets: %v", err)
	}
	return infos
}

// pages returns the URLs of open tabs.
func (b *browser) pages() []string {
	var urls []string
	for _, ti := range b.targets() {
		if ti.Type == "page" {
			urls = append(urls, ti.URL)
		}
	}
	return urls
}

// tab opens url in a new tab and returns its context.
func (b *browser) tab(url string) context.Context {
	ctx, cancel := chromedp.NewContext(b.ctx)
	b.t.Cleanup(cancel)
	if err := chromedp.Do(ctx, chromedp.Navigate(url)); err != nil {
		b.t.Fatalf("opening %s: %v", url, err)
	}
	return ctx
}

func (b *browser) extURL(page string) string {
	return fmt.Sprintf("chrome-extension://%s/%s", b.extID, page)
}

// eval runs a JavaScript expression (awaiting a promise) in ctx.
func eval[T any](ctx context.Context, expr string) (T, error) {
	return chromedp.Run(ctx, chromedp.Evaluate[T](expr, chromedp.EvalAwaitPromise))
}

// waitFor waits until cond holds (waitfor.Within), failing the browser's
// test after timeout.
func (b *browser) waitFor(what string, timeout time.Duration, cond func() bool) {
	b.t.Helper()
	waitfor.Within(b.t, timeout, what, cond)
}

// workerID returns the target ID of the extension's running service worker, or "".
func (b *browser) workerID() string { return b.workerOf(b.extID) }

// workerOf returns the target ID of extension id's running service
// worker, or "".
func (b *browser) workerOf(id string) string {
	for _, ti := range b.targets() {
		if ti.Type == "service_worker" && strings.HasPrefix(ti.URL, "chrome-extension://"+id+"/") {
			return string(ti.TargetID)
		}
	}
	return ""
}
