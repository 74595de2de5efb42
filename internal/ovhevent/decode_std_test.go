//go:build !js

package ovhevent

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
)

// decodeStd is Decode as it was before decode.go: encoding/json driving
// the UnmarshalJSON methods of Seconds, Nanos and Text. It is the
// reference FuzzDecodeMatchesStd holds Decode to, and BenchmarkDecodeStd
// measures what decode.go saves.
func decodeStd(b []byte) (Answer, error) {
	var a Answer
	b = bytes.TrimSpace(b)
	if len(b) == 0 {
		return a, errors.New("ovhevent: empty answer from the event service (expected a JSON object with Session and Events)")
	}
	if b[0] != '{' {
		return a, fmt.Errorf("ovhevent: the event service answered something that is not a JSON object (starts with %q); is the events URL right?", preview(b))
	}
	if err := json.Unmarshal(b, &a); err != nil {
		return Answer{}, fmt.Errorf("ovhevent: cannot decode the event service's answer: %v (starts with %q)", err, preview(b))
	}
	return a, nil
}
