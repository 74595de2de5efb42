//go:build !js

package ovhevent

import "encoding/json"

// decodeStd is Decode as it was before decode.go: encoding/json driving
// the UnmarshalJSON methods of Seconds, Nanos and Text. It is the
// reference FuzzDecodeMatchesStd holds Decode to, and BenchmarkDecodeStd
// measures what decode.go saves.
func decodeStd(b []byte) (Answer, error) {
	var a Answer
	b, err := trimAnswer(b)
	if err != nil {
		return a, err
	}
	if err := json.Unmarshal(b, &a); err != nil {
		return Answer{}, answerError(err, b)
	}
	return a, nil
}
