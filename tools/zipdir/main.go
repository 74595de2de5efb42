// Command zipdir packs an unpacked extension folder into the .zip the
// stores take: files at the root of the archive (manifest.json first),
// deflated, in a stable order with a fixed date so the same build gives the
// same bytes, and nothing hidden (no .DS_Store, .git, editor files).
//
//	go run ./tools/zipdir dist/firefox dist/screenpop-firefox.zip
package main

import (
	"archive/zip"
	"fmt"
	"io/fs"
	"os"
	"path"
	"sort"
	"strings"
	"time"
)

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: zipdir DIR OUT.zip")
		os.Exit(2)
	}
	if err := pack(os.Args[1], os.Args[2]); err != nil {
		fmt.Fprintln(os.Stderr, "zipdir:", err)
		os.Exit(1)
	}
}

// epoch is the date every entry carries: zip dates can't be before 1980.
var epoch = time.Date(1980, 1, 1, 0, 0, 0, 0, time.UTC)

func pack(dir, out string) error {
	fsys := os.DirFS(dir)
	var files []string
	err := fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if p != "." && strings.HasPrefix(path.Base(p), ".") || strings.HasSuffix(p, "~") {
			if d.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		if d.Type().IsRegular() {
			files = append(files, p)
		}
		return nil
	})
	if err != nil {
		return err
	}
	sort.Slice(files, func(i, j int) bool {
		if (files[i] == "manifest.json") != (files[j] == "manifest.json") {
			return files[i] == "manifest.json"
		}
		return files[i] < files[j]
	})
	if len(files) == 0 || files[0] != "manifest.json" {
		return fmt.Errorf("%s has no manifest.json at its root", dir)
	}
	f, err := os.Create(out)
	if err != nil {
		return err
	}
	zw := zip.NewWriter(f)
	for _, p := range files {
		b, err := fs.ReadFile(fsys, p)
		if err != nil {
			return err
		}
		w, err := zw.CreateHeader(&zip.FileHeader{Name: p, Method: zip.Deflate, Modified: epoch})
		if err != nil {
			return err
		}
		if _, err := w.Write(b); err != nil {
			return err
		}
	}
	if err := zw.Close(); err != nil {
		return err
	}
	return f.Close()
}
