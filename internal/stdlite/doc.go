// Package stdlite holds the few stand-ins for standard-library functions
// that the extension's wasm keeps for its size, which every cold start of
// the service worker pays for: a JSON parser and encoder (encoding/json
// and its reflection: +320 KB gzipped on background.wasm), RFC 3339 times
// without the time zone database's formatting code, Quote and TrimSpace
// without strconv's and unicode's tables, ASCII case and IndexAny
// without strings' Unicode paths, a heap sort without slices'
// pdqsort, a parser of web addresses without net/url (and the fmt, reflect
// and net/netip it brings). Each is fuzzed against its standard
// counterpart in the tests beside it, so that it behaves the same on what
// the extension gives it.
//
// The relay and the tools use the standard library.
package stdlite
