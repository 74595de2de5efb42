package store

// ParseSecret exposes parseSecret to the fuzz target.
var ParseSecret = parseSecret

// SecretLen is the length of every well-formed secret.
const SecretLen = secretLen
