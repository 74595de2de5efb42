// This folder holds npm tools (web-ext, puppeteer-core) for the Firefox
// tests. This go.mod makes it a module of its own, so `go ... ./...` in the
// repository root does not walk node_modules (which ships some Go files).
module screenpop.invalid/test/firefox

go 1.26
