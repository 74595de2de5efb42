// Command manifest writes the extension's manifest.json for one browser from
// extension/manifest.json, which carries the keys of both. Each browser
// ignores the other's keys, but with warnings (Chrome's extension page,
// `web-ext lint`), so each package gets only its own:
//
//   - chrome: no background.scripts (Chrome runs bg.js as a service
//     worker), no sidebar_action, no browser_specific_settings.
//   - firefox: no background.service_worker (Firefox runs the scripts as an
//     event page), no side_panel or "sidePanel" permission (Firefox has
//     sidebar_action), no minimum_chrome_version; and the data collection
//     declaration Firefox asks every new add-on for (none is collected),
//     which needs Firefox 140 (142 on Android).
//
// Usage (the Makefile's extension target):
//
//	go run ./tools/manifest -browser firefox < extension/manifest.json > dist/firefox/manifest.json
package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"
)

func main() {
	browser := flag.String("browser", "", "chrome or firefox")
	flag.Parse()
	in, err := io.ReadAll(os.Stdin)
	if err == nil {
		var out []byte
		out, err = For(*browser, in)
		if err == nil {
			_, err = os.Stdout.Write(out)
		}
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "manifest:", err)
		os.Exit(1)
	}
}

// For returns the manifest for browser ("chrome" or "firefox") from the
// shared manifest src.
func For(browser string, src []byte) ([]byte, error) {
	var m map[string]any
	if err := json.Unmarshal(src, &m); err != nil {
		return nil, fmt.Errorf("extension/manifest.json is not valid JSON: %w", err)
	}
	bg, _ := m["background"].(map[string]any)
	switch browser {
	case "chrome":
		delete(bg, "scripts")
		delete(m, "sidebar_action")
		delete(m, "browser_specific_settings")
	case "firefox":
		delete(bg, "service_worker")
		delete(m, "side_panel")
		delete(m, "minimum_chrome_version")
		if perms, ok := m["permissions"].([]any); ok {
			m["permissions"] = slices.DeleteFunc(perms, func(p any) bool { return p == "sidePanel" })
		}
		if bss, ok := m["browser_specific_settings"].(map[string]any); ok {
			if gecko, ok := bss["gecko"].(map[string]any); ok {
				if _, set := gecko["data_collection_permissions"]; !set {
					gecko["data_collection_permissions"] = map[string]any{"required": []any{"none"}}
				}
				// The declaration exists from Firefox 140 (142 on Android).
				if v, _ := gecko["strict_min_version"].(string); olderThan(v, 140) {
					gecko["strict_min_version"] = "140.0"
				}
				if _, set := bss["gecko_android"]; !set {
					bss["gecko_android"] = map[string]any{"strict_min_version": "142.0"}
				}
			}
		}
	default:
		return nil, fmt.Errorf("unknown browser %q: want chrome or firefox", browser)
	}
	return encode(m)
}

// olderThan reports whether the Firefox version v ("128.0") is below major.
func olderThan(v string, major int) bool {
	n, err := strconv.Atoi(strings.SplitN(v, ".", 2)[0])
	return err != nil || n < major
}

func encode(m map[string]any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(m); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
